/** What the extension posts to the webview, checked before the panel acts on it. */
import type { ToWebview } from '../src/messages';
import type { SpinEvent } from '../src/protocol';
import type { PanelNote, QueueItem } from '../src/panelNotes';
import { isObject } from './values';

/** The message if it has a known shape, else undefined (it is then ignored). */
export function parseHostMessage(raw: unknown): ToWebview | PanelNote | undefined {
  if (!isObject(raw)) return undefined;
  switch (raw.type) {
    case 'spin':
      return typeof raw.uri === 'string' && typeof raw.step === 'string'
        ? { type: 'spin', uri: raw.uri, step: raw.step }
        : undefined;
    case 'event': {
      const event = raw.event;
      // The extension forwards only events it checked (protocol.isSpinEvent); here the
      // discriminant is enough, and the panel ignores event names it does not show.
      return isObject(event) && typeof event.event === 'string'
        ? { type: 'event', event: event as unknown as SpinEvent }
        : undefined;
    }
    case 'queue':
      return Array.isArray(raw.items) ? { type: 'queue', items: raw.items.filter(isQueueItem) } : undefined;
    case 'child':
      return typeof raw.text === 'string' ? { type: 'child', text: raw.text } : undefined;
    case 'cardHtml':
      return typeof raw.spinId === 'string' &&
        Number.isInteger(raw.index) &&
        typeof raw.index === 'number' &&
        raw.index >= 0 &&
        (typeof raw.html === 'string' || raw.html === null) &&
        (typeof raw.note === 'string' || raw.note === null)
        ? { type: 'cardHtml', spinId: raw.spinId, index: raw.index, html: raw.html, note: raw.note }
        : undefined;
    case 'settings':
      return typeof raw.diffRows === 'number' && raw.diffRows >= 1
        ? { type: 'settings', diffRows: Math.floor(raw.diffRows) }
        : undefined;
    default:
      return undefined;
  }
}

function isQueueItem(value: unknown): value is QueueItem {
  return (
    isObject(value) &&
    typeof value.requestId === 'string' &&
    typeof value.step === 'string' &&
    (value.state === 'queued' || value.state === 'running') &&
    (value.after === undefined || typeof value.after === 'string')
  );
}
