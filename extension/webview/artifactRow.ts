/** One artifact's row: name, type, size, status against the chosen comparison, value; it expands to the diff. */
import type { ArtifactEvent, Comparison } from '../src/protocol';
import { append, clear, el } from './dom';
import { renderDiff } from './diff';
import type { Shown } from './rowOrder';
import { rowValues } from './rowsValue';
import { fact, formatSize, isObject, shortType } from './values';

/** What each comparison compares against, as the picker and the notes name it. */
export const BASELINE: Readonly<Record<Comparison, string>> = {
  source: 'source run',
  inputs: 'inputs',
  previous: 'previous spin',
};

export function statusOf(e: ArtifactEvent, comparison: Comparison): Shown {
  const value = e[`vs_${comparison}`];
  return value === 'new' || value === 'changed' || value === 'unchanged' ? value : 'none';
}

/**
 * A name as text with a line-break opportunity after each run of `_` or `.`
 * (`feature_` / `table`), none inside a word and none after a leading `_`.
 */
export function nameNodes(name: string): Node[] {
  const nodes: Node[] = [];
  for (const [i, part] of name.split(/(?<=[^_.][_.]+)(?=[^_.])/).entries()) {
    if (i) nodes.push(document.createElement('wbr'));
    nodes.push(document.createTextNode(part));
  }
  return nodes;
}

export interface ArtifactRow {
  readonly name: string;
  event: ArtifactEvent;
  expanded: boolean;
  readonly row: HTMLTableRowElement;
  readonly detailRow: HTMLTableRowElement;
  readonly badge: HTMLSpanElement;
  readonly toggle: HTMLButtonElement;
  readonly typeCell: HTMLTableCellElement;
  readonly sizeCell: HTMLTableCellElement;
  readonly summaryCell: HTMLTableCellElement;
  readonly detailCell: HTMLTableCellElement;
}

/** The row of `e`; a click on it (not on a link) calls `onToggle` after flipping `expanded`. */
export function createRow(e: ArtifactEvent, onToggle: (entry: ArtifactRow) => void): ArtifactRow {
  const name = String(e.name);
  const badge = el('span', { className: 'badge', testid: 'artifact-status' });
  const toggle = el(
    'button',
    { className: 'toggle', type: 'button', 'aria-expanded': 'false', title: 'Show the difference' },
    '▸',
  );
  const typeCell = el('td', { className: 'type' });
  const sizeCell = el('td', { className: 'num size' });
  const summaryCell = el('td', { className: 'summary', testid: 'artifact-summary' });
  const row = el(
    'tr',
    { className: 'artifact', testid: 'artifact-row', data: { name } },
    el('td', { className: 'toggle-col' }, toggle),
    el('td', { className: 'name' }, el('span', { className: 'name-text', testid: 'artifact-name', title: name }, ...nameNodes(name))),
    typeCell,
    sizeCell,
    el('td', { className: 'status-col' }, badge),
    summaryCell,
  );
  const detailCell = el('td', { colspan: '6' });
  const detailRow = el('tr', { className: 'detail', testid: 'artifact-detail', data: { name }, hidden: true }, detailCell);
  const entry: ArtifactRow = {
    name,
    event: e,
    expanded: false,
    row,
    detailRow,
    badge,
    toggle,
    typeCell,
    sizeCell,
    summaryCell,
    detailCell,
  };
  row.addEventListener('click', (ev) => {
    if (ev.target instanceof Element && ev.target.closest('a')) return;
    entry.expanded = !entry.expanded;
    onToggle(entry);
  });
  return entry;
}

/** Draws the row from its event for `comparison`; an expanded row redraws its diff. */
export function renderRow(entry: ArtifactRow, comparison: Comparison, diffRows: number): void {
  const e = entry.event;
  const status = statusOf(e, comparison);
  entry.row.setAttribute('data-status', status);
  entry.badge.className = `badge status-${status}`;
  entry.badge.setAttribute('data-status', status);
  entry.badge.textContent = status === 'none' ? '—' : status;
  // The short name in full (the column sizes to it); a long one ellipsizes, the title has it whole.
  clear(entry.typeCell);
  entry.typeCell.title = String(e.type);
  entry.typeCell.appendChild(el('span', { className: 'type-text' }, shortType(e.type)));
  entry.sizeCell.textContent = formatSize(e.size);
  clear(entry.summaryCell);
  append(entry.summaryCell, String(e.summary));
  if (e.error) {
    entry.summaryCell.appendChild(el('span', { className: 'artifact-error', testid: 'artifact-error' }, ` ⚠ ${e.error}`));
  }
  entry.toggle.textContent = entry.expanded ? '▾' : '▸';
  entry.toggle.setAttribute('aria-expanded', String(entry.expanded));
  entry.detailRow.hidden = !entry.expanded;
  clear(entry.detailCell);
  if (entry.expanded) entry.detailCell.appendChild(renderDetail(e, comparison, diffRows));
}

/** The expanded part: the qualified type (the row shows the short one), then the diff or why there is none. */
function renderDetail(e: ArtifactEvent, comparison: Comparison, diffRows: number): HTMLElement {
  const label = BASELINE[comparison];
  const status = statusOf(e, comparison);
  // Size and value are in the row already: the detail does not repeat them.
  const box = el('div', { className: 'artifact-detail' }, el('div', { className: 'facts' }, fact('type', String(e.type))));
  if (e.error) box.appendChild(el('div', { className: 'diff-error' }, String(e.error)));
  if (status === 'none') {
    box.appendChild(el('div', { className: 'note' }, `No ${label} to compare with.`));
  } else if (status === 'unchanged') {
    box.appendChild(el('div', { className: 'note' }, `Unchanged vs the ${label}.`));
  } else if (status === 'new') {
    box.appendChild(el('div', { className: 'note' }, `New: not in the ${label}.`));
  } else {
    const diff = isObject(e.diffs) ? e.diffs[comparison] : undefined;
    box.appendChild(
      diff ? renderDiff(diff, diffRows) : el('div', { className: 'note' }, `Changed vs the ${label} (no diff reported).`),
    );
  }
  box.appendChild(rowValues.section(e)); // the value itself, beyond the summary
  return box;
}
