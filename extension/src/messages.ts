/**
 * Messages between the extension and the results webview: one definition for
 * both sides. The webview's script imports these types only, so this module
 * imports nothing that runs (webviewGate.ts checks what the webview sends).
 */
import type { SpinEvent } from './protocol';
import type { RowPage, RowValueRequest } from '../webview/rowsValue';

/** Extension -> webview. */
export type ToWebview =
  | { type: 'spin'; uri: string; step: string }
  | { type: 'event'; event: SpinEvent }
  | { type: 'settings'; diffRows: number }
  | RowPage
  | CardHtml;

/**
 * The HTML of the shown spin's card number `index` (its place in Finished.cards),
 * read by the host from the path that event named; `html` null when it is not
 * previewed (too large, unreadable), `note` then says why.
 */
export interface CardHtml {
  type: 'cardHtml';
  spinId: string;
  index: number;
  html: string | null;
  note: string | null;
}

/** Webview -> extension: the only messages accepted. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'openFile'; file: string; line: number | null }
  | { type: 'cancel' }
  /** A queue item clicked: show that spin (panel.ts looks the id up among the items it listed). */
  | { type: 'showSpin'; requestId: string }
  | RowValueRequest;
