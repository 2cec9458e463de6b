/**
 * Messages between the extension and the results webview: one definition for
 * both sides. The webview's script imports these types only, so this module
 * imports nothing that runs (webviewGate.ts checks what the webview sends).
 */
import type { SpinEvent } from './protocol';

/** Extension -> webview. */
export type ToWebview =
  | { type: 'spin'; uri: string; step: string }
  | { type: 'event'; event: SpinEvent }
  | { type: 'settings'; diffRows: number };

/** Webview -> extension: the only messages accepted. */
export type FromWebview =
  | { type: 'ready' }
  | { type: 'openFile'; file: string; line: number | null }
  | { type: 'cancel' };
