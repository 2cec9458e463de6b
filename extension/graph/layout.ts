/**
 * Where every step and edge of one flow goes: the flow becomes an ELK graph
 * (layered, top to bottom, source order kept where the layering allows), and
 * ELK's answer becomes positioned nodes, edge polylines and label boxes. No DOM
 * here: node sizes come from character counts, so the layout is the same in a
 * test as in the webview, and does not depend on the outcomes shown.
 */
import type { ElkExtendedEdge, ElkLabel, ElkNode, ElkPoint } from 'elkjs/lib/elk-api';
import type { FlowGraph, GraphEdge, GraphNode } from '../src/graphMessages';

/** What this module needs of ELK (elkjs's ELK.layout); a test may pass its own. */
export interface Layouter {
  layout(graph: ElkNode): Promise<ElkNode>;
}

export interface Point {
  x: number;
  y: number;
}

export interface Box extends Point {
  width: number;
  height: number;
}

export interface PlacedNode extends Box {
  node: GraphNode;
}

export interface PlacedEdge {
  edge: GraphEdge;
  /** From the source's border to the target's, through every bend. */
  points: Point[];
  label: (Box & { text: string }) | undefined;
}

export interface FlowLayout {
  flow: string;
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: PlacedEdge[];
}

export const NODE_HEIGHT = 72;
export const NODE_PADDING = 12;
/** Room on a node's last line for the spin and debug buttons. */
export const ACTIONS_WIDTH = 48;
const MIN_NODE_WIDTH = 150;
const MAX_NODE_WIDTH = 420;
// Average glyph widths of the fonts media/graph.css sets (13px bold names, 11px the rest).
const NAME_CHAR = 8;
const SMALL_CHAR = 6.5;
/** The longest outcome line ("✓ ok · 999 changed"), so an outcome never changes the layout. */
const OUTCOME_CHARS = 18;
const LABEL_HEIGHT = 16;
/**
 * ELK draws a step's loop onto itself a few pixels wide, beside the label it
 * places left of the node: the label is made this much wider, and the loop is
 * drawn here, in that room, LOOP_DEPTH px out from the node.
 */
const LOOP_ROOM = 28;
const LOOP_DEPTH = 22;
const LOOP_INSET = 18;

export const LAYOUT_OPTIONS: Readonly<Record<string, string>> = {
  'elk.algorithm': 'layered',
  'elk.direction': 'DOWN',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '48',
  'elk.spacing.nodeNode': '32',
  'elk.spacing.edgeLabel': '4',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.padding': '[top=24,left=24,bottom=24,right=24]',
};

/** The second line of a node: its kind, then its decorators. */
export function kindLine(node: GraphNode): string {
  return [node.kind, ...node.decorators.map((d) => `@${d}`)].join(' · ');
}

/** The text on an edge: the split variable, the conditional's case, or none. */
export function edgeLabel(edge: GraphEdge): string | undefined {
  const branch = edge.condition === null ? undefined : edge.key === null ? edge.condition : `${edge.condition} = ${edge.key}`;
  switch (edge.kind) {
    case 'foreach':
      return edge.foreach === null ? 'parallel' : `foreach ${edge.foreach}`;
    case 'conditional':
      return branch;
    case 'recursion':
      return branch === undefined ? '↻' : `↻ ${branch}`;
    case 'normal':
      return undefined;
  }
}

export function nodeWidth(node: GraphNode): number {
  const content = Math.max(
    node.step.length * NAME_CHAR,
    kindLine(node).length * SMALL_CHAR,
    OUTCOME_CHARS * SMALL_CHAR + ACTIONS_WIDTH,
  );
  return Math.min(MAX_NODE_WIDTH, Math.max(MIN_NODE_WIDTH, Math.ceil(content + 2 * NODE_PADDING)));
}

const nodeId = (step: string): string => `n:${step}`;

/** The ELK input for a flow: one child per step, one edge per graph edge (same order). */
export function toElk(flow: FlowGraph): ElkNode {
  const children: ElkNode[] = flow.nodes.map((node) => ({ id: nodeId(node.step), width: nodeWidth(node), height: NODE_HEIGHT }));
  const edges: ElkExtendedEdge[] = flow.edges.map((edge, index) => {
    const text = edgeLabel(edge);
    const room = edge.from === edge.to ? LOOP_ROOM : 0;
    const labels: ElkLabel[] =
      text === undefined
        ? []
        : [{ id: `l:${index}`, text, width: Math.ceil(text.length * SMALL_CHAR + 8) + room, height: LABEL_HEIGHT }];
    return { id: `e:${index}`, sources: [nodeId(edge.from)], targets: [nodeId(edge.to)], labels };
  });
  return { id: `flow:${flow.name}`, layoutOptions: { ...LAYOUT_OPTIONS }, children, edges };
}

function finite(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function point(p: ElkPoint): Point {
  return { x: finite(p.x), y: finite(p.y) };
}

/** ELK's answer as boxes and polylines, matched back to the flow's nodes and edges. */
export function fromElk(flow: FlowGraph, laid: ElkNode): FlowLayout {
  const byId = new Map((laid.children ?? []).map((child) => [child.id, child]));
  const nodes: PlacedNode[] = flow.nodes.map((node) => {
    const child = byId.get(nodeId(node.step));
    return {
      node,
      x: finite(child?.x),
      y: finite(child?.y),
      width: finite(child?.width) || nodeWidth(node),
      height: finite(child?.height) || NODE_HEIGHT,
    };
  });
  const laidEdges = new Map((laid.edges ?? []).map((e) => [e.id, e as ElkExtendedEdge]));
  const boxes = new Map(nodes.map((n) => [n.node.step, n]));
  const edges: PlacedEdge[] = flow.edges.map((edge, index) => {
    const placed = laidEdges.get(`e:${index}`);
    const loop = edge.from === edge.to ? boxes.get(edge.from) : undefined;
    const points: Point[] = [];
    if (loop) points.push(...loopPoints(loop));
    else {
      for (const section of placed?.sections ?? []) {
        points.push(point(section.startPoint), ...(section.bendPoints ?? []).map(point), point(section.endPoint));
      }
    }
    const first = placed?.labels?.[0];
    const text = edgeLabel(edge);
    const label =
      first && text !== undefined
        ? {
            text,
            x: finite(first.x),
            y: finite(first.y),
            width: Math.max(0, finite(first.width) - (loop ? LOOP_ROOM : 0)),
            height: finite(first.height),
          }
        : undefined;
    return { edge, points, label };
  });
  return { flow: flow.name, width: finite(laid.width), height: finite(laid.height), nodes, edges };
}

/** A loop out of a node's left side and back into it, below. */
function loopPoints(box: Box): Point[] {
  const out = box.x - LOOP_DEPTH;
  const top = box.y + LOOP_INSET;
  const bottom = box.y + box.height - LOOP_INSET;
  return [
    { x: box.x, y: top },
    { x: out, y: top },
    { x: out, y: bottom },
    { x: box.x, y: bottom },
  ];
}

/** Lays out one flow. */
export async function layoutFlow(flow: FlowGraph, elk: Layouter): Promise<FlowLayout> {
  return fromElk(flow, await elk.layout(toElk(flow)));
}

/** A key that changes exactly when the layout would: the ELK input. */
export function layoutKey(flow: FlowGraph): string {
  return JSON.stringify(toElk(flow));
}
