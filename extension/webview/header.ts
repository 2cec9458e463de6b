/** The header: flow and step, status, Cancel, where the inputs come from, timings, progress. */
import type { ProgressEvent, StartedEvent } from '../src/protocol';
import { append, clear, el } from './dom';
import { type Post, type SpinState, STATUS_TEXT, type Status, isRunning } from './state';
import { basename, formatSeconds, isObject } from './values';

const TIMINGS = [
  ['prepare_s', 'prepare'],
  ['load_s', 'load'],
  ['step_s', 'step'],
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
  const element = el(
    'header',
    { className: 'header' },
    el('div', { className: 'title' }, el('h1', {}, flowEl, stepEl), statusEl, cancelButton),
    sourceEl,
    timingsEl,
    progressEl,
  );
  cancelButton.addEventListener('click', () => post({ type: 'cancel' }));
  let timer: number | undefined;

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
      timingsEl.textContent = `${formatSeconds((Date.now() - state.startedAt) / 1000)} elapsed`;
    }
  }

  function setStatus(status: Status): void {
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
      flowEl.textContent = basename(uri);
      stepEl.textContent = step ? `.${step}` : '';
      clear(sourceEl);
      clear(timingsEl);
      progressEl.hidden = true;
      progressEl.textContent = '';
    },

    onStarted(e: StartedEvent): void {
      flowEl.textContent = String(e.flow);
      stepEl.textContent = `.${e.step}`;
      clear(sourceEl);
      const s: Partial<StartedEvent['source']> = isObject(e.source) ? e.source : {};
      const parts = [`run ${s.run_id}`];
      if (s.task_id !== null && s.task_id !== undefined) parts.push(`task ${s.task_id}`);
      if (typeof s.index === 'number') parts.push(`index ${s.index}`);
      const parents = Array.isArray(s.parents) ? `parents: ${s.parents.join(', ')}` : undefined;
      append(
        sourceEl,
        el('span', { className: 'label' }, 'inputs from '),
        el('span', { testid: 'source-run', title: parents }, parts.join(' · ')),
        el('span', { className: `kernel badge ${e.warm ? 'warm' : 'cold'}`, testid: 'kernel' }, e.warm ? 'warm kernel' : 'new kernel'),
      );
      hideProgress();
      setStatus('running');
    },

    onProgress(e: ProgressEvent): void {
      progressEl.hidden = false;
      progressEl.textContent = String(e.message);
      if (state.status === 'starting') setStatus('preparing');
    },
  };
}
