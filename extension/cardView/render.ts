/**
 * A past task's @cards, as DOM: a heading per card (its type and id), then the
 * card in a sandboxed srcdoc frame (webview/cardFrames.ts: the card's own scripts
 * only, no access to the webview's messaging), or the note saying why it is not
 * shown. Every text goes in through textContent.
 */
import type { ExplorerCard } from '../src/protocol';
import type { CardsMessage } from './messages';

function el(doc: Document, tag: string, text: string, className?: string): HTMLElement {
  const node = doc.createElement(tag);
  node.textContent = text;
  if (className) node.className = className;
  return node;
}

export function cardTitle(card: ExplorerCard): string {
  return card.id ? `${card.type} card · ${card.id}` : `${card.type} card`;
}

/** `frame` makes a card's sandboxed frame (cardFrames.ts's cardFrame in the webview). */
export function renderCards(
  doc: Document,
  root: HTMLElement,
  message: CardsMessage,
  frame: (html: string, title: string) => HTMLElement,
): void {
  root.replaceChildren();
  if (message.type === 'error') {
    root.append(el(doc, 'p', message.message, 'error'));
    return;
  }
  root.append(el(doc, 'h1', `Cards of ${message.pathspec}`));
  if (!message.cards.length) root.append(el(doc, 'p', 'This task has no cards.', 'note'));
  for (const card of message.cards) {
    const section = doc.createElement('section');
    section.setAttribute('data-testid', 'card');
    section.append(el(doc, 'h2', cardTitle(card)));
    if (card.html !== null) section.append(frame(card.html, cardTitle(card)));
    else section.append(el(doc, 'p', card.note ?? 'card not shown', 'note'));
    root.append(section);
  }
  if (message.truncated) root.append(el(doc, 'p', 'The task has more cards than are shown.', 'note'));
}
