/** The results webview's HTML shell: strict CSP, one nonce per load, no inline code. */
import { randomBytes } from 'node:crypto';

/** A fresh random nonce (128 bits, base64). */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

/**
 * The Content-Security-Policy of the panel: only our own script and styles, and
 * what carries the nonce (a card's own `<style>` and `<script>` in its sandboxed
 * frame: cardFrames.ts gives them the nonce, and the frame inherits this policy).
 */
export function buildCsp(cspSource: string, nonce: string): string {
  return [
    "default-src 'none'",
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${cspSource} data:`,
  ].join('; ') + ';';
}

/** For a double-quoted attribute value. */
export function escapeAttribute(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

export interface HtmlParts {
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

/** The whole document; panel.js builds everything inside `#app`. */
export function renderHtml({ cspSource, nonce, scriptUri, styleUri }: HtmlParts): string {
  const csp = escapeAttribute(buildCsp(cspSource, nonce));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeAttribute(styleUri)}">
<title>Spinlens</title>
</head>
<body>
<div id="app" data-testid="app"></div>
<script nonce="${escapeAttribute(nonce)}" src="${escapeAttribute(scriptUri)}"></script>
</body>
</html>`;
}
