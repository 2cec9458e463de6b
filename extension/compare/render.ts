/**
 * The comparison of two runs or tasks, as DOM: Parameters side by side, scalar
 * metrics with deltas, then every artifact's status and diff summary. Every
 * piece of text goes in through textContent, so artifact values never become markup.
 */
import type { CompareArtifact, CompareMetric, CompareParameter, CompareResult } from '../src/protocol';
import { sideName } from './sides';

type Cell = string | number | null;

function el<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, text?: string, className?: string): HTMLElementTagNameMap[K] {
  const node = doc.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function table(doc: Document, testId: string, head: string[], rows: { cells: Cell[]; className?: string }[]): HTMLTableElement {
  const t = el(doc, 'table');
  t.dataset.testid = testId;
  const tr = el(doc, 'tr');
  for (const h of head) tr.append(el(doc, 'th', h));
  t.append(el(doc, 'thead'));
  t.tHead?.append(tr);
  const body = el(doc, 'tbody');
  for (const row of rows) {
    const r = el(doc, 'tr', undefined, row.className);
    for (const c of row.cells) r.append(el(doc, 'td', c === null ? '—' : String(c)));
    body.append(r);
  }
  t.append(body);
  return t;
}

export function formatNumber(value: number | string): string {
  if (typeof value === 'string') return value;
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

export function deltaText(metric: CompareMetric): string {
  const { a, b, delta } = metric;
  if (typeof delta === 'string' || typeof a === 'string' || typeof b === 'string') return formatNumber(delta);
  const sign = delta > 0 ? '+' : '';
  const relative = a !== 0 ? ` (${sign}${Number(((delta / Math.abs(a)) * 100).toPrecision(3))}%)` : '';
  return `${sign}${formatNumber(delta)}${relative}`;
}

export function parameterRows(parameters: CompareParameter[]): { cells: Cell[]; className?: string }[] {
  return parameters.map((p) => ({ cells: [p.name, p.a, p.b], className: p.changed ? 'changed' : 'same' }));
}

export function artifactRows(artifacts: CompareArtifact[]): { cells: Cell[]; className?: string }[] {
  return artifacts.map((a) => ({ cells: [a.name, a.status, a.type, a.summary], className: a.status }));
}

export function renderComparison(doc: Document, root: HTMLElement, result: CompareResult): void {
  root.replaceChildren();
  root.append(el(doc, 'h1', `${sideName(result.a)} vs ${sideName(result.b)}`));
  const counts = new Map<string, number>();
  for (const a of result.artifacts) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
  const summary = ['changed', 'added', 'removed', 'same'].map((s) => `${counts.get(s) ?? 0} ${s}`).join(', ');
  root.append(el(doc, 'p', `Artifacts: ${summary}${result.truncated ? ' (more not compared)' : ''}`, 'summary'));
  if (result.parameters.length) {
    root.append(el(doc, 'h2', 'Parameters'));
    root.append(table(doc, 'parameters', ['parameter', 'a', 'b'], parameterRows(result.parameters)));
  }
  if (result.metrics.length) {
    root.append(el(doc, 'h2', 'Metrics'));
    const rows = result.metrics.map((m) => ({ cells: [m.name, formatNumber(m.a), formatNumber(m.b), deltaText(m)] }));
    root.append(table(doc, 'metrics', ['metric', 'a', 'b', 'delta'], rows));
  }
  root.append(el(doc, 'h2', 'Artifacts'));
  root.append(table(doc, 'artifacts', ['artifact', 'status', 'type', 'what changed'], artifactRows(result.artifacts)));
}

export function renderError(doc: Document, root: HTMLElement, message: string): void {
  root.replaceChildren(el(doc, 'p', message, 'error'));
}
