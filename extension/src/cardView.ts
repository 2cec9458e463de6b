/**
 * A past task's @cards in a strict webview (media/cardView.js, built from
 * extension/cardView/): the server's `explorer.cards` result (read through
 * Metaflow's get_cards in the server's reader, bounded), posted once the script
 * says `ready`. Each card renders in a sandboxed frame; the webview can send
 * nothing but `ready`.
 */
import * as vscode from 'vscode';
import type { CardsMessage } from '../cardView/messages';
import { isReady } from './comparePanel';
import type { ExplorerCardsResult } from './protocol';
import { createStrictWebview } from './strictWebview';

export const CARD_VIEW_TYPE = 'spinlens.cards';

export function cardsTitle(pathspec: string): string {
  return `Cards of ${pathspec.split('/').slice(1).join('/')}`;
}

/** Opens the cards of `pathspec`; `result` is awaited while the panel loads. */
export function showCards(extensionUri: vscode.Uri, pathspec: string, result: Promise<ExplorerCardsResult>): vscode.WebviewPanel {
  const panel = createStrictWebview(extensionUri, {
    viewType: CARD_VIEW_TYPE,
    title: cardsTitle(pathspec),
    preserveFocus: false,
    script: 'cardView.js',
    style: 'cardView.css',
    findWidget: true,
  });
  let ready = false;
  let pending: CardsMessage | undefined;
  const post = (message: CardsMessage): void => {
    if (ready) void panel.webview.postMessage(message);
    else pending = message;
  };
  const subscription = panel.webview.onDidReceiveMessage((message: unknown) => {
    if (!isReady(message) || ready) return; // nothing else is accepted
    ready = true;
    if (pending) void panel.webview.postMessage(pending);
  });
  panel.onDidDispose(() => subscription.dispose());
  result.then(
    (found) => post({ type: 'cards', pathspec: found.pathspec, cards: found.cards, truncated: found.truncated }),
    (error: unknown) => post({ type: 'error', message: `Cannot show the cards: ${error instanceof Error ? error.message : String(error)}` }),
  );
  return panel;
}
