/** The results panel: its sections, and the messages and spin events that drive them. */
import type { SpinEvent } from '../src/protocol';
import { createArtifacts } from './artifacts';
import { dropCardMessages } from './cardFrames';
import { append, clear, el } from './dom';
import { createHeader } from './header';
import { parseHostMessage } from './hostMessages';
import { createLog } from './log';
import { createOutcome } from './outcome';
import { rowValues } from './rowsValue';
import type { Post, SpinState } from './state';
import type { ViewStateStore } from './viewState';

export function createPanel(
  root: HTMLElement,
  post: Post,
  view: ViewStateStore,
): { handleMessage(message: unknown): void } {
  const state: SpinState = { uri: undefined, step: undefined, status: 'idle', startedAt: undefined, terminal: undefined };
  const header = createHeader(state, post);
  const log = createLog();
  const artifacts = createArtifacts(state, view);
  const outcome = createOutcome(post);
  // Capturing, and added before main.ts's listener: a card frame's messages stop here.
  window.addEventListener('message', dropCardMessages, true);
  rowValues.connect(post);
  const emptyEl = el(
    'div',
    { className: 'empty', testid: 'empty' },
    'No spin yet. Click “▶ Spin this step” above a @step, or run “Spinlens: Spin step”.',
  );
  const content = el(
    'div',
    { className: 'content', hidden: true },
    outcome.failure,
    log.element,
    artifacts.element,
    outcome.cards,
    outcome.footer,
  );
  clear(root);
  append(root, header.element, emptyEl, content);

  function reset(uri: string, step: string): void {
    state.uri = uri;
    state.step = step;
    state.terminal = undefined;
    state.startedAt = Date.now();
    header.reset(uri, step);
    outcome.reset();
    log.reset();
    artifacts.reset();
    emptyEl.hidden = true;
    content.hidden = false;
    header.setStatus('starting');
  }

  function onEvent(e: SpinEvent): void {
    if (state.status === 'idle') reset(state.uri || '', state.step || '');
    switch (e.event) {
      case 'progress':
        header.onProgress(e);
        break;
      case 'started':
        state.step = e.step;
        header.onStarted(e);
        artifacts.setStep(`${e.flow}.${e.step}`);
        break;
      case 'log':
        log.onLog(e);
        break;
      case 'paused':
        header.onPaused(e);
        break;
      case 'resumed':
        header.onResumed();
        break;
      case 'artifact':
        artifacts.onArtifact(e);
        break;
      case 'finished':
        state.terminal = e;
        artifacts.layout();
        outcome.onFinished(e);
        header.hideProgress();
        log.ended();
        header.setStatus('ok');
        break;
      case 'failed':
        state.terminal = e;
        artifacts.layout();
        outcome.onFailed(e);
        header.hideProgress();
        log.ended();
        header.setStatus(e.kind === 'cancelled' ? 'cancelled' : 'failed');
        break;
      default:
        break;
    }
  }

  function handleMessage(raw: unknown): void {
    if (rowValues.handle(raw)) return; // a page of an expanded row's value
    const message = parseHostMessage(raw);
    switch (message?.type) {
      case 'spin':
        rowValues.reset();
        reset(message.uri, message.step);
        break;
      case 'event':
        onEvent(message.event);
        break;
      case 'settings':
        artifacts.setDiffRows(message.diffRows);
        break;
      case 'queue':
        header.setQueue(message.items);
        break;
      case 'child':
        header.setChild(message.text);
        break;
      case 'cardHtml':
        outcome.onCardHtml(message);
        break;
      default:
        break;
    }
  }

  return { handleMessage };
}
