/**
 * The results panel's @card previews, host side: the HTML of each card a spin's
 * Finished event named, read here (the webview never names a path) and bounded.
 */
import * as fs from 'node:fs';
import { formatSize } from './format';
import type { CardHtml } from './messages';
import type { FinishedEvent } from './protocol';

/** Cards larger than this are not previewed (the panel keeps their open-file link). */
export const CARD_PREVIEW_BYTES = 8 * 1024 * 1024;

/**
 * One card's HTML, or a note saying why it is not previewed. Read synchronously
 * (a local file of at most `limit` bytes, ~1 MB for Metaflow's cards), so the
 * panel gets a card right after the event that named it, in order.
 */
export function readCard(file: string, limit: number = CARD_PREVIEW_BYTES): Pick<CardHtml, 'html' | 'note'> {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const { size } = fs.fstatSync(fd);
    if (size > limit) return { html: null, note: `card too large to preview (${formatSize(size)})` };
    // Read at most limit + 1 bytes: a file growing after the stat is still bounded.
    const buffer = Buffer.alloc(Math.min(size, limit) + 1);
    let length = 0;
    for (let n = -1; n !== 0 && length < buffer.length; length += n) n = fs.readSync(fd, buffer, length, buffer.length - length, length);
    if (length > limit) return { html: null, note: 'card too large to preview' };
    return { html: buffer.subarray(0, length).toString('utf8'), note: null };
  } catch (error) {
    return { html: null, note: `card not readable: ${error instanceof Error ? error.message : String(error)}` };
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A message per card of `finished`, in its order (`index` is the card's position). */
export function cardMessages(finished: FinishedEvent, limit: number = CARD_PREVIEW_BYTES): CardHtml[] {
  const cards = Array.isArray(finished.cards) ? finished.cards : [];
  return cards.map((card, index): CardHtml => {
    const body = typeof card.path === 'string' && card.path ? readCard(card.path, limit) : { html: null, note: 'card has no file' };
    return { type: 'cardHtml', spinId: finished.spin_id, index, ...body };
  });
}
