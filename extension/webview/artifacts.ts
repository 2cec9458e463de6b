/**
 * The artifact tables: one row per artifact with its status against the chosen
 * comparison, expanding to its diff; the step's own artifacts, then Metaflow's
 * internal ones (on request); what a failed step assigned, under its own heading.
 */
import type { ArtifactEvent, ArtifactStatus, Comparison } from '../src/protocol';
import { append, clear, el } from './dom';
import { renderDiff } from './diff';
import type { SpinState } from './state';
import { fact, formatSize, isObject, plural, shortType } from './values';

/** The comparisons in the order the picker lists them, with what they compare against. */
const COMPARISONS: readonly Comparison[] = ['source', 'inputs', 'previous'];
const BASELINE: Readonly<Record<Comparison, string>> = {
  source: 'source run',
  inputs: 'inputs',
  previous: 'previous spin',
};

type Shown = ArtifactStatus | 'none';

interface Row {
  event: ArtifactEvent;
  row: HTMLTableRowElement;
  badge: HTMLSpanElement;
  toggle: HTMLButtonElement;
  summaryCell: HTMLTableCellElement;
  detailRow: HTMLTableRowElement;
  detailCell: HTMLTableCellElement;
  expanded: boolean;
}

function statusOf(e: ArtifactEvent, comparison: Comparison): Shown {
  const value = e[`vs_${comparison}`];
  return value === 'new' || value === 'changed' || value === 'unchanged' ? value : 'none';
}

/** The step's rows, then Metaflow's internal ones (shown only on request). */
function artifactTable(testid: string, rowsTestid: string) {
  const rows = el('tbody', { testid: rowsTestid });
  const internalRows = el('tbody', { className: 'internal', testid: 'internal-rows', hidden: true });
  const table = el(
    'table',
    { className: 'artifacts', testid },
    el(
      'colgroup',
      {},
      el('col', { className: 'col-toggle' }),
      el('col', { className: 'col-name' }),
      el('col', { className: 'col-type' }),
      el('col', { className: 'col-size' }),
      el('col', { className: 'col-status' }),
      el('col', { className: 'col-value' }),
    ),
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        el('th', { className: 'toggle-col' }, ''),
        el('th', {}, 'artifact'),
        el('th', {}, 'type'),
        el('th', { className: 'num' }, 'size'),
        el('th', {}, 'vs'),
        el('th', {}, 'value'),
      ),
    ),
    rows,
    internalRows,
  );
  return { table, rows, internalRows };
}

export function createArtifacts(state: SpinState) {
  let comparison: Comparison = 'source';
  let diffRows = 20;
  // Kept across spins: whoever wants Metaflow's internal artifacts wants them every time.
  let showInternal = false;
  let entries = new Map<string, Row>();

  const select = el('select', { testid: 'comparison', 'aria-label': 'Compare with' });
  for (const value of COMPARISONS) select.appendChild(el('option', { value }, BASELINE[value]));
  select.value = comparison;
  const countEl = el('span', { className: 'count muted', testid: 'artifact-count' });
  const results = artifactTable('artifacts', 'artifact-rows');
  const noArtifactsEl = el('div', { className: 'muted', testid: 'no-artifacts', hidden: true }, 'No artifacts.');
  const partial = artifactTable('partial-artifacts', 'partial-rows');
  const partialEl = el(
    'div',
    { className: 'partial', testid: 'partial', hidden: true },
    el('h3', {}, 'Assigned before the failure (partial)'),
    el('div', { className: 'note' }, 'The step raised after assigning these: how far it got, not its result.'),
    partial.table,
  );
  const internalToggle = el('button', {
    className: 'link-button',
    testid: 'internal-toggle',
    type: 'button',
    'aria-pressed': 'false',
    hidden: true,
  });
  const element = el(
    'section',
    { className: 'artifacts-section' },
    el(
      'div',
      { className: 'section-head' },
      el('h2', {}, 'Artifacts'),
      countEl,
      el('label', { className: 'compare' }, 'compare with ', select),
    ),
    results.table,
    noArtifactsEl,
    partialEl,
    internalToggle,
  );

  select.addEventListener('change', () => {
    const chosen = COMPARISONS.find((c) => c === select.value);
    if (chosen) comparison = chosen;
    for (const entry of entries.values()) updateRow(entry);
  });
  internalToggle.addEventListener('click', () => {
    showInternal = !showInternal;
    layout();
  });

  function count(isPartial: boolean, isInternal: boolean): number {
    let n = 0;
    for (const { event: e } of entries.values()) {
      if (Boolean(e.partial) === isPartial && Boolean(e.internal) === isInternal) n++;
    }
    return n;
  }

  /** Counts, tables and notes for the artifacts so far and the internal toggle. */
  function layout(): void {
    const own = count(false, false);
    const ownPartial = count(true, false);
    const internal = count(false, true);
    const internalPartial = count(true, true);
    countEl.textContent = own ? plural(own, 'artifact') : '';
    internalToggle.hidden = internal + internalPartial === 0;
    internalToggle.textContent = `${showInternal ? 'hide' : 'show'} Metaflow's internal artifacts (${internal + internalPartial})`;
    internalToggle.setAttribute('aria-pressed', String(showInternal));
    results.internalRows.hidden = !showInternal;
    partial.internalRows.hidden = !showInternal;
    const shows = (mine: number, theirs: number): boolean => mine > 0 || (showInternal && theirs > 0);
    // While the spin runs the table stays, so the first rows do not move the page;
    // a spin that ended without any says so instead of showing an empty table.
    const ended = state.terminal !== undefined;
    results.table.hidden = ended && !shows(own, internal);
    noArtifactsEl.hidden = !ended || own + ownPartial > 0;
    partialEl.hidden = !shows(ownPartial, internalPartial);
  }

  function updateRow(entry: Row): void {
    const e = entry.event;
    const status = statusOf(e, comparison);
    entry.row.setAttribute('data-status', status);
    entry.badge.className = `badge status-${status}`;
    entry.badge.setAttribute('data-status', status);
    entry.badge.textContent = status === 'none' ? '—' : status;
    clear(entry.summaryCell);
    append(entry.summaryCell, String(e.summary));
    if (e.error) {
      entry.summaryCell.appendChild(el('span', { className: 'artifact-error', testid: 'artifact-error' }, ` ⚠ ${e.error}`));
    }
    entry.toggle.textContent = entry.expanded ? '▾' : '▸';
    entry.toggle.setAttribute('aria-expanded', String(entry.expanded));
    entry.detailRow.hidden = !entry.expanded;
    clear(entry.detailCell);
    if (entry.expanded) entry.detailCell.appendChild(renderDetail(e));
  }

  function renderDetail(e: ArtifactEvent): HTMLElement {
    const label = BASELINE[comparison];
    const status = statusOf(e, comparison);
    const box = el(
      'div',
      { className: 'artifact-detail' },
      el(
        'div',
        { className: 'facts' },
        fact('type', String(e.type)),
        fact('size', formatSize(e.size)),
        fact('value', String(e.summary)),
      ),
    );
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
        diff
          ? renderDiff(diff, diffRows)
          : el('div', { className: 'note' }, `Changed vs the ${label} (no diff reported).`),
      );
    }
    return box;
  }

  return {
    element,
    layout,

    reset(): void {
      entries = new Map();
      for (const tbody of [results.rows, results.internalRows, partial.rows, partial.internalRows]) clear(tbody);
      layout();
    },

    onArtifact(e: ArtifactEvent): void {
      const name = String(e.name);
      const existing = entries.get(name);
      if (existing) {
        existing.event = e;
        updateRow(existing);
        return;
      }
      const badge = el('span', { className: 'badge', testid: 'artifact-status' });
      const toggle = el(
        'button',
        { className: 'toggle', type: 'button', 'aria-expanded': 'false', title: 'Show the difference' },
        '▸',
      );
      const summaryCell = el('td', { className: 'summary' });
      const row = el(
        'tr',
        { className: 'artifact', testid: 'artifact-row', data: { name } },
        el('td', { className: 'toggle-col' }, toggle),
        el('td', { className: 'name' }, name),
        el('td', { className: 'type', title: String(e.type) }, shortType(e.type)),
        el('td', { className: 'num size' }, formatSize(e.size)),
        el('td', {}, badge),
        summaryCell,
      );
      const detailCell = el('td', { colspan: '6' });
      const detailRow = el('tr', { className: 'detail', testid: 'artifact-detail', data: { name }, hidden: true }, detailCell);
      const entry: Row = { event: e, row, badge, toggle, summaryCell, detailRow, detailCell, expanded: false };
      row.addEventListener('click', (ev) => {
        if (ev.target instanceof Element && ev.target.closest('a')) return;
        entry.expanded = !entry.expanded;
        updateRow(entry);
      });
      entries.set(name, entry);
      const group = e.partial ? partial : results;
      const tbody = e.internal ? group.internalRows : group.rows;
      tbody.appendChild(row);
      tbody.appendChild(detailRow);
      layout();
      updateRow(entry);
    },

    /** The `diffRows` setting: open diffs are redrawn with it. */
    setDiffRows(rows: number): void {
      diffRows = rows;
      for (const entry of entries.values()) if (entry.expanded) updateRow(entry);
    },
  };
}
