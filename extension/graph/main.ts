/**
 * The flow graph webview's script (bundled, with elkjs, into media/graph.js).
 * Plain DOM and SVG, no framework, no inline handlers: the CSP runs only this
 * file, by nonce. ELK runs in this thread (its bundled build's in-process
 * worker), so the CSP needs no worker source.
 *
 * In: ToGraphView (graph). Out: FromGraphView (ready | openStep | spin | debug).
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { FromGraphView } from '../src/graphMessages';
import { createGraphView } from './view';

/** The part of the webview API this script uses. */
interface VsCodeApi {
  postMessage(message: FromGraphView): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const view = createGraphView(document.getElementById('app') ?? document.body, (message) => vscode.postMessage(message), new ELK());
window.addEventListener('message', (event: MessageEvent<unknown>) => view.handleMessage(event.data));
vscode.postMessage({ type: 'ready' });
