/**
 * The results webview's script (bundled into media/panel.js). Plain DOM, no
 * framework; everything it shows from a spin goes in as text, never as HTML,
 * and it has no inline handlers: the CSP runs only this file, by nonce.
 *
 * In: ToWebview (messages.ts: spin, event, settings, queue, rowPage, cardHtml, ...).
 * Out: FromWebview (ready, openFile, cancel, rowValue, ...).
 * The reader's choices (comparison per step, open row groups) live in the
 * webview's state (viewState.ts), so a reloaded panel keeps them.
 */
import type { FromWebview } from '../src/messages';
import { createPanel } from './app';
import { type StateApi, createViewState } from './viewState';

/** The part of the webview API this script uses. */
interface VsCodeApi extends StateApi {
  postMessage(message: FromWebview): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const panel = createPanel(
  document.getElementById('app') ?? document.body,
  (message) => vscode.postMessage(message),
  createViewState(vscode),
);
window.addEventListener('message', (event: MessageEvent<unknown>) => panel.handleMessage(event.data));
vscode.postMessage({ type: 'ready' });
