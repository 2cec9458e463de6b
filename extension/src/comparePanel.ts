/**
 * The comparison of two runs, or of tasks and spins, in a strict webview (media/compare.js,
 * built from extension/compare/): the server's `explorer.compare` result, posted
 * once the script says `ready`. The webview can send nothing else.
 */
import * as vscode from 'vscode';
import { shortSideName } from '../compare/sides';
import type { CompareResult } from './protocol';
import { createStrictWebview } from './strictWebview';

export const COMPARE_VIEW_TYPE = 'spinlens.compare';

export type ToCompareView = { type: 'compare'; result: CompareResult } | { type: 'error'; message: string };

/** Whether a webview message is the one the script may send. */
export function isReady(message: unknown): boolean {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'ready';
}

export function compareTitle(a: string, b: string): string {
  return `Compare ${shortSideName(a)} ↔ ${shortSideName(b)}`;
}

/** Opens a comparison panel; `result` is awaited while the panel loads. */
export function showComparison(
  extensionUri: vscode.Uri,
  a: string,
  b: string,
  result: Promise<CompareResult>,
): vscode.WebviewPanel {
  const panel = createStrictWebview(extensionUri, {
    viewType: COMPARE_VIEW_TYPE,
    title: compareTitle(a, b),
    preserveFocus: false,
    script: 'compare.js',
    style: 'compare.css',
    findWidget: true,
  });
  let ready = false;
  let pending: ToCompareView | undefined;
  const post = (message: ToCompareView): void => {
    if (ready) void panel.webview.postMessage(message);
    else pending = message;
  };
  const subscription = panel.webview.onDidReceiveMessage((message: unknown) => {
    if (!isReady(message)) return; // nothing else is accepted
    ready = true;
    if (pending) void panel.webview.postMessage(pending);
  });
  panel.onDidDispose(() => subscription.dispose());
  result.then(
    (found) => post({ type: 'compare', result: found }),
    (error: unknown) => post({ type: 'error', message: `Cannot compare: ${error instanceof Error ? error.message : String(error)}` }),
  );
  return panel;
}
