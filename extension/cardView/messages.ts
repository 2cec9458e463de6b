/**
 * The messages of the cards webview, host -> webview (no DOM, no `vscode`: the
 * host and the webview both use it). The webview sends only `{type: 'ready'}`.
 */
import type { ExplorerCard } from '../src/protocol';

export type CardsMessage =
  | { type: 'cards'; pathspec: string; cards: ExplorerCard[]; truncated: boolean }
  | { type: 'error'; message: string };

const isText = (v: unknown): v is string => typeof v === 'string';
const isTextOrNull = (v: unknown): boolean => v === null || isText(v);

function isCard(v: unknown): v is ExplorerCard {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return isText(c.type) && isTextOrNull(c.id) && isTextOrNull(c.html) && isTextOrNull(c.note) && (c.size === null || typeof c.size === 'number');
}

/** The host's message, checked (anything else is undefined and ignored). */
export function parseCardsMessage(data: unknown): CardsMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (m.type === 'error' && isText(m.message)) return { type: 'error', message: m.message };
  if (m.type !== 'cards' || !isText(m.pathspec) || !Array.isArray(m.cards)) return undefined;
  return { type: 'cards', pathspec: m.pathspec, cards: m.cards.filter(isCard), truncated: m.truncated === true };
}
