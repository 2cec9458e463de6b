/**
 * How the spin ended: a failure (with its traceback's files as links), the
 * step's @card output, and the footer (next steps, removed artifacts, record).
 */
import type { Card, FailedEvent, FinishedEvent } from '../src/protocol';
import { clear, el } from './dom';
import type { Post } from './state';
import { basename, isObject } from './values';

const FRAME = /File "([^"]+)", line (\d+)/;

export function createOutcome(post: Post) {
  const failure = el('section', { className: 'failure', testid: 'failure', hidden: true });
  const cardList = el('ul', { className: 'cards' });
  const cards = el('section', { className: 'cards-section', testid: 'cards', hidden: true }, el('h2', {}, 'Cards'), cardList);
  const footer = el('section', { className: 'footer', testid: 'footer', hidden: true });

  /** A link that asks the extension to open `file` (it checks the file is one it may open). */
  function fileLink(file: string, line: number | null, text: string): HTMLAnchorElement {
    const a = el('a', { href: '#', className: 'file-link', testid: 'file-link', data: { file, line: line ?? '' } }, text);
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      post({ type: 'openFile', file, line: typeof line === 'number' ? line : null });
    });
    return a;
  }

  /** Traceback text with `File "...", line N` turned into links. */
  function renderTraceback(text: string): HTMLPreElement {
    const pre = el('pre', { className: 'traceback', testid: 'traceback' });
    for (const line of String(text).split('\n')) {
      const m = FRAME.exec(line);
      if (m) {
        pre.appendChild(document.createTextNode(line.slice(0, m.index)));
        pre.appendChild(fileLink(m[1] ?? '', Number(m[2]), m[0]));
        pre.appendChild(document.createTextNode(line.slice(m.index + m[0].length)));
      } else {
        pre.appendChild(document.createTextNode(line));
      }
      pre.appendChild(document.createTextNode('\n'));
    }
    return pre;
  }

  /** The step's @card output. A click opens the card's HTML file as text: this CSP renders no HTML from data. */
  function renderCards(list: readonly Card[]): void {
    clear(cardList);
    for (const card of list) {
      if (!isObject(card) || typeof card.path !== 'string' || !card.path) continue;
      const link = fileLink(card.path, null, String(card.type));
      link.setAttribute('data-testid', 'card');
      link.setAttribute('title', card.path);
      const id =
        typeof card.id === 'string' && card.id ? el('span', { className: 'card-id muted', testid: 'card-id' }, card.id) : null;
      cardList.appendChild(el('li', {}, link, id));
    }
    cards.hidden = cardList.childNodes.length === 0;
  }

  return {
    failure,
    cards,
    footer,

    reset(): void {
      clear(failure);
      failure.hidden = true;
      clear(cardList);
      cards.hidden = true;
      clear(footer);
      footer.hidden = true;
    },

    onFailed(e: FailedEvent): void {
      const cancelled = e.kind === 'cancelled';
      clear(failure);
      failure.className = `failure ${cancelled ? 'cancelled' : ''}`;
      failure.appendChild(el('h2', {}, cancelled ? 'Cancelled' : `Failed (${e.kind})`));
      failure.appendChild(el('div', { className: 'error', testid: 'failure-error' }, String(e.error)));
      if (e.code) failure.appendChild(el('div', { className: 'muted' }, `code: ${e.code}`));
      if (typeof e.file === 'string' && e.file) {
        const line = typeof e.line === 'number' ? e.line : null;
        const where = line !== null ? `${basename(e.file)}:${line}` : basename(e.file);
        const link = fileLink(e.file, line, where);
        link.setAttribute('data-testid', 'failure-location');
        failure.appendChild(el('div', { className: 'location' }, 'at ', link));
      }
      if (typeof e.traceback === 'string' && e.traceback) failure.appendChild(renderTraceback(e.traceback));
      failure.hidden = false;
    },

    onFinished(e: FinishedEvent): void {
      renderCards(Array.isArray(e.cards) ? e.cards : []);
      clear(footer);
      const next = Array.isArray(e.next_steps) ? e.next_steps.map(String) : [];
      if (next.length) {
        const foreach = e.foreach ? ` (foreach over ${e.foreach})` : '';
        footer.appendChild(el('div', { testid: 'next-steps' }, `next: ${next.join(', ')}${foreach}`));
      }
      if (Array.isArray(e.removed) && e.removed.length) {
        footer.appendChild(
          el(
            'div',
            { className: 'removed', testid: 'removed' },
            `no longer produced (vs the source run): ${e.removed.map(String).join(', ')}`,
          ),
        );
      }
      if (e.record) footer.appendChild(el('div', { className: 'muted', testid: 'record' }, `recorded in ${e.record}`));
      footer.hidden = footer.childNodes.length === 0;
    },
  };
}
