/** The header: flow and step, status, Cancel, where the inputs come from, timings, progress. */
import type { PausedEvent, ProgressEvent, StartedEvent } from '../src/protocol';
import type { QueueItem } from '../src/panelNotes';
import { append, clear, el } from './dom';
import { type Post, type SpinState, STATUS_TEXT, type Status, isRunning } from './state';
import { basename, formatSeconds, isObject } from './values';

const TIMINGS = [
  ['prepare_s', 'prepare'],
  ['load_s', 'load'],
  ['step_s', 'step'],
  ['paused_s', 'paused'],
  ['outputs_s', 'outputs'],
  ['total_s', 'total'],
] as const;

/** How often the elapsed time of a running spin is redrawn (ms). */
const TICK_MS = 250;

export function createHeader(state: SpinState, post: Post) {
  const flowEl = el('span', { className: 'flow', testid: 'flow' });
  const stepEl = el('span', { className: 'step', testid: 'step' });
  const statusEl = el('span', { className: 'status badge', testid: 'status', data: { status: 'idle' } }, STATUS_TEXT.idle);
  const cancelButton = el('button', { className: 'cancel', testid: 'cancel', type: 'button', hidden: true }, 'Cancel');
  const sourceEl = el('div', { className: 'source', testid: 'source' });
  const timingsEl = el('div', { className: 'timings', testid: 'timings' });
  const progressEl = el('div', { className: 'progress', testid: 'progress', hidden: true });
  // The other spins of this window not yet over: queued behind this one, or running.
  const queueEl = el('ul', { className: 'queue', testid: 'queue', hidden: true });
  const element = el(
    'header',
    { className: 'header' },
    el('div', { className: 'title' }, el('h1', {}, flowEl, stepEl), statusEl, cancelButton),
    sourceEl,
    timingsEl,
    progressEl,
    queueEl,
  );
  // The foreach child on display: `index 2`, then its value once known (setChild).
  const childEl = el('span', { className: 'child', testid: 'child' });
  let childIndex: string | undefined;
  cancelButton.addEventListener('click', () => post({ type: 'cancel' }));
  let timer: number | undefined;
  // A debug spin stopped in the debugger: since when (ms), and the time stopped
  // before, kept out of the elapsed time as the engine keeps it out of step_s.
  let pausedSince: number | undefined;
  let pausedMs = 0;
  let flowFile: string | undefined;

  function resume(): void {
    if (pausedSince !== undefined) pausedMs += Date.now() - pausedSince;
    pausedSince = undefined;
    statusEl.removeAttribute('title');
  }

  function renderTimings(): void {
    clear(timingsEl);
    const terminal = state.terminal;
    if (terminal && isObject(terminal.timings)) {
      const t = terminal.timings;
      // Each timing whole on its line ("step 276 ms" never splits before "ms").
      for (const [key, label] of TIMINGS) {
        if (typeof t[key] !== 'number') continue;
        if (timingsEl.firstChild) timingsEl.appendChild(document.createTextNode(' · '));
        timingsEl.appendChild(el('span', { className: 'timing' }, `${label} ${formatSeconds(t[key])}`));
      }
    } else if (state.startedAt !== undefined && state.status !== 'idle') {
      const paused = pausedMs + (pausedSince === undefined ? 0 : Date.now() - pausedSince);
      timingsEl.textContent = `${formatSeconds((Date.now() - state.startedAt - paused) / 1000)} elapsed`;
    }
  }

  function setStatus(status: Status): void {
    resume();
    state.status = status;
    statusEl.textContent = STATUS_TEXT[status];
    statusEl.setAttribute('data-status', status);
    const running = isRunning(status);
    cancelButton.hidden = !running;
    if (running && timer === undefined) {
      timer = setInterval(renderTimings, TICK_MS);
    } else if (!running && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
    renderTimings();
  }

  function hideProgress(): void {
    progressEl.hidden = true;
  }

  return {
    element,
    setStatus,
    hideProgress,

    reset(uri: string, step: string): void {
      pausedSince = undefined;
      pausedMs = 0;
      childIndex = undefined;
      childEl.textContent = '';
      flowEl.textContent = basename(uri);
      stepEl.textContent = step ? `.${step}` : '';
      clear(sourceEl);
      clear(timingsEl);
      progressEl.hidden = true;
      progressEl.textContent = '';
    },

    onStarted(e: StartedEvent): void {
      flowFile = e.flow_file;
      flowEl.textContent = String(e.flow);
      stepEl.textContent = `.${e.step}`;
      clear(sourceEl);
      const s: Partial<StartedEvent['source']> = isObject(e.source) ? e.source : {};
      const parts = [`run ${s.run_id}`];
      if (s.task_id !== null && s.task_id !== undefined) parts.push(`task ${s.task_id}`);
      const parents = Array.isArray(s.parents) ? `parents: ${s.parents.join(', ')}` : undefined;
      childIndex = typeof s.index === 'number' ? `index ${s.index}` : undefined;
      childEl.textContent = childIndex ? ` · ${childIndex}` : '';
      append(
        sourceEl,
        el('span', { className: 'label' }, 'inputs from '),
        el('span', { testid: 'source-run', title: parents }, parts.join(' · '), childEl),
        el('span', { className: `kernel badge ${e.warm ? 'warm' : 'cold'}`, testid: 'kernel' }, e.warm ? 'warm kernel' : 'new kernel'),
      );
      hideProgress();
      setStatus('running');
    },

    /** `alphas=0.01`: the value of the foreach child on display. */
    setChild(text: string): void {
      if (childIndex) childEl.textContent = ` · ${childIndex} · ${text}`;
    },

    /** The other spins, each a button that shows it here (the host looks its request id up). */
    setQueue(items: readonly QueueItem[]): void {
      clear(queueEl);
      for (const item of items) {
        const text = item.state === 'queued' ? `queued: ${item.step}${item.after ? ` (after ${item.after})` : ''}` : `running: ${item.step}`;
        const show = el('button', { className: 'queue-show', type: 'button', testid: 'queue-show', title: `Show the spin of ${item.step}` }, text);
        const { requestId } = item;
        show.addEventListener('click', () => post({ type: 'showSpin', requestId }));
        queueEl.appendChild(el('li', { className: `queued ${item.state}`, testid: 'queue-item', data: { state: item.state } }, show));
      }
      queueEl.hidden = items.length === 0;
    },

    /** "paused at train, line 128" (a function in another file names the file). */
    onPaused(e: PausedEvent): void {
      pausedSince ??= Date.now();
      const where = e.file === flowFile ? e.function : `${e.function} (${basename(e.file)})`;
      statusEl.textContent = `paused at ${where}, line ${e.line}`;
      statusEl.setAttribute('data-status', 'paused');
      statusEl.title = `${e.file}:${e.line}`;
      renderTimings();
    },

    onResumed(): void {
      resume();
      statusEl.textContent = STATUS_TEXT[state.status];
      statusEl.setAttribute('data-status', state.status);
    },

    onProgress(e: ProgressEvent): void {
      progressEl.hidden = false;
      progressEl.textContent = String(e.message);
      if (state.status === 'starting') setStatus('preparing');
    },
  };
}
