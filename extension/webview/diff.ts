/** A ValueDiff as DOM: one renderer per diff kind, nested diffs rendered recursively. */
import type { DiffKind, ValueDiff } from '../src/protocol';
import { el } from './dom';
import { renderMapping, renderParams, renderSequence, renderSet } from './diffCollections';
import { renderArray, renderTable } from './diffTables';
import { renderBool, renderError, renderNone, renderNumber, renderObject, renderText, renderUnknown } from './diffValues';
import { isObject } from './values';

/** What a renderer needs besides the detail: the row limit and how to render a nested diff. */
export interface DiffContext {
  /** Changed rows (or elements) shown per diff: the `diffRows` setting. */
  rows: number;
  depth: number;
  nested(diff: ValueDiff): HTMLElement;
}

export type Renderer<D> = (box: HTMLElement, detail: D, context: DiffContext) => void;

/** The detail of a `kind` diff, read defensively (any field may be missing). */
export type Detail<K extends DiffKind> = Extract<ValueDiff, { kind: K }>['detail'];

const RENDERERS: { [K in DiffKind]: Renderer<Detail<K>> } = {
  table: renderTable,
  array: renderArray,
  mapping: renderMapping,
  sequence: renderSequence,
  set: renderSet,
  text: renderText,
  number: renderNumber,
  bool: renderBool,
  none: renderNone,
  params: renderParams,
  object: renderObject,
  type: renderObject,
  error: renderError,
};

/** The renderer of `kind`; a kind this panel does not know shows its detail as JSON. */
function rendererFor(kind: string): Renderer<ValueDiff['detail']> {
  if (!Object.hasOwn(RENDERERS, kind)) return renderUnknown;
  // `kind` names the detail's shape: the server sends them together.
  return RENDERERS[kind as DiffKind] as Renderer<ValueDiff['detail']>;
}

/** Kinds whose renderer prints the whole change on one line: the server's summary would say it twice. */
const ONE_LINE: ReadonlySet<string> = new Set<DiffKind>(['number', 'bool']);

export function renderDiff(diff: ValueDiff | undefined, rows = 20, depth = 0): HTMLElement {
  if (!isObject(diff)) return el('div', { className: 'diff', testid: 'diff' }, 'No diff reported.');
  const kind = typeof diff.kind === 'string' ? diff.kind : 'unknown';
  const detail: ValueDiff['detail'] = isObject(diff.detail) ? diff.detail : {};
  const box = el('div', { className: `diff diff-${kind}`, testid: 'diff', data: { kind } });
  if (depth === 0 && typeof diff.summary === 'string' && !ONE_LINE.has(kind)) {
    box.appendChild(el('div', { className: 'diff-summary', testid: 'diff-summary' }, diff.summary));
  }
  if (typeof diff.error === 'string' && diff.error) {
    box.appendChild(el('div', { className: 'diff-error' }, `Comparison incomplete: ${diff.error}`));
  }
  if (detail.depth_limited) {
    box.appendChild(el('div', { className: 'note' }, 'Nested too deep to compare further.'));
    return box;
  }
  const context: DiffContext = { rows, depth, nested: (inner) => renderDiff(inner, rows, depth + 1) };
  try {
    rendererFor(kind)(box, detail, context);
  } catch (error) {
    box.appendChild(el('div', { className: 'diff-error' }, `Cannot show this diff: ${String(error)}`));
  }
  if (diff.truncated) {
    box.appendChild(el('div', { className: 'note' }, 'Truncated: only part of the difference is listed.'));
  }
  return box;
}
