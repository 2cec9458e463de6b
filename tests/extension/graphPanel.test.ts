/**
 * The flow graph's host side (extension/src/graphPanel.ts) on the fake `vscode`
 * module: the locked-down webview, debounced fetches that newer ones overtake,
 * outcomes from the spins, and the gate on what the webview may ask for.
 */
import type * as vscode from 'vscode';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  FlowGraphPanel,
  GRAPH_DEBOUNCE_MS,
  GRAPH_VIEW_TYPE,
  type StepLocation,
  type StepTarget,
  stepOutcome,
} from '../../extension/src/graphPanel';
import type { FileGraph, ToGraphView } from '../../extension/src/graphMessages';
import { type SpinEvent, normalizeEvent } from '../../extension/src/protocol';
import { SpinStore } from '../../extension/src/spins';
import { loadFixtures } from './fixtures';
import { type FakePanel, Uri, mock, window } from './mocks/vscode';

const fixtures = loadFixtures();
const URI = 'file:///work/project/flows/training_flow.py';
const BASE = '/work/project/flows/base.py';

function graph(extra: string[] = []): FileGraph {
  const node = (step: string, defLine: number, file: string | null = null) => ({
    step,
    kind: 'linear' as const,
    line: defLine - 1,
    defLine,
    endLine: defLine + 3,
    file,
    decorators: [],
    missing: [],
  });
  const steps = ['start', 'train', ...extra, 'end'];
  return {
    filename: '/work/project/flows/training_flow.py',
    flows: [
      {
        name: 'TrainingFlow',
        line: 5,
        nodes: steps.map((s, i) => (s === 'end' ? node(s, 40, BASE) : node(s, 10 + 10 * i))),
        edges: steps.slice(1).map((to, i) => ({
          from: steps[i] ?? 'start',
          to,
          kind: 'normal' as const,
          foreach: null,
          condition: null,
          key: null,
          line: 12 + 10 * i,
        })),
      },
    ],
    defaultFlow: 'TrainingFlow',
    error: null,
  };
}

function setup() {
  mock.reset();
  const store = new SpinStore();
  const out = window.createOutputChannel('Spinlens');
  const fetched: string[] = [];
  const replies: { resolve(value: unknown): void; reject(error: unknown): void }[] = [];
  const opened: StepLocation[] = [];
  const spun: StepTarget[] = [];
  const debugged: StepTarget[] = [];
  let answer: ((uri: string) => unknown) | undefined = () => graph();
  const panel = new FlowGraphPanel(
    Uri.file('/ext') as unknown as vscode.Uri,
    store,
    {
      fetchGraph: (uri) => {
        fetched.push(uri);
        if (answer) return Promise.resolve(answer(uri));
        return new Promise((resolve, reject) => replies.push({ resolve, reject }));
      },
      openStep: (location) => opened.push(location),
      spin: (target) => spun.push(target),
      debug: (target) => debugged.push(target),
    },
    out as unknown as vscode.OutputChannel,
  );
  const fake = (): FakePanel => {
    const p = mock.panels.at(-1);
    if (!p) throw new Error('no panel');
    return p;
  };
  const graphs = (): ToGraphView[] => fake().webview.posted as ToGraphView[];
  return {
    store,
    out,
    panel,
    fetched,
    replies,
    opened,
    spun,
    debugged,
    fake,
    graphs,
    /** From now on, fetches wait for `replies[i].resolve`. */
    holdReplies: () => (answer = undefined),
    answerWith: (fn: (uri: string) => unknown) => (answer = fn),
  };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FlowGraphPanel', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });
  afterEach(() => {
    vi.useRealTimers();
    t.panel.dispose();
  });

  it('creates one locked-down webview running media/graph.js by nonce', async () => {
    await t.panel.show(URI);
    await t.panel.show(URI);
    expect(mock.panels).toHaveLength(1);
    expect(t.fake().viewType).toBe(GRAPH_VIEW_TYPE);
    expect(t.fake().revealed).toBe(1);
    expect(t.fake().title).toBe('Flow graph: training_flow.py');
    expect(t.fake().options).toMatchObject({ enableScripts: true, enableCommandUris: false });
    const roots = (t.fake().options as { localResourceRoots: Uri[] }).localResourceRoots;
    expect(roots.map((r) => r.path)).toEqual(['/ext/media']);
    const html = t.fake().webview.html;
    const nonce = /script-src 'nonce-([^']+)'/.exec(html)?.[1];
    expect(nonce).toBeTruthy();
    expect(html).toContain(`<script nonce="${nonce}" src="https://webview.example/ext/media/graph.js">`);
    expect(html).toContain('href="https://webview.example/ext/media/graph.css"');
    expect(html).toContain("default-src 'none'");
    expect(html).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('posts nothing before ready, then the graph with its outcomes', async () => {
    await t.panel.show(URI);
    expect(t.fetched).toEqual([URI]);
    expect(t.graphs()).toEqual([]);
    t.fake().webview.receive({ type: 'ready' });
    await flush();
    expect(t.graphs()).toEqual([{ type: 'graph', graph: graph(), outcomes: [] }]);
    // The webview reloaded (its script announces itself again): the graph is sent again.
    t.fake().webview.receive({ type: 'ready' });
    await flush();
    expect(t.graphs()).toHaveLength(2);
  });

  it('debounces edits into one fetch, for the document on display only', async () => {
    await t.panel.show(URI);
    t.fake().webview.receive({ type: 'ready' });
    vi.useFakeTimers();
    t.answerWith(() => graph(['tune']));
    t.panel.documentChanged(URI);
    vi.advanceTimersByTime(GRAPH_DEBOUNCE_MS - 1);
    t.panel.documentChanged(URI);
    t.panel.documentChanged('file:///work/project/flows/other.py');
    vi.advanceTimersByTime(GRAPH_DEBOUNCE_MS - 1);
    expect(t.fetched).toEqual([URI]);
    vi.advanceTimersByTime(1);
    expect(t.fetched).toEqual([URI, URI]);
    vi.useRealTimers();
    await flush();
    const last = t.graphs().at(-1);
    expect(last?.graph.flows[0]?.nodes.map((n) => n.step)).toEqual(['start', 'train', 'tune', 'end']);
  });

  it('shows only the newest reply when an older one comes late', async () => {
    t.holdReplies();
    const showing = t.panel.show(URI);
    t.fake().webview.receive({ type: 'ready' });
    const second = t.panel.refresh();
    expect(t.replies).toHaveLength(2);
    t.replies[1]?.resolve(graph(['newer']));
    await second;
    t.replies[0]?.resolve(graph(['older']));
    await showing;
    const steps = t.graphs().map((m) => m.graph.flows[0]?.nodes.map((n) => n.step).join(','));
    expect(steps).toEqual(['start,train,newer,end']);
  });

  it('ignores a malformed reply and a failed fetch, saying so in the log', async () => {
    t.answerWith(() => ({ flows: 'nope' }));
    await t.panel.show(URI);
    t.fake().webview.receive({ type: 'ready' });
    await flush();
    expect(t.graphs()).toEqual([]);
    expect(t.out.lines.at(-1)).toContain('malformed flow graph');
    t.answerWith(() => {
      throw new Error('server stopped');
    });
    await t.panel.refresh();
    expect(t.out.lines.at(-1)).toContain('server stopped');
  });

  it("shows each step's last spin, and redraws when a spin starts or ends", async () => {
    await t.panel.show(URI);
    t.fake().webview.receive({ type: 'ready' });
    await flush();
    const record = t.store.begin(URI, 'train');
    expect(t.graphs().at(-1)?.outcomes).toEqual([{ flow: null, step: 'train', status: 'running', changed: 0, error: null }]);
    const before = t.graphs().length;
    for (const e of fixtures.ok) t.store.route(URI, normalizeEvent(e as unknown as SpinEvent), record.requestId);
    // started and finished redraw; logs and artifacts do not.
    expect(t.graphs().length - before).toBe(2);
    expect(t.graphs().at(-1)?.outcomes).toEqual([
      { flow: 'TrainingFlow', step: 'train', status: 'ok', changed: 12, error: null },
    ]);
    expect(t.fetched).toEqual([URI]); // outcomes need no new graph
  });

  it("gives a failed spin's error", () => {
    const store = new SpinStore();
    const record = store.begin(URI, 'train');
    for (const e of fixtures.failed) store.route(URI, normalizeEvent(e as unknown as SpinEvent), record.requestId);
    const failed = fixtures.failed.at(-1);
    expect(failed?.event).toBe('failed');
    expect(typeof failed?.error).toBe('string');
    expect(stepOutcome(record)).toMatchObject({ status: 'failed', changed: 0, error: failed?.error });
  });

  it('opens a step where the graph says it is written: the document, or a base module', async () => {
    await t.panel.show(URI);
    t.fake().webview.receive({ type: 'ready' });
    t.fake().webview.receive({ type: 'openStep', flow: 'TrainingFlow', step: 'train' });
    t.fake().webview.receive({ type: 'openStep', flow: 'TrainingFlow', step: 'end' });
    await flush();
    expect(t.opened.map((o) => [o.file.toString(), o.line, o.step])).toEqual([
      [URI, 20, 'train'],
      [`file://${BASE}`, 40, 'end'],
    ]);
  });

  it('passes spin and debug on for steps of the graph on display', async () => {
    await t.panel.show(URI);
    t.fake().webview.receive({ type: 'ready' });
    t.fake().webview.receive({ type: 'spin', flow: 'TrainingFlow', step: 'train' });
    t.fake().webview.receive({ type: 'debug', flow: 'TrainingFlow', step: 'start' });
    await flush();
    expect(t.spun).toEqual([{ uri: URI, flow: 'TrainingFlow', step: 'train' }]);
    expect(t.debugged).toEqual([{ uri: URI, flow: 'TrainingFlow', step: 'start' }]);
  });

  it('drops messages that are malformed or name a step it does not show', async () => {
    await t.panel.show(URI);
    t.fake().webview.receive({ type: 'ready' });
    const bad = [
      { type: 'spin', flow: 'TrainingFlow', step: 'deleted_step' },
      { type: 'spin', flow: 'OtherFlow', step: 'train' },
      { type: 'openStep', flow: 'TrainingFlow', step: 'train', file: '/etc/passwd' },
      { type: 'debug', flow: 'TrainingFlow', step: '../../x' },
      { type: 'runCommand', command: 'workbench.action.terminal.new' },
      'spin',
    ];
    for (const message of bad) t.fake().webview.receive(message);
    await flush();
    expect([...t.opened, ...t.spun, ...t.debugged]).toEqual([]);
    expect(t.out.lines.filter((l) => l.includes('flow graph'))).toHaveLength(bad.length);
  });

  it('starts afresh on another document, and forgets everything once closed', async () => {
    await t.panel.show(URI);
    t.fake().webview.receive({ type: 'ready' });
    const other = 'file:///work/project/flows/other_flow.py';
    await t.panel.show(other);
    expect(t.panel.uri).toBe(other);
    expect(t.fake().title).toBe('Flow graph: other_flow.py');
    expect(t.fetched).toEqual([URI, other]);
    t.fake().dispose();
    expect(t.panel.isOpen).toBe(false);
    expect(t.panel.uri).toBeUndefined();
    vi.useFakeTimers();
    t.panel.documentChanged(other);
    vi.advanceTimersByTime(GRAPH_DEBOUNCE_MS * 2);
    expect(t.fetched).toHaveLength(2);
  });
});
