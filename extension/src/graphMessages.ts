/**
 * The flow graph view's data and messages, for both sides: the host (graphPanel.ts)
 * and the webview's script (extension/graph). The graph is the server's
 * `spinlens.flow_graph` payload (camelCase, 0-based lines); both sides check it
 * before use, and the host checks every message the webview sends.
 *
 * Nothing here imports a module that runs in only one of the two places.
 */

export type NodeKind = 'start' | 'end' | 'linear' | 'split' | 'foreach' | 'join' | 'conditional' | 'recursive';
export type EdgeKind = 'normal' | 'foreach' | 'conditional' | 'recursion';

export const NODE_KINDS: readonly NodeKind[] = [
  'start',
  'end',
  'linear',
  'split',
  'foreach',
  'join',
  'conditional',
  'recursive',
];
export const EDGE_KINDS: readonly EdgeKind[] = ['normal', 'foreach', 'conditional', 'recursion'];

export interface GraphNode {
  step: string;
  kind: NodeKind;
  /** 0-based lines of the first decorator, the `def` and the body's last line. */
  line: number;
  defLine: number;
  endLine: number;
  /** null: in the document; else the path of the base flow's module defining it. */
  file: string | null;
  /** Its decorators other than `@step`. */
  decorators: string[];
  /** Targets of its `self.next` that are no step of the flow. */
  missing: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** The split variable of a foreach (null for num_parallel). */
  foreach: string | null;
  /** The artifact a conditional switches on, and the case key(s) of this branch. */
  condition: string | null;
  key: string | null;
  line: number;
}

export interface FlowGraph {
  name: string;
  line: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export interface FileGraph {
  filename: string;
  flows: FlowGraph[];
  defaultFlow: string | null;
  /** A syntax error (0-based line and column): then `flows` is empty. */
  error: { message: string; line: number; column: number } | null;
}

/** A step's last spin, as its node shows it. */
export interface StepOutcome {
  /** null: the spin's flow is not known (the text did not parse): any flow's step. */
  flow: string | null;
  step: string;
  status: 'ok' | 'failed' | 'cancelled' | 'running';
  /** Artifacts new or changed against the source run. */
  changed: number;
  error: string | null;
}

/** Host -> webview. */
export type ToGraphView = { type: 'graph'; graph: FileGraph; outcomes: StepOutcome[] };

/** Webview -> host: the only messages accepted. */
export type FromGraphView =
  | { type: 'ready' }
  | { type: 'openStep'; flow: string; step: string }
  | { type: 'spin'; flow: string; step: string }
  | { type: 'debug'; flow: string; step: string };

// ---- checks ---------------------------------------------------------------------------

const MAX_NAME = 256;
const MAX_TEXT = 4096;
const MAX_LINE = 10_000_000;
const MAX_ITEMS = 10_000;
/** Step and flow names are Python identifiers (letters, digits and underscores). */
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

type Obj = Record<string, unknown>;

function isPlainObject(value: unknown): value is Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function hasOnlyKeys(value: Obj, keys: readonly string[]): boolean {
  return Object.keys(value).every((k) => keys.includes(k));
}

export function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_NAME && IDENTIFIER.test(value);
}

function isLine(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_LINE;
}

function isText(value: unknown, max = MAX_TEXT): value is string {
  return typeof value === 'string' && value.length <= max;
}

function textOrNull(value: unknown): value is string | null {
  return value === null || isText(value);
}

function listOf<T>(value: unknown, item: (raw: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_ITEMS) return undefined;
  const items: T[] = [];
  for (const raw of value) {
    const parsed = item(raw);
    if (parsed === undefined) return undefined;
    items.push(parsed);
  }
  return items;
}

function parseNode(raw: unknown): GraphNode | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { step, kind, line, defLine, endLine, file } = raw;
  if (!isName(step) || !NODE_KINDS.includes(kind as NodeKind)) return undefined;
  if (!isLine(line) || !isLine(defLine) || !isLine(endLine) || !textOrNull(file)) return undefined;
  const decorators = listOf(raw.decorators, (d) => (isText(d, MAX_NAME) ? d : undefined));
  const missing = listOf(raw.missing, (m) => (isText(m, MAX_NAME) ? m : undefined));
  if (!decorators || !missing) return undefined;
  return { step, kind: kind as NodeKind, line, defLine, endLine, file, decorators, missing };
}

function parseEdge(raw: unknown): GraphEdge | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { from, to, kind, foreach, condition, key, line } = raw;
  if (!isName(from) || !isName(to) || !EDGE_KINDS.includes(kind as EdgeKind) || !isLine(line)) return undefined;
  if (!textOrNull(foreach) || !textOrNull(condition) || !textOrNull(key)) return undefined;
  return { from, to, kind: kind as EdgeKind, foreach, condition, key, line };
}

function parseFlow(raw: unknown): FlowGraph | undefined {
  if (!isPlainObject(raw) || !isName(raw.name) || !isLine(raw.line)) return undefined;
  const nodes = listOf(raw.nodes, parseNode);
  const edges = listOf(raw.edges, parseEdge);
  if (!nodes || !edges) return undefined;
  const steps = new Set(nodes.map((n) => n.step));
  // An edge between steps the flow does not have could not be laid out.
  if (steps.size !== nodes.length || edges.some((e) => !steps.has(e.from) || !steps.has(e.to))) return undefined;
  return { name: raw.name, line: raw.line, nodes, edges };
}

function parseError(raw: unknown): FileGraph['error'] | undefined {
  if (raw === null) return null;
  if (!isPlainObject(raw) || !isText(raw.message) || !isLine(raw.line) || !isLine(raw.column)) return undefined;
  return { message: raw.message, line: raw.line, column: raw.column };
}

/** The server's graph payload if it has the documented shape, else undefined. */
export function parseFileGraph(raw: unknown): FileGraph | undefined {
  if (!isPlainObject(raw) || !isText(raw.filename)) return undefined;
  const flows = listOf(raw.flows, parseFlow);
  const error = parseError(raw.error);
  if (!flows || error === undefined) return undefined;
  const defaultFlow = raw.defaultFlow;
  if (defaultFlow !== null && !(isName(defaultFlow) && flows.some((f) => f.name === defaultFlow))) return undefined;
  return { filename: raw.filename, flows, defaultFlow, error };
}

const STATUSES: readonly StepOutcome['status'][] = ['ok', 'failed', 'cancelled', 'running'];

function parseOutcome(raw: unknown): StepOutcome | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { flow, step, status, changed, error } = raw;
  if (!(flow === null || isName(flow)) || !isName(step) || !STATUSES.includes(status as StepOutcome['status'])) {
    return undefined;
  }
  if (typeof changed !== 'number' || !Number.isInteger(changed) || changed < 0 || !textOrNull(error)) return undefined;
  return { flow, step, status: status as StepOutcome['status'], changed, error };
}

/** The host's message if it has a known shape, else undefined (it is then ignored). */
export function parseToGraphView(raw: unknown): ToGraphView | undefined {
  if (!isPlainObject(raw) || raw.type !== 'graph') return undefined;
  const graph = parseFileGraph(raw.graph);
  const outcomes = listOf(raw.outcomes, parseOutcome);
  return graph && outcomes ? { type: 'graph', graph, outcomes } : undefined;
}

/** The webview's message if it is one of the accepted shapes, else undefined. */
export function parseFromGraphView(raw: unknown): FromGraphView | undefined {
  if (!isPlainObject(raw)) return undefined;
  switch (raw.type) {
    case 'ready':
      return hasOnlyKeys(raw, ['type']) ? { type: 'ready' } : undefined;
    case 'openStep':
    case 'spin':
    case 'debug': {
      if (!hasOnlyKeys(raw, ['type', 'flow', 'step'])) return undefined;
      const { flow, step } = raw;
      return isName(flow) && isName(step) ? { type: raw.type, flow, step } : undefined;
    }
    default:
      return undefined;
  }
}

/** The outcome a node of `flow` shows: its flow's, else one whose flow is not known. */
export function outcomeFor(outcomes: readonly StepOutcome[], flow: string, step: string): StepOutcome | undefined {
  return (
    outcomes.find((o) => o.step === step && o.flow === flow) ?? outcomes.find((o) => o.step === step && o.flow === null)
  );
}
