/**
 * The flow graph view's messages, for both sides: the host (graphPanel.ts) and the
 * webview's script (extension/graph). The graph itself is the server's
 * `spinlens.server.flowGraph` result (FileGraph in protocol.ts, re-exported here);
 * both sides check it before use, and the host checks every message the webview
 * sends.
 *
 * Nothing here imports a module that runs in only one of the two places.
 */
import {
  type FileGraph,
  type FlowGraph,
  type GraphEdge,
  type GraphNode,
  type NodeKind,
  type EdgeKind,
  type SourceError,
  NODE_KINDS,
  EDGE_KINDS,
  isBoundedTextOrNull,
  isName,
  isPlainObject,
  listOf,
  parseFileGraph,
} from './protocol';

// The graph's own types live with the server command that sends it (protocol.ts).
export type { EdgeKind, FileGraph, FlowGraph, GraphEdge, GraphNode, NodeKind, SourceError };
export { EDGE_KINDS, NODE_KINDS, isName, parseFileGraph };

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

type Obj = Record<string, unknown>;

function hasOnlyKeys(value: Obj, keys: readonly string[]): boolean {
  return Object.keys(value).every((k) => keys.includes(k));
}

const STATUSES: readonly StepOutcome['status'][] = ['ok', 'failed', 'cancelled', 'running'];

function parseOutcome(raw: unknown): StepOutcome | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { flow, step, status, changed, error } = raw;
  if (!(flow === null || isName(flow)) || !isName(step) || !STATUSES.includes(status as StepOutcome['status'])) {
    return undefined;
  }
  if (typeof changed !== 'number' || !Number.isInteger(changed) || changed < 0 || !isBoundedTextOrNull(error)) return undefined;
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
