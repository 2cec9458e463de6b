/**
 * The comparison webview's script (bundled into media/compare.js). In:
 * `{type: 'compare', result}` or `{type: 'error', message}`; out: `ready`.
 */
import type { CompareResult } from '../src/protocol';
import { renderComparison, renderError } from './render';

interface VsCodeApi {
  postMessage(message: { type: 'ready' }): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('app') ?? document.body;

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const data = event.data;
  if (typeof data !== 'object' || data === null) return;
  const message = data as { type?: unknown; result?: unknown; message?: unknown };
  // The host checked the result with protocol.ts's parser before posting it.
  if (message.type === 'compare' && typeof message.result === 'object' && message.result !== null) {
    renderComparison(document, root, message.result as CompareResult);
  } else if (message.type === 'error' && typeof message.message === 'string') {
    renderError(document, root, message.message);
  }
});
vscode.postMessage({ type: 'ready' });
