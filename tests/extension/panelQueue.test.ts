/**
 * The results panel's queue: each listed spin is a button; a click asks the host
 * to show that spin, by request id, and the host shows it only if it is one of
 * the spins the queue lists.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { parseWebviewMessage } from '../../extension/src/webviewGate';
import { load } from './panelHarness';
import { panelHost } from './panelHost';

const URI = 'file:///work/project/flows/training_flow.py';

describe('the queue in the webview', () => {
  it('posts showSpin with the request id of the item clicked, and nothing else', () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'train' });
    h.send({
      type: 'queue',
      items: [
        { requestId: 'r2', step: 'tune', state: 'queued', after: 'train' },
        { requestId: 'r3', step: 'start', state: 'running' },
      ],
    });
    const buttons = h.all('queue-show');
    expect(buttons.map((b) => b.tagName)).toEqual(['BUTTON', 'BUTTON']);
    expect(buttons.map((b) => b.title)).toEqual(['Show the spin of tune', 'Show the spin of start']);
    buttons[1]?.click();
    buttons[0]?.click();
    expect(h.posted.slice(1)).toEqual([
      { type: 'showSpin', requestId: 'r3' },
      { type: 'showSpin', requestId: 'r2' },
    ]);
    // A step name with markup is text, never HTML.
    h.send({ type: 'queue', items: [{ requestId: 'r4', step: '<b>x</b>', state: 'queued' }] });
    expect(h.q('queue-show').textContent).toBe('queued: <b>x</b>');
    expect(h.q('queue').querySelector('b')).toBeNull();
  });
});

describe('showSpin through the webview gate', () => {
  it('accepts a request id, nothing more', () => {
    expect(parseWebviewMessage({ type: 'showSpin', requestId: 'a1b2-3' })).toEqual({ type: 'showSpin', requestId: 'a1b2-3' });
    for (const bad of [
      { type: 'showSpin' },
      { type: 'showSpin', requestId: 7 },
      { type: 'showSpin', requestId: '' },
      { type: 'showSpin', requestId: '../x' },
      { type: 'showSpin', requestId: 'x'.repeat(101) },
      { type: 'showSpin', requestId: 'r1', uri: URI },
    ]) {
      expect(parseWebviewMessage(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

describe('showSpin in the host', () => {
  let t: ReturnType<typeof panelHost>;
  beforeEach(() => {
    t = panelHost();
  });

  const spinsPosted = (): unknown[] =>
    t.fake().webview.posted.filter((m) => (m as { type: string }).type === 'spin');

  it('shows a listed spin, and lists the one it replaced', () => {
    const first = t.store.begin(URI, 'train');
    t.panel.show(first);
    t.fake().webview.receive({ type: 'ready' });
    t.store.route(URI, { event: 'log', spin_id: 'a', stream: 'stdout', text: 'first output' }, first.requestId);
    const second = t.store.begin(URI, 'tune');
    t.panel.queue(second);
    expect(t.panel.record).toBe(first);

    t.fake().webview.receive({ type: 'showSpin', requestId: second.requestId });
    expect(t.panel.record).toBe(second);
    expect(spinsPosted().at(-1)).toEqual({ type: 'spin', uri: URI, step: 'tune' });
    expect(t.fake().title).toBe('Spinlens: tune');
    // The running one is now the queue's, and a click goes back to it with its output.
    expect(t.fake().webview.posted.at(-1)).toEqual({
      type: 'queue',
      items: [{ requestId: first.requestId, step: 'train', state: 'running', after: undefined }],
    });
    t.fake().webview.receive({ type: 'showSpin', requestId: first.requestId });
    expect(t.panel.record).toBe(first);
    expect(t.fake().webview.posted).toContainEqual({
      type: 'event',
      event: { event: 'log', spin_id: 'a', stream: 'stdout', text: 'first output' },
    });
  });

  it('ignores ids the queue does not list: unknown, the spin shown, a spin that ended', () => {
    const done = t.store.begin(URI, 'start');
    t.store.complete(done, { spinId: 'x', status: 'ok' });
    const shown = t.store.begin(URI, 'train');
    t.panel.show(shown);
    t.fake().webview.receive({ type: 'ready' });
    const before = t.fake().webview.posted.length;
    for (const requestId of ['nope-1', shown.requestId, done.requestId]) {
      t.fake().webview.receive({ type: 'showSpin', requestId });
    }
    expect(t.panel.record).toBe(shown);
    expect(t.fake().webview.posted).toHaveLength(before);
    expect(t.out.lines.filter((l) => l.includes('does not list'))).toHaveLength(3);
  });
});
