/** The step's output as it streams, bounded to the newest MAX_LOG_CHARS characters. */
import type { LogEvent } from '../src/protocol';
import { clear, el } from './dom';

export const MAX_LOG_CHARS = 1_000_000;

/** Pixels from the bottom within which the log follows new output. */
const FOLLOW_PX = 8;

export function createLog() {
  const logEl = el('pre', { className: 'log', testid: 'log' });
  const emptyEl = el('div', { className: 'muted', testid: 'log-empty' }, 'No output yet.');
  const trimmedEl = el(
    'div',
    { className: 'muted', testid: 'log-trimmed', hidden: true },
    `Earlier output not shown: the panel keeps the last ${MAX_LOG_CHARS.toLocaleString('en-US')} characters.`,
  );
  const element = el('section', { className: 'output' }, el('h2', {}, 'Output'), emptyEl, trimmedEl, logEl);
  let chars = 0;

  // Keep the newest MAX_LOG_CHARS characters: older spans go whole, then the
  // oldest one left loses its start (one long stream is cut, never cleared).
  function trim(): void {
    while (chars > MAX_LOG_CHARS && logEl.firstElementChild) {
      const first = logEl.firstElementChild;
      const text = first.textContent ?? '';
      const excess = chars - MAX_LOG_CHARS;
      if (text.length <= excess) {
        logEl.removeChild(first);
        chars -= text.length;
      } else {
        first.textContent = text.slice(excess);
        chars -= excess;
      }
      trimmedEl.hidden = false;
    }
  }

  return {
    element,

    reset(): void {
      chars = 0;
      clear(logEl);
      trimmedEl.hidden = true;
      emptyEl.hidden = false;
      emptyEl.textContent = 'No output yet.';
    },

    onLog(e: LogEvent): void {
      const stream = e.stream === 'stderr' ? 'stderr' : 'stdout';
      const text = String(e.text);
      const atBottom = logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < FOLLOW_PX;
      const last = logEl.lastElementChild;
      if (last && last.getAttribute('data-stream') === stream) {
        last.appendChild(document.createTextNode(text));
      } else {
        logEl.appendChild(el('span', { className: stream, data: { stream } }, text));
      }
      emptyEl.hidden = true;
      chars += text.length;
      trim();
      if (atBottom) logEl.scrollTop = logEl.scrollHeight;
    },

    /** The spin is over: an empty log says there was no output at all. */
    ended(): void {
      if (chars === 0) emptyEl.textContent = 'No output.';
    },
  };
}
