import { describe, expect, it } from 'vitest';
import { buildCsp, escapeAttribute, makeNonce, renderHtml } from '../../extension/src/webviewHtml';

describe('nonce', () => {
  it('is random, 128 bits, and different every time', () => {
    const nonces = new Set(Array.from({ length: 200 }, () => makeNonce()));
    expect(nonces.size).toBe(200);
    for (const nonce of nonces) {
      expect(Buffer.from(nonce, 'base64')).toHaveLength(16);
      expect(nonce).toMatch(/^[A-Za-z0-9+/]+=*$/);
    }
  });
});

describe('CSP', () => {
  const source = 'https://abc.vscode-resource.vscode-cdn.net';

  it('allows only our nonce for scripts and the webview source for styles', () => {
    const csp = buildCsp(source, 'N0nce');
    expect(csp).toBe(
      `default-src 'none'; style-src ${source} 'nonce-N0nce'; script-src 'nonce-N0nce'; img-src ${source} data:;`,
    );
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
  });

  it('is in the document with the same nonce as the script tag', () => {
    const nonce = makeNonce();
    const html = renderHtml({
      cspSource: source,
      nonce,
      scriptUri: `${source}/media/panel.js`,
      styleUri: `${source}/media/panel.css`,
    });
    const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html);
    expect(meta?.[1]).toContain(`script-src 'nonce-${nonce}'`);
    expect(meta?.[1]).toContain("default-src 'none'");
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.[1]).toContain(`nonce="${nonce}"`);
    expect(scripts[0]?.[1]).toContain(`src="${source}/media/panel.js"`);
    expect(html).toContain(`<link rel="stylesheet" href="${source}/media/panel.css">`);
    // No inline code or handlers.
    expect(html).not.toMatch(/<script[^>]*>[^<]+<\/script>/);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).not.toMatch(/style=/);
  });

  it('gives each load a fresh nonce', () => {
    const parts = { cspSource: source, scriptUri: 's', styleUri: 'c' };
    const a = renderHtml({ ...parts, nonce: makeNonce() });
    const b = renderHtml({ ...parts, nonce: makeNonce() });
    expect(a).not.toBe(b);
  });

  it('escapes attribute values', () => {
    expect(escapeAttribute('"><script>')).toBe('&quot;&gt;&lt;script&gt;');
    const html = renderHtml({ cspSource: source, nonce: 'n', scriptUri: 'x"><script>alert(1)</script>', styleUri: 'y' });
    expect(html).not.toContain('<script>alert(1)');
  });
});
