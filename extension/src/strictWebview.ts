/** A webview panel locked down as every Spinlens view is: scripts run only from
 * media/ (by nonce, webviewHtml.ts's shell), no command URIs, kept when hidden. */
import * as vscode from 'vscode';
import { makeNonce, renderHtml } from './webviewHtml';

export interface StrictWebviewOptions {
  viewType: string;
  title: string;
  preserveFocus: boolean;
  /** File names in media/. */
  script: string;
  style: string;
  findWidget: boolean;
}

export function createStrictWebview(extensionUri: vscode.Uri, options: StrictWebviewOptions): vscode.WebviewPanel {
  const media = vscode.Uri.joinPath(extensionUri, 'media');
  const panel = vscode.window.createWebviewPanel(
    options.viewType,
    options.title,
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus: options.preserveFocus },
    {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [media],
      enableCommandUris: false,
      enableFindWidget: options.findWidget,
    },
  );
  panel.iconPath = vscode.Uri.joinPath(media, 'icon.png');
  const webview = panel.webview;
  const asset = (name: string): string => webview.asWebviewUri(vscode.Uri.joinPath(media, name)).toString();
  webview.html = renderHtml({
    cspSource: webview.cspSource,
    nonce: makeNonce(),
    scriptUri: asset(options.script),
    styleUri: asset(options.style),
  });
  return panel;
}
