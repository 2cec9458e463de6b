/**
 * media/graph.js, the flow graph webview's script (bundled from extension/graph),
 * run in jsdom the way the webview runs it, fed the backend's real graphs.
 */
import { describe, expect, it } from 'vitest';
import type { FileGraph, StepOutcome } from '../../extension/src/graphMessages';
import { type GraphHarness, backendGraphs, loadGraphView } from './graphHarness';

const raw = backendGraphs();
const TEN = ['start', 'left', 'right', 'merge', 'plan', 'region', 'store', 'join_stores', 'join_regions', 'end'];

function graph(name: keyof typeof raw): FileGraph {
  return JSON.parse(JSON.stringify(raw[name])) as FileGraph;
}

async function shown(name: keyof typeof raw, outcomes: StepOutcome[] = []): Promise<GraphHarness> {
  const h = loadGraphView();
  await h.send({ type: 'graph', graph: graph(name), outcomes });
  return h;
}

function viewportTransform(h: GraphHarness): string | null {
  return h.doc.querySelector('.viewport')?.getAttribute('transform') ?? null;
}

function wheel(h: GraphHarness, deltaY: number): void {
  h.q('graph').dispatchEvent(new h.dom.window.WheelEvent('wheel', { deltaY, clientX: 100, clientY: 80, bubbles: true }));
}

// Each test loads the 3 MB script (elkjs) into a fresh jsdom window: about a second
// on a quiet machine, so the hang guard is wider than vitest's default.
describe('graph.js', { timeout: 30_000 }, () => {
  it('announces itself once with ready', () => {
    const h = loadGraphView();
    expect(h.posted).toEqual([{ type: 'ready' }]);
  });

  it('draws every step of the ten-step flow, with kinds and foreach labels', async () => {
    const h = await shown('graph');
    expect(h.all('node').map((n) => n.getAttribute('data-step'))).toEqual(TEN);
    expect(h.all('node-name').map((n) => n.textContent)).toEqual(TEN);
    expect(h.q('node-kind', h.node('region')).textContent).toBe('foreach');
    expect(h.q('node-kind', h.node('merge')).textContent).toBe('join');
    expect(h.node('start').getAttribute('data-kind')).toBe('split');
    expect(h.all('edge')).toHaveLength(10);
    expect(h.all('edge-label').map((l) => l.textContent)).toEqual(['foreach regions', 'foreach stores']);
    const foreach = h.all('edge').filter((e) => e.getAttribute('data-kind') === 'foreach');
    expect(foreach.map((e) => `${e.getAttribute('data-from')}->${e.getAttribute('data-to')}`)).toEqual([
      'plan->region',
      'region->store',
    ]);
    for (const e of h.all('edge')) expect(e.querySelector('path')?.getAttribute('d')).toMatch(/^M [\d.-]+ [\d.-]+( L [\d.-]+ [\d.-]+)+$/);
    expect((h.q('flow-select') as HTMLSelectElement).hidden).toBe(true); // one flow: no picker
    expect(h.q('file').textContent).toMatch(/graph_flow\.py$/);
  });

  it('draws conditionals with their keys and a recursion loop', async () => {
    const conditional = await shown('conditionals');
    expect(conditional.all('edge-label').map((l) => l.textContent)).toEqual([
      'route = big',
      'route = small',
      'parity = even',
      'parity = odd',
    ]);
    const loop = await shown('recursion');
    expect(loop.node('loop').getAttribute('data-kind')).toBe('recursive');
    const back = loop.all('edge').find((e) => e.getAttribute('data-kind') === 'recursion');
    expect(back?.getAttribute('data-from')).toBe('loop');
    expect(back?.getAttribute('data-to')).toBe('loop');
    expect(back?.querySelector('path')?.getAttribute('marker-end')).toBe('url(#arrow-recursion)');
  });

  it("shows each node's last spin: ok with the number changed, or failed", async () => {
    const h = await shown('graph', [
      { flow: 'GraphFlow', step: 'region', status: 'ok', changed: 3, error: null },
      { flow: null, step: 'store', status: 'failed', changed: 0, error: 'ZeroDivisionError: division by zero' },
      { flow: 'OtherFlow', step: 'plan', status: 'ok', changed: 9, error: null },
    ]);
    expect(h.q('node-outcome', h.node('region')).textContent).toBe('✓ ok · 3 changed');
    expect(h.node('region').getAttribute('data-outcome')).toBe('ok');
    expect(h.q('node-outcome', h.node('store')).textContent).toBe('✗ failed');
    expect(h.node('store').classList.contains('outcome-failed')).toBe(true);
    expect(h.node('store').querySelector('title')?.textContent).toContain('ZeroDivisionError: division by zero');
    expect(h.q('node-outcome', h.node('plan')).textContent).toBe(''); // another flow's spin
    expect(h.node('plan').getAttribute('data-outcome')).toBe('none');
  });

  it('posts openStep for a click on a node, spin or debug for its buttons', async () => {
    const h = await shown('graph');
    h.posted.length = 0;
    h.click(h.q('node-name', h.node('join_stores')));
    h.click(h.q('action-spin', h.node('region')));
    h.click(h.q('action-debug', h.node('store')));
    h.q('action-spin', h.node('end')).dispatchEvent(new h.dom.window.KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    h.node('left').dispatchEvent(new h.dom.window.KeyboardEvent('keydown', { key: ' ', bubbles: true }));
    expect(h.posted).toEqual([
      { type: 'openStep', flow: 'GraphFlow', step: 'join_stores' },
      { type: 'spin', flow: 'GraphFlow', step: 'region' },
      { type: 'debug', flow: 'GraphFlow', step: 'store' },
      { type: 'spin', flow: 'GraphFlow', step: 'end' },
      { type: 'openStep', flow: 'GraphFlow', step: 'left' },
    ]);
  });

  it('does not open a step at the end of a drag', async () => {
    const h = await shown('graph');
    h.posted.length = 0;
    const surface = h.q('graph');
    const pointer = (type: string, x: number): void => {
      surface.dispatchEvent(new h.dom.window.MouseEvent(type, { clientX: x, clientY: 10, button: 0, bubbles: true }));
    };
    const before = viewportTransform(h);
    pointer('pointerdown', 10);
    pointer('pointermove', 60);
    pointer('pointerup', 60);
    h.click(h.node('left'));
    expect(h.posted).toEqual([]);
    expect(viewportTransform(h)).not.toBe(before);
    h.click(h.node('left')); // the next click is a click again
    expect(h.posted).toEqual([{ type: 'openStep', flow: 'GraphFlow', step: 'left' }]);
  });

  it('keeps pan and zoom across updates, and Fit resets them', async () => {
    const h = await shown('graph');
    const fitted = viewportTransform(h);
    wheel(h, -200);
    const zoomed = viewportTransform(h);
    expect(zoomed).not.toBe(fitted);
    const edit = graph('graph');
    const flow = edit.flows[0];
    if (!flow) throw new Error('no flow');
    flow.nodes.push({ ...flow.nodes[1]!, step: 'extra' });
    flow.edges.push({ from: 'start', to: 'extra', kind: 'normal', foreach: null, condition: null, key: null, line: 9 });
    await h.send({ type: 'graph', graph: edit, outcomes: [] });
    expect(h.all('node')).toHaveLength(11);
    expect(viewportTransform(h)).toBe(zoomed);
    h.click(h.q('fit'));
    expect(viewportTransform(h)).toBe(fitted);
  });

  it('keeps the last graph under a problem line while the text does not parse', async () => {
    const h = await shown('graph');
    const broken: FileGraph = {
      filename: '/w/graph_flow.py',
      flows: [],
      defaultFlow: null,
      error: { message: '<img src=x onerror=alert(1)> invalid syntax', line: 11, column: 4 },
    };
    await h.send({ type: 'graph', graph: broken, outcomes: [] });
    expect(h.all('node')).toHaveLength(10);
    const problem = h.q('problem') as HTMLElement;
    expect(problem.hidden).toBe(false);
    expect(problem.textContent).toBe(
      'The file does not parse (line 12: <img src=x onerror=alert(1)> invalid syntax); showing the graph before the edit.',
    );
    expect(h.doc.querySelector('img')).toBeNull();
    await h.send({ type: 'graph', graph: graph('graph'), outcomes: [] });
    expect(problem.hidden).toBe(true);
  });

  it('says so when a file has no flow, or does not parse before any graph', async () => {
    const h = loadGraphView();
    await h.send({ type: 'graph', graph: { filename: '/w/x.py', flows: [], defaultFlow: null, error: null }, outcomes: [] });
    expect((h.q('empty') as HTMLElement).hidden).toBe(false);
    expect(h.q('empty').textContent).toContain('No flow in this file');
    expect(h.all('node')).toHaveLength(0);
    const broken = { filename: '/w/x.py', flows: [], defaultFlow: null, error: { message: 'bad', line: 0, column: 0 } };
    await h.send({ type: 'graph', graph: broken, outcomes: [] });
    expect(h.q('problem').textContent).toBe('The file does not parse (line 1: bad).');
    expect((h.q('empty') as HTMLElement).hidden).toBe(true);
  });

  it('picks among the flows of a file, each keeping its own view', async () => {
    const two = graph('graph');
    const other = graph('recursion').flows[0];
    if (!other) throw new Error('no flow');
    two.flows.push(other);
    two.defaultFlow = 'RecursionFlow';
    const h = loadGraphView();
    await h.send({ type: 'graph', graph: two, outcomes: [] });
    const picker = h.q('flow-select') as HTMLSelectElement;
    expect(picker.hidden).toBe(false);
    expect(Array.from(picker.options).map((o) => o.value)).toEqual(['GraphFlow', 'RecursionFlow']);
    expect(h.all('node').map((n) => n.getAttribute('data-step'))).toEqual(['start', 'loop', 'end']); // the default
    wheel(h, -100);
    const recursionView = viewportTransform(h);
    picker.value = 'GraphFlow';
    const drawn = new Promise<void>((resolve) => h.app.addEventListener('spinlens-graph-rendered', () => resolve(), { once: true }));
    picker.dispatchEvent(new h.dom.window.Event('change'));
    await drawn;
    expect(h.all('node')).toHaveLength(10);
    h.posted.length = 0;
    h.click(h.node('plan'));
    expect(h.posted).toEqual([{ type: 'openStep', flow: 'GraphFlow', step: 'plan' }]);
    // An update keeps the chosen flow, and going back restores that flow's view.
    await h.send({ type: 'graph', graph: two, outcomes: [] });
    expect(h.all('node')).toHaveLength(10);
    picker.value = 'RecursionFlow';
    const back = new Promise<void>((resolve) => h.app.addEventListener('spinlens-graph-rendered', () => resolve(), { once: true }));
    picker.dispatchEvent(new h.dom.window.Event('change'));
    await back;
    expect(viewportTransform(h)).toBe(recursionView);
  });

  it('ignores malformed messages', async () => {
    const h = await shown('graph');
    const rendered = h.app.dataset.rendered;
    h.dispatch({ type: 'graph', graph: { ...graph('graph'), flows: 'all of them' }, outcomes: [] });
    h.dispatch({ type: 'graph', graph: graph('graph') });
    h.dispatch({ type: 'eval', code: 'alert(1)' });
    h.dispatch('graph');
    expect(h.app.dataset.rendered).toBe(rendered);
    expect(h.all('node')).toHaveLength(10);
  });
});
