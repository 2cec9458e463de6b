/**
 * The flow graph's layout (extension/graph/layout.ts): the ELK input made from
 * the backend's graphs, and ELK's real answer (elkjs, as bundled into the
 * webview) turned into boxes and polylines.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import { describe, expect, it } from 'vitest';
import { type FlowGraph, type GraphEdge, parseFileGraph } from '../../extension/src/graphMessages';
import {
  type Box,
  type FlowLayout,
  type Layouter,
  NODE_HEIGHT,
  edgeLabel,
  kindLine,
  layoutFlow,
  layoutKey,
  nodeWidth,
  toElk,
} from '../../extension/graph/layout';
import { type GraphName, backendGraphs, onlyFlow } from './graphHarness';

const raw = backendGraphs();
const elk: Layouter = new ELK();

function flowOf(name: GraphName): FlowGraph {
  const graph = parseFileGraph(raw[name]);
  if (!graph) throw new Error(`the ${name} graph did not parse`);
  return onlyFlow(graph);
}

function edge(partial: Partial<GraphEdge>): GraphEdge {
  return { from: 'a', to: 'b', kind: 'normal', foreach: null, condition: null, key: null, line: 0, ...partial };
}

function overlaps(a: Box, b: Box): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function box(layout: FlowLayout, step: string): Box {
  const found = layout.nodes.find((n) => n.node.step === step);
  if (!found) throw new Error(`no node ${step}`);
  return found;
}

describe('labels and sizes', () => {
  it('labels foreach, conditional and recursion edges, not plain ones', () => {
    expect(edgeLabel(edge({ kind: 'foreach', foreach: 'regions' }))).toBe('foreach regions');
    expect(edgeLabel(edge({ kind: 'foreach' }))).toBe('parallel');
    expect(edgeLabel(edge({ kind: 'conditional', condition: 'route', key: 'big' }))).toBe('route = big');
    expect(edgeLabel(edge({ kind: 'recursion', condition: 'again', key: 'True' }))).toBe('↻ again = True');
    expect(edgeLabel(edge({ kind: 'recursion' }))).toBe('↻');
    expect(edgeLabel(edge({}))).toBeUndefined();
  });

  it('sizes a node by its text, within bounds', () => {
    const [start] = flowOf('graph').nodes;
    if (!start) throw new Error('no start');
    expect(kindLine({ ...start, decorators: ['card', 'retry'] })).toBe('split · @card · @retry');
    const short = nodeWidth(start);
    const long = nodeWidth({ ...start, step: 'a_rather_long_step_name_for_a_node' });
    expect(long).toBeGreaterThan(short);
    expect(nodeWidth({ ...start, step: 'x'.repeat(500) })).toBe(420);
    expect(short).toBeGreaterThanOrEqual(150);
  });
});

describe('toElk', () => {
  it('gives ELK one child per step and one edge per graph edge, labelled', () => {
    const flow = flowOf('graph');
    const input = toElk(flow);
    expect(input.children?.map((c) => c.id)).toEqual(flow.nodes.map((n) => `n:${n.step}`));
    expect(input.children?.every((c) => c.height === NODE_HEIGHT)).toBe(true);
    expect(input.edges).toHaveLength(flow.edges.length);
    const labelled = (input.edges ?? []).flatMap((e) => e.labels ?? []).map((l) => l.text);
    expect(labelled).toEqual(['foreach regions', 'foreach stores']);
    expect(input.layoutOptions?.['elk.direction']).toBe('DOWN');
  });

  it('changes its key with the structure only', () => {
    const flow = flowOf('graph');
    const moved = { ...flow, nodes: flow.nodes.map((n) => ({ ...n, line: n.line + 5, defLine: n.defLine + 5 })) };
    expect(layoutKey(moved)).toBe(layoutKey(flow));
    const renamed = { ...flow, edges: flow.edges.map((e) => (e.foreach === 'regions' ? { ...e, foreach: 'zones' } : e)) };
    expect(layoutKey(renamed)).not.toBe(layoutKey(flow));
  });
});

describe('layoutFlow with elkjs', () => {
  it('places the ten steps top to bottom without overlaps', async () => {
    const flow = flowOf('graph');
    const layout = await layoutFlow(flow, elk);
    expect(layout.nodes.map((n) => n.node.step)).toEqual(flow.nodes.map((n) => n.step));
    for (const [i, a] of layout.nodes.entries()) {
      for (const b of layout.nodes.slice(i + 1)) expect(overlaps(a, b), `${a.node.step} / ${b.node.step}`).toBe(false);
      expect(a.x + a.width).toBeLessThanOrEqual(layout.width);
      expect(a.y + a.height).toBeLessThanOrEqual(layout.height);
    }
    for (const { from, to } of flow.edges) expect(box(layout, to).y, `${from} -> ${to}`).toBeGreaterThan(box(layout, from).y);
    // The branch sits side by side.
    expect(box(layout, 'left').y).toBe(box(layout, 'right').y);
    expect(overlaps(box(layout, 'left'), box(layout, 'right'))).toBe(false);
  });

  it('routes every edge from its source to its target, labels included', async () => {
    const flow = flowOf('graph');
    const layout = await layoutFlow(flow, elk);
    for (const placed of layout.edges) {
      const { from, to } = placed.edge;
      expect(placed.points.length, `${from} -> ${to}`).toBeGreaterThanOrEqual(2);
      const first = placed.points[0];
      const last = placed.points.at(-1);
      const source = box(layout, from);
      const target = box(layout, to);
      expect(first && Math.abs(first.y - (source.y + source.height))).toBeLessThan(1);
      expect(last && Math.abs(last.y - target.y)).toBeLessThan(1);
    }
    const labels = layout.edges.filter((e) => e.label).map((e) => e.label?.text);
    expect(labels).toEqual(['foreach regions', 'foreach stores']);
  });

  it('lays out a recursion loop and conditionals', async () => {
    const loop = await layoutFlow(flowOf('recursion'), elk);
    const back = loop.edges.find((e) => e.edge.kind === 'recursion');
    const node = box(loop, 'loop');
    // Out of the node's left side and back in, clear of the node and left of nothing but its label.
    const xs = back?.points.map((p) => p.x) ?? [];
    expect(back?.points).toHaveLength(4);
    expect([xs[0], xs.at(-1)]).toEqual([node.x, node.x]);
    expect(Math.min(...xs)).toBeLessThan(node.x - 10);
    for (const p of back?.points ?? []) expect(p.y >= node.y && p.y <= node.y + node.height).toBe(true);
    const label = back?.label;
    expect(label?.text).toBe('↻ again = True');
    expect(label && label.x + label.width).toBeLessThan(Math.min(...xs));
    const conditional = await layoutFlow(flowOf('conditionals'), elk);
    const keys = conditional.edges.map((e) => e.label?.text).filter(Boolean);
    expect(keys).toEqual(['route = big', 'route = small', 'parity = even', 'parity = odd']);
  });
});
