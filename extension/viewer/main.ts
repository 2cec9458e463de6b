/**
 * The value viewer's script (bundled into media/viewer.js with uPlot). Plain
 * DOM, every value as text; the CSP runs only this file, by nonce.
 * In: ToViewer (value | page | error). Out: FromViewer (ready | page).
 */
import type { FromViewer } from './messages';
import { createViewer } from './viewer';

interface VsCodeApi {
  postMessage(message: FromViewer): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const viewer = createViewer(document.getElementById('app') ?? document.body, (message) => vscode.postMessage(message));
window.addEventListener('message', (event: MessageEvent<unknown>) => viewer.handleMessage(event.data));
vscode.postMessage({ type: 'ready' });
