/**
 * How the spin ended: a failure (with its traceback's files as links), the
 * step's @card output, and the footer (next steps, removed artifacts, record).
 */
import type { CardHtml } from '../src/messages';
import type { Card, FailedEvent, FinishedEvent } from '../src/protocol';
import { cardFrame } from './cardFrames';
import { clear, el } from './dom';
import type { Post } from './state';
import { basename, isObject } from './values';

const FRAME = /File "([^"]+)", line (\d+)/;

/** A card of the shown spin: its toggle, and its preview once the host sent the HTML. */
interface CardEntry {
  title: string;
  toggle: HTMLButtonElement;
  preview: HTMLDivElement;
  note: HTMLDivElement;
  /** The card's HTML, kept until the preview is first opened. */
  html: string | null;
  frame: HTMLIFrameElement | null;
  /** The host's answer arrived (HTML or a note): later ones for the same card are ignored. */
  answered: boolean;
}

export function createOutcome(post: Post) {
  const failure = el('section', { className: 'failure', testid: 'failure', hidden: true });
  const cardList = el('ul', { className: 'cards' });
  const cards = el('section', { className: 'cards-section', testid: 'cards', hidden: true }, el('h2', {}, 'Cards'), cardList);
  const footer = el('section', { className: 'footer', testid: 'footer', hidden: true });
  let cardSpin: string | undefined;
  /** By the card's position in Finished.cards, as the host's messages name it. */
  let cardEntries = new Map<number, CardEntry>();

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

  /** The card's frame, made when its preview is first open and its HTML is there. */
  function showFrame(entry: CardEntry): void {
    if (entry.frame || entry.html === null || entry.preview.hidden) return;
    entry.frame = cardFrame(entry.html, entry.title);
    entry.html = null;
    entry.note.hidden = true;
    entry.preview.appendChild(entry.frame);
  }

  function setOpen(entry: CardEntry, open: boolean): void {
    entry.preview.hidden = !open;
    entry.toggle.setAttribute('aria-expanded', String(open));
    entry.toggle.textContent = open ? '▾' : '▸';
    showFrame(entry);
  }

  /**
   * The step's @card output: per card a link that opens its HTML file, and a
   * preview (open when it is the only card) that shows the card in a sandboxed
   * frame once the host sends its HTML.
   */
  function renderCards(list: readonly Card[], spinId: string): void {
    clear(cardList);
    cardSpin = spinId;
    cardEntries = new Map();
    const hasFile = (card: Card): boolean => isObject(card) && typeof card.path === 'string' && card.path !== '';
    const only = list.filter(hasFile).length === 1;
    for (const [index, card] of list.entries()) {
      if (!hasFile(card)) continue; // index stays the card's place in Finished.cards, as the host counts
      const link = fileLink(card.path, null, String(card.type));
      link.setAttribute('data-testid', 'card');
      link.setAttribute('title', card.path);
      const id =
        typeof card.id === 'string' && card.id ? el('span', { className: 'card-id muted', testid: 'card-id' }, card.id) : null;
      const title = `card ${String(card.type)}${typeof card.id === 'string' && card.id ? ` ${card.id}` : ''}`;
      const toggle = el('button', {
        className: 'card-toggle',
        testid: 'card-toggle',
        type: 'button',
        title: 'Show or hide the card',
        'aria-label': `Show or hide ${title}`,
      });
      const note = el('div', { className: 'card-note muted', testid: 'card-note' }, 'loading card…');
      const preview = el('div', { className: 'card-preview', testid: 'card-preview' }, note);
      const entry: CardEntry = { title, toggle, preview, note, html: null, frame: null, answered: false };
      toggle.addEventListener('click', () => setOpen(entry, preview.hidden));
      setOpen(entry, only);
      cardEntries.set(index, entry);
      cardList.appendChild(el('li', { className: 'card-entry' }, el('div', { className: 'card-head' }, toggle, link, id), preview));
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
      cardSpin = undefined;
      cardEntries = new Map();
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

    /** A card's HTML (or why there is none) for the spin shown; anything else is stale and ignored. */
    onCardHtml(message: CardHtml): void {
      const entry = message.spinId === cardSpin ? cardEntries.get(message.index) : undefined;
      if (!entry || entry.answered) return;
      entry.answered = true;
      if (message.html === null) {
        entry.note.textContent = message.note ?? 'card not previewed';
        return;
      }
      entry.html = message.html;
      showFrame(entry);
    },

    onFinished(e: FinishedEvent): void {
      renderCards(Array.isArray(e.cards) ? e.cards : [], e.spin_id);
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
