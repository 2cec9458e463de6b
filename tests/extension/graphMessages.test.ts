/**
 * The flow graph's shared checks (extension/src/graphMessages.ts): the server's
 * payloads as the backend really builds them, malformed ones refused whole, and
 * the only messages the host accepts from the graph webview.
 */
import { describe, expect, it } from 'vitest';
import {
  type FileGraph,
  type StepOutcome,
  outcomeFor,
  parseFileGraph,
  parseFromGraphView,
  parseToGraphView,
} from '../../extension/src/graphMessages';
import { type GraphName, backendGraphs, onlyFlow } from './graphHarness';

const raw = backendGraphs();

function parsed(name: GraphName): FileGraph {
  const graph = parseFileGraph(raw[name]);
  if (!graph) throw new Error(`the ${name} graph did not parse`);
  return graph;
}

/** A deep copy of a backend payload with one change; `any` on purpose: the edits break its type. */
function edited(name: GraphName, edit: (graph: Record<string, any>) => void): unknown {
  const copy = JSON.parse(JSON.stringify(raw[name])) as Record<string, any>;
  edit(copy);
  return copy;
}

describe('parseFileGraph on the backend graphs', () => {
  it('keeps every step and edge of the ten-step flow', () => {
    const flow = onlyFlow(parsed('graph'));
    expect(flow.name).toBe('GraphFlow');
    expect(flow.nodes.map((n) => n.step)).toEqual([
      'start',
      'left',
      'right',
      'merge',
      'plan',
      'region',
      'store',
      'join_stores',
      'join_regions',
      'end',
    ]);
    expect(flow.edges).toHaveLength(10);
    const foreach = flow.edges.filter((e) => e.kind === 'foreach').map((e) => [e.from, e.to, e.foreach]);
    expect(foreach).toEqual([
      ['plan', 'region', 'regions'],
      ['region', 'store', 'stores'],
    ]);
  });

  it('keeps conditional keys, recursion and base-flow files', () => {
    const conditional = onlyFlow(parsed('conditionals')).edges.find((e) => e.from === 'start' && e.to === 'big');
    expect(conditional).toMatchObject({ kind: 'conditional', condition: 'route', key: 'big' });
    const loop = onlyFlow(parsed('recursion')).edges.find((e) => e.from === 'loop' && e.to === 'loop');
    expect(loop).toMatchObject({ kind: 'recursion', key: 'True' });
    const start = onlyFlow(parsed('base')).nodes.find((n) => n.step === 'start');
    expect(start?.file).toMatch(/compat\/base_flow\/base\.py$/);
    expect(parsed('base').defaultFlow).toBe('DerivedFlow');
  });

  it('accepts a syntax error with no flows', () => {
    const graph = parseFileGraph({
      filename: '/w/flow.py',
      flows: [],
      defaultFlow: null,
      error: { message: 'invalid syntax', line: 3, column: 0 },
    });
    expect(graph?.error).toEqual({ message: 'invalid syntax', line: 3, column: 0 });
  });

  it.each<[string, (g: Record<string, any>) => void]>([
    ['an edge to no step', (g) => (g.flows[0].edges[0].to = 'nowhere')],
    ['an unknown node kind', (g) => (g.flows[0].nodes[0].kind = 'fork')],
    ['an unknown edge kind', (g) => (g.flows[0].edges[0].kind = 'teleport')],
    ['a step name that is no identifier', (g) => (g.flows[0].nodes[0].step = '<img src=x>')],
    ['a fractional line', (g) => (g.flows[0].nodes[0].defLine = 1.5)],
    ['a negative line', (g) => (g.flows[0].edges[0].line = -1)],
    ['two nodes of one step', (g) => g.flows[0].nodes.push(g.flows[0].nodes[0])],
    ['a default flow that is not there', (g) => (g.defaultFlow = 'OtherFlow')],
    ['decorators that are not strings', (g) => (g.flows[0].nodes[0].decorators = [1])],
    ['no edges list', (g) => delete g.flows[0].edges],
    ['a malformed error', (g) => (g.error = { message: 'x' })],
  ])('refuses a graph with %s', (_, edit) => {
    expect(parseFileGraph(edited('graph', edit))).toBeUndefined();
  });

  it('refuses what is not a graph', () => {
    for (const value of [null, 'graph', [], { flows: [] }, Object.create({ filename: 'x', flows: [] })]) {
      expect(parseFileGraph(value)).toBeUndefined();
    }
  });
});

describe('parseToGraphView', () => {
  const outcome: StepOutcome = { flow: null, step: 'start', status: 'ok', changed: 2, error: null };

  it('takes a graph with its outcomes', () => {
    const message = parseToGraphView({ type: 'graph', graph: raw.graph, outcomes: [outcome] });
    expect(message?.outcomes).toEqual([outcome]);
    expect(message?.graph.flows[0]?.name).toBe('GraphFlow');
  });

  it('refuses bad outcomes and other types', () => {
    const bad = [
      { ...outcome, status: 'great' },
      { ...outcome, changed: -1 },
      { ...outcome, changed: 1.5 },
      { ...outcome, step: 'a b' },
    ];
    for (const o of bad) expect(parseToGraphView({ type: 'graph', graph: raw.graph, outcomes: [o] })).toBeUndefined();
    expect(parseToGraphView({ type: 'graph', graph: raw.graph })).toBeUndefined();
    expect(parseToGraphView({ type: 'spin', graph: raw.graph, outcomes: [] })).toBeUndefined();
  });
});

describe('parseFromGraphView: what the host accepts from the webview', () => {
  it('accepts ready, openStep, spin and debug', () => {
    expect(parseFromGraphView({ type: 'ready' })).toEqual({ type: 'ready' });
    for (const type of ['openStep', 'spin', 'debug'] as const) {
      expect(parseFromGraphView({ type, flow: 'GraphFlow', step: 'join_stores' })).toEqual({
        type,
        flow: 'GraphFlow',
        step: 'join_stores',
      });
    }
  });

  it.each([
    ['an extra key', { type: 'spin', flow: 'F', step: 'start', file: '/etc/passwd' }],
    ['a step that is a path', { type: 'openStep', flow: 'F', step: '../start' }],
    ['a step with a space', { type: 'spin', flow: 'F', step: 'start; rm -rf' }],
    ['no flow', { type: 'debug', step: 'start' }],
    ['a numeric step', { type: 'spin', flow: 'F', step: 1 }],
    ['an overlong step', { type: 'spin', flow: 'F', step: 'a'.repeat(300) }],
    ['an unknown type', { type: 'runShell', flow: 'F', step: 'start' }],
    ['ready with extras', { type: 'ready', now: true }],
  ])('refuses %s', (_, message) => {
    expect(parseFromGraphView(message)).toBeUndefined();
  });

  it('refuses non-plain objects', () => {
    expect(parseFromGraphView(Object.create({ type: 'ready' }))).toBeUndefined();
    expect(parseFromGraphView(['ready'])).toBeUndefined();
    expect(parseFromGraphView(null)).toBeUndefined();
  });
});

describe('outcomeFor', () => {
  it("prefers the flow's own outcome, else one of no known flow", () => {
    const unknownFlow: StepOutcome = { flow: null, step: 'train', status: 'failed', changed: 0, error: 'boom' };
    const mine: StepOutcome = { flow: 'A', step: 'train', status: 'ok', changed: 1, error: null };
    expect(outcomeFor([unknownFlow, mine], 'A', 'train')).toBe(mine);
    expect(outcomeFor([unknownFlow, mine], 'B', 'train')).toBe(unknownFlow);
    expect(outcomeFor([mine], 'B', 'train')).toBeUndefined();
    expect(outcomeFor([unknownFlow], 'A', 'end')).toBeUndefined();
  });
});
