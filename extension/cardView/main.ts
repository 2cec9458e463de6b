/**
 * The cards webview's script (bundled into media/cardView.js). In: `{type: 'cards',
 * pathspec, cards}` or `{type: 'error', message}`; out: `ready`. Messages from the
 * card frames are dropped before any listener sees them.
 */
import { cardFrame, dropCardMessages } from '../webview/cardFrames';
import { parseCardsMessage } from './messages';
import { renderCards } from './render';

interface VsCodeApi {
  postMessage(message: { type: 'ready' }): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app') ?? document.body;

window.addEventListener('message', dropCardMessages, true);
window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const message = parseCardsMessage(event.data);
  if (message) renderCards(document, root, message, cardFrame);
});
vscode.postMessage({ type: 'ready' });
