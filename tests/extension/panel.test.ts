import { beforeEach, describe, expect, it } from 'vitest';
import { type SpinEvent, normalizeEvent } from '../../extension/src/protocol';
import { loadFixtures } from './fixtures';
import { Uri, mock } from './mocks/vscode';
import { panelHost } from './panelHost';

const fixtures = loadFixtures();
const URI = 'file:///work/project/flows/training_flow.py';
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function setup() {
  const host = panelHost();
  const { store } = host;
  const route = (stream: keyof typeof fixtures): void => {
    for (const e of fixtures[stream]) store.route(URI, normalizeEvent(e as unknown as SpinEvent));
  };
  return { ...host, route };
}

describe('ResultsPanel', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('creates one locked-down webview and reveals it afterwards', () => {
    t.panel.show();
    t.panel.show();
    expect(mock.panels).toHaveLength(1);
    expect(t.fake().revealed).toBe(1);
    expect(t.fake().options).toMatchObject({
      enableScripts: true,
      retainContextWhenHidden: true,
      enableCommandUris: false,
    });
    const roots = (t.fake().options as { localResourceRoots: Uri[] }).localResourceRoots;
    expect(roots.map((r) => r.path)).toEqual(['/ext/media']);
    const html = t.fake().webview.html;
    const nonce = /script-src 'nonce-([^']+)'/.exec(html)?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`<script nonce="${nonce}" src="https://webview.example/ext/media/panel.js">`);
    expect(html).toContain('href="https://webview.example/ext/media/panel.css"');
    expect(html).toContain("default-src 'none'");
  });

  it('uses a fresh nonce each time the panel is created', () => {
    t.panel.show();
    const first = t.fake().webview.html;
    t.fake().dispose();
    t.panel.show();
    expect(mock.panels).toHaveLength(2);
    expect(t.fake().webview.html).not.toBe(first);
  });

  it('posts nothing before ready, then settings and the whole spin, then live events', () => {
    const record = t.store.begin(URI, 'train');
    t.panel.show(record);
    const [first, second, ...rest] = fixtures.ok;
    t.store.route(URI, normalizeEvent(first as unknown as SpinEvent));
    expect(t.fake().webview.posted).toEqual([]);
    t.fake().webview.receive({ type: 'ready' });
    expect(t.fake().webview.posted).toEqual([
      { type: 'settings', diffRows: 7 },
      { type: 'spin', uri: URI, step: 'train' },
      { type: 'event', event: normalizeEvent(first as unknown as SpinEvent) },
    ]);
    t.store.route(URI, normalizeEvent(second as unknown as SpinEvent));
    expect(t.fake().webview.posted.at(-1)).toMatchObject({ type: 'event', event: { event: 'started' } });
    for (const e of rest) t.store.route(URI, normalizeEvent(e as unknown as SpinEvent));
    // A cardHtml per card (the ok fixture's finished event names two) follows `finished`.
    expect(t.fake().webview.posted).toHaveLength(3 + fixtures.ok.length - 1 + 2);
    expect(t.fake().title).toBe('Spinlens: train');
  });

  it('does not post events of a spin it is not showing', () => {
    const shown = t.store.begin(URI, 'train');
    t.panel.show(shown);
    t.fake().webview.receive({ type: 'ready' });
    const before = t.fake().webview.posted.length;
    t.store.begin('file:///work/project/other.py', 'start');
    t.store.route('file:///work/project/other.py', { event: 'log', spin_id: 'o', stream: 'stdout', text: 'x' });
    const posted = t.fake().webview.posted.slice(before) as { type: string }[];
    expect(posted.filter((m) => m.type !== 'queue')).toEqual([]);
    // It is listed, though: running beside the one shown.
    expect(posted.at(-1)).toMatchObject({ type: 'queue', items: [{ step: 'start', state: 'running', after: undefined }] });
  });

  it('keeps showing a running spin while another queues behind it, then moves to it', () => {
    const first = t.store.begin(URI, 'train');
    t.panel.show(first);
    t.fake().webview.receive({ type: 'ready' });
    t.store.route(URI, { event: 'log', spin_id: 'a', stream: 'stdout', text: 'first output' }, first.requestId);
    const second = t.store.begin(URI, 'tune');
    t.panel.queue(second);
    expect(t.panel.record).toBe(first);
    expect(t.fake().webview.posted.at(-1)).toEqual({
      type: 'queue',
      items: [{ requestId: second.requestId, step: 'tune', state: 'queued', after: 'train' }],
    });
    // The first ends: the panel stays until the queued one begins.
    const cancelled = normalizeEvent(fixtures.cancelled.at(-1) as unknown as SpinEvent);
    t.store.route(URI, cancelled, first.requestId);
    expect(first.state).toBe('cancelled');
    expect(t.panel.record).toBe(first);
    t.store.route(URI, { event: 'log', spin_id: 'b', stream: 'stdout', text: 'second output' }, second.requestId);
    expect(t.panel.record).toBe(second);
    const spins = t.fake().webview.posted.filter((m) => (m as { type: string }).type === 'spin');
    expect(spins.at(-1)).toEqual({ type: 'spin', uri: URI, step: 'tune' });
    // The first's output is still in the store.
    expect(first.events.some((e) => e.event === 'log' && e.text === 'first output')).toBe(true);
  });

  it('shows a queued spin at once when nothing runs', () => {
    const done = t.store.begin(URI, 'train');
    t.store.complete(done, { spinId: 'x', status: 'ok' });
    t.panel.show(done);
    const next = t.store.begin(URI, 'tune');
    t.panel.queue(next);
    expect(t.panel.record).toBe(next);
  });

  it('replays the shown spin when the webview reloads', () => {
    const record = t.store.begin(URI, 'train');
    t.route('failed');
    t.panel.show(record);
    t.fake().webview.receive({ type: 'ready' });
    t.fake().webview.receive({ type: 'ready' });
    const spins = t.fake().webview.posted.filter((m) => (m as { type: string }).type === 'spin');
    expect(spins).toHaveLength(2);
  });

  it('ignores anything but the three messages', async () => {
    t.panel.show(t.store.begin(URI, 'train'));
    t.fake().webview.receive({ type: 'ready' });
    const before = t.fake().webview.posted.length;
    for (const junk of [
      { type: 'spin', uri: URI, step: 'train' },
      { type: 'executeCommand', command: 'workbench.action.terminal.new' },
      { type: 'openFile', file: 'relative.py', line: 1 },
      { type: 'cancel', extra: true },
      'ready',
      null,
    ]) {
      t.fake().webview.receive(junk);
    }
    await tick();
    expect(t.fake().webview.posted).toHaveLength(before);
    expect(mock.opened).toEqual([]);
    expect(t.cancelled).toEqual([]);
    expect((t.out as unknown as { lines: string[] }).lines.filter((l) => l.includes('ignored'))).toHaveLength(6);
  });

  it('opens files inside the workspace at the line, and the flow file, nothing else', async () => {
    const record = t.store.begin(URI, 'train');
    t.panel.show(record);
    t.fake().webview.receive({ type: 'openFile', file: '/work/project/flows/training_flow.py', line: 42 });
    await tick();
    expect(mock.opened).toHaveLength(1);
    const options = mock.opened[0]?.options as { selection: { start: { line: number } } };
    expect(mock.opened[0]?.uri.fsPath).toBe('/work/project/flows/training_flow.py');
    expect(options.selection.start.line).toBe(41);

    t.fake().webview.receive({ type: 'openFile', file: '/etc/passwd', line: 1 });
    t.fake().webview.receive({ type: 'openFile', file: '/work/project/../etc/passwd', line: 1 });
    await tick();
    expect(mock.opened).toHaveLength(1);

    // A flow file outside the workspace, named by the started event.
    const outside = t.store.begin('file:///tmp/flows/flow.py', 'train');
    t.store.route('file:///tmp/flows/flow.py', {
      event: 'started', spin_id: 's', flow: 'F', step: 'train', flow_file: '/tmp/flows/flow.py',
      source: { flow: 'F', run_id: '1', step: 'train', task_id: '2', parents: [], index: null, iteration: null }, warm: true,
    });
    t.panel.show(outside);
    t.fake().webview.receive({ type: 'openFile', file: '/tmp/flows/flow.py', line: null });
    t.fake().webview.receive({ type: 'openFile', file: '/tmp/flows/secret.py', line: 1 });
    await tick();
    expect(mock.opened.map((o) => o.uri.fsPath)).toEqual(['/work/project/flows/training_flow.py', '/tmp/flows/flow.py']);
  });

  it("opens a card's file when it is inside the workspace, as any other file", async () => {
    const record = t.store.begin(URI, 'train');
    t.route('ok');
    t.panel.show(record);
    const finished = record.terminal?.event === 'finished' ? record.terminal : undefined;
    const card = finished?.cards[0];
    expect(card?.path).toMatch(/^\/work\/project\/\.spinlens\//);
    t.fake().webview.receive({ type: 'openFile', file: card?.path, line: null });
    t.fake().webview.receive({ type: 'openFile', file: '/dev/shm/spinlens-kernel-x/card-0-default.html', line: null });
    await tick();
    expect(mock.opened.map((o) => o.uri.fsPath)).toEqual([card?.path]);
  });

  it('asks to cancel the spin on display', () => {
    const record = t.store.begin(URI, 'train');
    t.panel.show(record);
    t.fake().webview.receive({ type: 'cancel' });
    expect(t.cancelled).toEqual([record]);
  });
});
