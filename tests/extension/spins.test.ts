import { describe, expect, it } from 'vitest';
import { type SpinEvent, normalizeEvent } from '../../extension/src/protocol';
import {
  MAX_LOG_CHARS,
  type SpinChange,
  SpinStore,
  changedCount,
  isDone,
  queueItems,
  userArtifacts,
} from '../../extension/src/spins';
import { loadFixtures } from './fixtures';

const fixtures = loadFixtures();
const URI = 'file:///work/project/flow.py';
const OTHER = 'file:///work/project/other.py';

function events(name: keyof ReturnType<typeof loadFixtures>): SpinEvent[] {
  return fixtures[name].map((e) => normalizeEvent(e as unknown as SpinEvent));
}

function log(spinId: string, text: string): SpinEvent {
  return { event: 'log', spin_id: spinId, stream: 'stdout', text };
}

describe('SpinStore routing', () => {
  it('gives the events of a document to the spin requested for it, by spin id', () => {
    const store = new SpinStore();
    const changes: SpinChange[] = [];
    store.onDidChange((c) => changes.push(c));
    const record = store.begin(URI, 'train');
    expect(record.state).toBe('pending');
    for (const e of events('ok')) expect(store.route(URI, e)).toBe(record);
    expect(record.spinId).toBe('a1b2c3');
    expect(record.state).toBe('ok');
    expect(record.flowFile).toBe('/work/project/flows/training_flow.py');
    expect(record.artifacts.map((a) => a.name)).toContain('art_table');
    expect(record.terminal?.event).toBe('finished');
    // Metaflow's own _transition changed too: bookkeeping, not a change the step made.
    expect(record.artifacts.find((a) => a.name === '_transition')).toMatchObject({ internal: true, vs_source: 'changed' });
    expect(changedCount(record)).toBe(12);
    expect(userArtifacts(record).map((a) => a.name)).not.toContain('_graph_info');
    expect(changes[0]).toEqual({ record });
    expect(changes.slice(1).map((c) => c.event?.event)).toEqual(events('ok').map((e) => e.event));
  });

  it('keeps documents apart', () => {
    const store = new SpinStore();
    const a = store.begin(URI, 'train');
    const b = store.begin(OTHER, 'start');
    store.route(OTHER, log('s-b', 'b'));
    store.route(URI, log('s-a', 'a'));
    expect(a.spinId).toBe('s-a');
    expect(b.spinId).toBe('s-b');
    expect(a.events).toHaveLength(1);
    expect(b.events).toHaveLength(1);
  });

  it('routes late events of an earlier spin to that spin, not to the new one', () => {
    const store = new SpinStore();
    const first = store.begin(URI, 'train');
    store.route(URI, log('one', 'first'));
    const second = store.begin(URI, 'train');
    store.route(URI, log('two', 'second'));
    store.route(URI, { event: 'failed', spin_id: 'one', status: 'failed', kind: 'cancelled', error: 'Cancelled.', code: null, traceback: null, file: null, line: null, timings: {} });
    expect(first.state).toBe('cancelled');
    expect(second.state).toBe('running');
    expect(second.events.map((e) => e.spin_id)).toEqual(['two']);
  });

  it('matches the interleaved events of two requests by their requestId', () => {
    const store = new SpinStore();
    const first = store.begin(URI, 'train');
    const second = store.begin(URI, 'tune');
    expect(first.requestId).not.toBe(second.requestId);
    // The second request's events come first: matched by requestId, not by order.
    store.route(URI, log('two', 'second, first'), second.requestId);
    store.route(URI, log('one', 'first'), first.requestId);
    store.route(URI, log('two', 'second, again'), second.requestId);
    store.route(URI, { event: 'finished', spin_id: 'one', status: 'ok', next_steps: [], foreach: null, removed: [], record: null, cards: [], timings: {} }, first.requestId);
    expect(first.spinId).toBe('one');
    expect(second.spinId).toBe('two');
    expect(first.events.map((e) => e.event)).toEqual(['log', 'finished']);
    expect(second.events.map((e) => (e.event === 'log' ? e.text : e.event))).toEqual(['second, first', 'second, again']);
    expect(first.state).toBe('ok');
    expect(second.state).toBe('running');
  });

  it('settles a queued spin cancelled alone, the spin ahead of it untouched', () => {
    const store = new SpinStore();
    const running = store.begin(URI, 'train');
    const queued = store.begin(URI, 'train');
    store.route(URI, log('one', 'running'), running.requestId);
    store.route(URI, { event: 'failed', spin_id: 'q', status: 'failed', kind: 'cancelled', error: 'Cancelled before it started.', code: null, traceback: null, file: null, line: null, timings: {} }, queued.requestId);
    store.complete(queued, { spinId: 'q', status: 'cancelled' });
    expect(queued.state).toBe('cancelled');
    expect(queued.events.map((e) => e.event)).toEqual(['failed']);
    expect(running.state).toBe('running');
    expect(running.events).toHaveLength(1);
  });

  it('settles a spin whose only news is a cancelled result', () => {
    const store = new SpinStore();
    const record = store.begin(URI, 'train');
    store.complete(record, { spinId: 'c', status: 'cancelled' });
    expect(record.state).toBe('cancelled');
    expect(record.terminal).toMatchObject({ event: 'failed', kind: 'cancelled', spin_id: 'c' });
  });

  it("gives a request id's events to no other spin, even one still waiting", () => {
    const store = new SpinStore();
    const waiting = store.begin(URI, 'train');
    expect(store.route(URI, log('x', 'not ours'), 'another-window-1')).toBeUndefined();
    expect(store.route(URI, log('y', 'no request id'), null)).toBeUndefined();
    expect(waiting.spinId).toBeUndefined();
  });

  it('without request ids (a server older than them), gives new spin ids to requests in order', () => {
    const store = new SpinStore();
    const first = store.begin(URI, 'train');
    const second = store.begin(URI, 'tune');
    store.route(URI, log('one', 'first runs first'));
    store.route(URI, { event: 'finished', spin_id: 'one', status: 'ok', next_steps: [], foreach: null, removed: [], record: null, cards: [], timings: {} });
    store.route(URI, log('two', 'then the second'));
    expect(first.spinId).toBe('one');
    expect(first.state).toBe('ok');
    expect(second.spinId).toBe('two');
    expect(second.state).toBe('running');
  });

  it('shows a spin it did not request when it starts, and drops other strays', () => {
    const store = new SpinStore();
    expect(store.route(URI, log('stray', 'x'))).toBeUndefined();
    const started = events('cancelled')[0];
    if (!started) throw new Error('fixture');
    const record = store.route(URI, started);
    expect(record?.step).toBe('train');
    expect(record?.spinId).toBe('c1');
    expect(store.latest(URI, 'train')).toBe(record);
  });

  it('settles a spin whose request failed without a terminal event', () => {
    const store = new SpinStore();
    const changes: SpinChange[] = [];
    store.onDidChange((c) => changes.push(c));
    const record = store.begin(URI, 'train');
    store.complete(record, undefined, 'The Spinlens server is not running.');
    expect(record.state).toBe('failed');
    expect(record.terminal).toMatchObject({ event: 'failed', kind: 'setup', error: 'The Spinlens server is not running.' });
    expect(changes.at(-1)?.event?.event).toBe('failed');
  });

  it('trusts the terminal event over the command result', () => {
    const store = new SpinStore();
    const record = store.begin(URI, 'train');
    for (const e of events('failed')) store.route(URI, e);
    store.complete(record, { spinId: 'f1', status: 'failed', error: 'ValueError: bad <input>' });
    expect(record.events.filter((e) => e.event === 'failed')).toHaveLength(1);
    expect(record.state).toBe('failed');
  });

  it('marks an ok result without events as done', () => {
    const store = new SpinStore();
    const record = store.begin(URI, 'train');
    store.complete(record, { spinId: 'z', status: 'ok' });
    expect(record.spinId).toBe('z');
    expect(isDone(record)).toBe(true);
  });

  it('a rejected spin (only failed) ends failed, a cancelled one cancelled', () => {
    const store = new SpinStore();
    const rejected = store.begin(URI, 'train');
    for (const e of events('rejected')) store.route(URI, e);
    expect(rejected.state).toBe('failed');
    const cancelled = store.begin(URI, 'train');
    for (const e of events('cancelled')) store.route(URI, e);
    expect(cancelled.state).toBe('cancelled');
  });

  it('finds the latest and the running spins', () => {
    const store = new SpinStore();
    const a = store.begin(URI, 'train');
    store.complete(a, { spinId: 'a', status: 'ok' });
    const b = store.begin(URI, 'tune');
    expect(store.latest(URI, 'train')).toBe(a);
    expect(store.latest(URI)).toBe(b);
    expect(store.running(URI)).toBe(b);
    expect(store.running(OTHER)).toBeUndefined();
    expect(store.running()).toBe(b);
    expect(store.last()).toBe(b);
  });

  it('matches documents by normalized uri', () => {
    const store = new SpinStore((uri) => uri.toLowerCase());
    const record = store.begin('file:///C:/Flow.py', 'train');
    expect(store.route('file:///c:/flow.py', log('x', 'hi'))).toBe(record);
  });

  it('bounds the log text it keeps', () => {
    const store = new SpinStore();
    const record = store.begin(URI, 'train');
    const chunk = 'x'.repeat(1_000_000);
    for (let i = 0; i < 6; i++) store.route(URI, log('s', chunk));
    expect(record.logChars).toBeLessThanOrEqual(MAX_LOG_CHARS);
    expect(record.events.length).toBeLessThan(6);
  });

  it('unsubscribes listeners', () => {
    const store = new SpinStore();
    let calls = 0;
    const sub = store.onDidChange(() => calls++);
    store.begin(URI, 'a');
    sub.dispose();
    store.begin(URI, 'b');
    expect(calls).toBe(1);
  });
});

describe('the queue beside the shown spin', () => {
  it('lists every unfinished spin but the shown one, each after the one ahead of it in its file', () => {
    const store = new SpinStore();
    const train = store.begin(URI, 'train');
    store.route(URI, log('a', 'x'), train.requestId);
    const tune = store.begin(URI, 'tune');
    const other = store.begin(OTHER, 'start');
    const end = store.begin(URI, 'end');
    expect(store.active(URI)).toEqual([train, tune, end]);
    expect(queueItems(store.active(), train)).toEqual([
      { requestId: tune.requestId, step: 'tune', state: 'queued', after: 'train' },
      { requestId: other.requestId, step: 'start', state: 'queued', after: undefined },
      { requestId: end.requestId, step: 'end', state: 'queued', after: 'tune' },
    ]);
    // train ends: tune is next, and running once its events come.
    store.complete(train, { spinId: 'a', status: 'cancelled' });
    store.route(URI, log('b', 'y'), tune.requestId);
    expect(store.active(URI)).toEqual([tune, end]);
    expect(queueItems(store.active(), train)).toEqual([
      { requestId: tune.requestId, step: 'tune', state: 'running', after: undefined },
      { requestId: other.requestId, step: 'start', state: 'queued', after: undefined },
      { requestId: end.requestId, step: 'end', state: 'queued', after: 'tune' },
    ]);
  });
});
