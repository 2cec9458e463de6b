/**
 * @card previews: the host reads the cards a shown spin's Finished event named and
 * posts their HTML; the panel shows each in a sandboxed srcdoc frame whose own
 * scripts carry the panel's nonce, and ignores messages from those frames.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JSDOM, VirtualConsole } from 'jsdom';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CARD_PREVIEW_BYTES, cardMessages, readCard } from '../../extension/src/cards';
import type { FinishedEvent, SpinEvent } from '../../extension/src/protocol';
import { normalizeEvent } from '../../extension/src/protocol';
import { panelHost } from './panelHost';
import { SCRIPT } from './panelHarness';

const NONCE = 'cGFuZWwtbm9uY2U=';
const URI = 'file:///work/project/flows/card_flow.py';
const CARD_HTML = `<!DOCTYPE html><html><head><style>h1{color:red}</style>
<script>window.drawn = 1;</script></head><body><div class="card_app"></div>
<script src="data:text/javascript,1"></script><script nonce="forged">2</script><p nonce="x">text</p></body></html>`;

function finished(spinId: string, paths: string[]): FinishedEvent {
  return {
    event: 'finished', spin_id: spinId, status: 'ok', next_steps: ['end'], foreach: null, removed: [], record: null,
    cards: paths.map((p, i) => ({ type: i === 0 ? 'blank' : 'default', id: i === 0 ? null : 'summary', path: p })),
    timings: {},
  };
}

/** The panel's script in jsdom, loaded as the webview loads it: a document whose script tag carries the nonce. */
function panelDom() {
  const warnings: string[] = [];
  const virtualConsole = new VirtualConsole();
  virtualConsole.on('warn', (text: string) => warnings.push(text));
  const dom = new JSDOM(
    `<!DOCTYPE html><html><body><div id="app"></div><script nonce="${NONCE}"></script></body></html>`,
    { runScripts: 'outside-only', url: 'https://webview.example/index.html', virtualConsole },
  );
  const posted: unknown[] = [];
  (dom.window as unknown as Record<string, unknown>).acquireVsCodeApi = () => ({
    postMessage: (m: unknown) => posted.push(m),
    getState: () => undefined,
    setState: () => undefined,
  });
  dom.window.eval(SCRIPT);
  const doc = dom.window.document;
  const send = (data: unknown, init: MessageEventInit = {}): void => {
    dom.window.dispatchEvent(new dom.window.MessageEvent('message', { data, ...init }));
  };
  const all = (testid: string): HTMLElement[] => Array.from(doc.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`));
  return { dom, doc, posted, send, all, warnings };
}

function showSpin(p: ReturnType<typeof panelDom>, spinId: string, paths: string[]): void {
  p.send({ type: 'spin', uri: URI, step: 'report' });
  p.send({ type: 'event', event: finished(spinId, paths) });
}

describe('the panel: card previews', () => {
  let p: ReturnType<typeof panelDom>;
  beforeEach(() => {
    p = panelDom();
  });
  afterEach(() => p.dom.window.close());

  it('shows the only card open, in a frame sandboxed to allow-scripts whose own scripts carry the nonce', () => {
    showSpin(p, 's1', ['/work/project/.spinlens/F/report/s1/card-0-blank.html']);
    expect(p.all('card-preview')[0]?.hidden).toBe(false);
    expect(p.all('card-note')[0]?.textContent).toBe('loading card…');
    expect(p.all('card-frame')).toHaveLength(0);
    p.send({ type: 'cardHtml', spinId: 's1', index: 0, html: CARD_HTML, note: null });
    const [frame, ...more] = p.all('card-frame');
    expect(more).toHaveLength(0);
    expect(frame?.tagName).toBe('IFRAME');
    expect(frame?.getAttribute('sandbox')).toBe('allow-scripts');
    expect(p.all('card-note')[0]?.hidden).toBe(true);
    const srcdoc = frame?.getAttribute('srcdoc') ?? '';
    const card = new p.dom.window.DOMParser().parseFromString(srcdoc, 'text/html');
    const scripts = Array.from(card.querySelectorAll('script'));
    expect(scripts).toHaveLength(3);
    expect(scripts.map((s) => s.getAttribute('nonce'))).toEqual([NONCE, NONCE, NONCE]); // the forged one replaced
    expect(card.querySelector('p')?.hasAttribute('nonce')).toBe(false); // only scripts and styles get it
    expect(card.querySelector('style')?.getAttribute('nonce')).toBe(NONCE);
    expect(card.querySelector('p')?.textContent).toBe('text');
    // Nothing of the card entered the panel's own document: no new script, nothing with the nonce.
    expect(p.doc.querySelectorAll('script')).toHaveLength(1);
    expect(p.doc.querySelectorAll('.card_app')).toHaveLength(0);
    // The open-file link stays.
    p.all('card')[0]?.click();
    expect(p.posted).toContainEqual({ type: 'openFile', file: '/work/project/.spinlens/F/report/s1/card-0-blank.html', line: null });
  });

  it('serialises the card as the DOM would, markup and script text intact', () => {
    const tricky = `<!DOCTYPE html><html lang="en"><head><title>a &amp; b</title><style>p > b { content: "<"; }</style></head>
<body data-x='say "hi" &amp; go'><!-- note --><p>1 &lt; 2 &amp;&nbsp;3<br><img src="data:," alt="x"></p>
<script>if (1 < 2 && "</div>") { window.ok = '&amp;'; }</script><template><b>t</b></template>
<svg viewBox="0 0 1 1"><linearGradient id="g"/><foreignObject><div>f</div></foreignObject></svg>
<textarea>
keep</textarea><noscript><b>n</b></noscript><table><tr><td>c</td></tr></table></body></html>`;
    for (const [i, html] of [CARD_HTML, tricky].entries()) {
      showSpin(p, `ser${i}`, ['/r/card-0-blank.html']);
      p.send({ type: 'cardHtml', spinId: `ser${i}`, index: 0, html, note: null });
      const expected = new p.dom.window.DOMParser().parseFromString(html, 'text/html');
      for (const node of Array.from(expected.querySelectorAll('[nonce]'))) node.removeAttribute('nonce');
      for (const node of Array.from(expected.querySelectorAll('script, style'))) node.setAttribute('nonce', NONCE);
      expect(p.all('card-frame')[0]?.getAttribute('srcdoc')).toBe(`<!DOCTYPE html>${expected.documentElement.outerHTML}`);
    }
  });

  it('keeps several cards collapsed until opened, and makes a frame only then', () => {
    showSpin(p, 's2', ['/r/card-0-blank.html', '/r/card-1-default.html']);
    const toggles = p.all('card-toggle');
    expect(toggles.map((t) => t.getAttribute('aria-expanded'))).toEqual(['false', 'false']);
    expect(p.all('card-preview').map((e) => e.hidden)).toEqual([true, true]);
    p.send({ type: 'cardHtml', spinId: 's2', index: 0, html: CARD_HTML, note: null });
    p.send({ type: 'cardHtml', spinId: 's2', index: 1, html: null, note: 'card too large to preview (9.0 MB)' });
    expect(p.all('card-frame')).toHaveLength(0);
    toggles[1]?.click();
    expect(p.all('card-note')[1]?.textContent).toBe('card too large to preview (9.0 MB)');
    expect(p.all('card-frame')).toHaveLength(0);
    toggles[0]?.click();
    expect(toggles[0]?.getAttribute('aria-expanded')).toBe('true');
    expect(p.all('card-frame')).toHaveLength(1);
    toggles[0]?.click(); // hidden, kept
    expect(p.all('card-preview')[0]?.hidden).toBe(true);
    toggles[0]?.click();
    expect(p.all('card-frame')).toHaveLength(1);
  });

  it("ignores card HTML for another spin, an unknown card, a repeat, and malformed messages", () => {
    showSpin(p, 's3', ['/r/card-0-blank.html']);
    p.send({ type: 'cardHtml', spinId: 'older', index: 0, html: CARD_HTML, note: null });
    p.send({ type: 'cardHtml', spinId: 's3', index: 1, html: CARD_HTML, note: null });
    p.send({ type: 'cardHtml', spinId: 's3', index: 0.5, html: CARD_HTML, note: null });
    p.send({ type: 'cardHtml', spinId: 's3', index: 0, html: 42, note: null });
    expect(p.all('card-frame')).toHaveLength(0);
    p.send({ type: 'cardHtml', spinId: 's3', index: 0, html: null, note: 'card not readable: ENOENT' });
    p.send({ type: 'cardHtml', spinId: 's3', index: 0, html: CARD_HTML, note: null });
    expect(p.all('card-frame')).toHaveLength(0);
    expect(p.all('card-note')[0]?.textContent).toBe('card not readable: ENOENT');
  });

  it("drops a message a card frame (or a frame inside it) posts to the panel, and keeps the host's", () => {
    showSpin(p, 's4', ['/r/card-0-blank.html']);
    p.send({ type: 'cardHtml', spinId: 's4', index: 0, html: CARD_HTML, note: null });
    const frame = p.all('card-frame')[0] as HTMLIFrameElement;
    const cardWindow = frame.contentWindow;
    expect(cardWindow?.parent).toBe(p.dom.window);
    const forged = { type: 'spin', uri: 'file:///evil.py', step: 'forged' };
    p.send(forged, { source: cardWindow });
    // A frame the card made: its parent is the card's window.
    const nested = frame.contentDocument?.createElement('iframe');
    if (!nested || !frame.contentDocument) throw new Error('no card document');
    frame.contentDocument.body.appendChild(nested);
    p.send(forged, { source: nested.contentWindow });
    // A sandboxed frame's messages have an opaque origin, whatever their source says.
    p.send(forged, { origin: 'null' });
    expect(p.all('card-frame')).toHaveLength(1);
    expect(p.doc.body.textContent).not.toContain('forged');
    expect(p.warnings).toEqual(Array(3).fill('Spinlens: ignored a message from a card frame'));
    // The host's messages come from outside the panel's document: they still work.
    p.send(forged, { origin: 'https://webview.example' });
    expect(p.all('card-frame')).toHaveLength(0);
    expect(p.doc.body.textContent).toContain('forged');
  });
});

describe('the host: card HTML', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spinlens-cards-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a card up to the bound; a larger or missing one gets a note', () => {
    const small = path.join(dir, 'card-0-blank.html');
    fs.writeFileSync(small, CARD_HTML);
    expect(readCard(small)).toEqual({ html: CARD_HTML, note: null });
    expect(readCard(small, CARD_HTML.length)).toEqual({ html: CARD_HTML, note: null });
    expect(readCard(small, CARD_HTML.length - 1)).toEqual({ html: null, note: expect.stringMatching(/^card too large to preview \(\d/) });
    const big = path.join(dir, 'card-1-default.html');
    fs.writeFileSync(big, Buffer.alloc(CARD_PREVIEW_BYTES + 1, 0x61));
    expect(readCard(big)).toEqual({ html: null, note: 'card too large to preview (8.0 MB)' });
    expect(readCard(path.join(dir, 'gone.html')).note).toMatch(/^card not readable: .*ENOENT/);
    const messages = cardMessages(finished('s', [small, big]));
    expect(messages.map((m) => [m.spinId, m.index, m.html !== null])).toEqual([['s', 0, true], ['s', 1, false]]);
  });

  it("posts the shown spin's cards, read from its Finished event, when the spin finishes and on ready", () => {
    const file = path.join(dir, 'card-0-blank.html');
    fs.writeFileSync(file, CARD_HTML);
    const t = panelHost(dir);
    const record = t.store.begin(URI, 'report');
    t.panel.show(record);
    t.fake().webview.receive({ type: 'ready' });
    const cardPosts = () => t.fake().webview.posted.filter((m) => (m as { type?: string }).type === 'cardHtml');
    t.store.route(URI, normalizeEvent(finished('s5', [file]) as unknown as SpinEvent));
    expect(cardPosts()).toEqual([{ type: 'cardHtml', spinId: 's5', index: 0, html: CARD_HTML, note: null }]);
    // Right after the event that named it.
    expect((t.fake().webview.posted.at(-2) as { event?: { event?: string } }).event?.event).toBe('finished');
    // A reloaded webview (ready again) gets the whole spin, its cards too.
    t.fake().webview.receive({ type: 'ready' });
    expect(cardPosts()).toHaveLength(2);
    // The webview cannot ask for a card: no message names a path.
    t.fake().webview.receive({ type: 'cardHtml', spinId: 's5', index: 0, path: '/etc/passwd' });
    expect(t.out.lines.some((l: string) => l.includes('ignored an unexpected message'))).toBe(true);
  });
});
