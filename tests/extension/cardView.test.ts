/**
 * The cards webview's logic (extension/cardView/): the host's message checked
 * before use, each card with its type and id in a frame the given factory makes
 * (cardFrames.ts's sandboxed srcdoc frame in the webview), notes and errors as text.
 */
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { parseCardsMessage } from '../../extension/cardView/messages';
import { cardTitle, renderCards } from '../../extension/cardView/render';
import type { ExplorerCard } from '../../extension/src/protocol';

const BLANK: ExplorerCard = { type: 'blank', id: null, html: '<p>report</p>', size: 13, note: null };
const BIG: ExplorerCard = { type: 'default', id: 'big', html: null, size: 9 << 20, note: '<b>card too large</b>' };

function render(data: unknown): { doc: Document; frames: [string, string][] } {
  const doc = new JSDOM('<div id="app"></div>').window.document;
  const frames: [string, string][] = [];
  const message = parseCardsMessage(data);
  if (message) {
    renderCards(doc, doc.getElementById('app') as HTMLElement, message, (html, title) => {
      frames.push([html, title]);
      const frame = doc.createElement('iframe');
      frame.setAttribute('sandbox', 'allow-scripts');
      return frame;
    });
  }
  return { doc, frames };
}

describe('the cards view', () => {
  it('frames each card with its HTML, and names a card not sent by its note, as text', () => {
    const { doc, frames } = render({ type: 'cards', pathspec: 'CardFlow/1/report/2', cards: [BLANK, BIG], truncated: true });
    expect(frames).toEqual([['<p>report</p>', 'blank card']]);
    const sections = [...doc.querySelectorAll('[data-testid="card"]')];
    expect(sections.map((s) => s.querySelector('h2')?.textContent)).toEqual(['blank card', 'default card · big']);
    expect(sections[1]?.querySelector('.note')?.textContent).toBe('<b>card too large</b>');
    expect(doc.querySelector('b')).toBeNull();
    expect(doc.querySelector('h1')?.textContent).toBe('Cards of CardFlow/1/report/2');
    expect(doc.body.textContent).toContain('more cards than are shown');
  });

  it('drops malformed messages and cards, says when there are none, shows errors as text', () => {
    expect(parseCardsMessage({ type: 'cards', pathspec: 1, cards: [] })).toBeUndefined();
    expect(parseCardsMessage('cards')).toBeUndefined();
    const parsed = parseCardsMessage({ type: 'cards', pathspec: 'F/1/s/2', cards: [BLANK, { type: 'x', html: 3 }] });
    expect(parsed?.type === 'cards' && parsed.cards).toEqual([BLANK]);
    expect(render({ type: 'cards', pathspec: 'F/1/s/2', cards: [] }).doc.body.textContent).toContain('no cards');
    const { doc } = render({ type: 'error', message: '<img src=x> Metaflow: no task' });
    expect(doc.querySelector('.error')?.textContent).toBe('<img src=x> Metaflow: no task');
    expect(doc.querySelector('img')).toBeNull();
    expect(cardTitle({ ...BLANK, id: 'summary' })).toBe('blank card · summary');
  });
});
