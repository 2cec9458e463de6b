/**
 * The artifact tables: one row per artifact with its status against the chosen
 * comparison, expanding to its diff. Rows sit in groups (the step's own, then
 * Metaflow's under a heading that opens and closes), each in a stable order
 * (rowOrder.ts). What a failed step assigned has a table of its own. The
 * comparison is picked per step and remembered with the panel's state.
 */
import type { ArtifactEvent, Comparison } from '../src/protocol';
import { type ArtifactRow, BASELINE, createRow, renderRow, statusOf } from './artifactRow';
import { clear, el } from './dom';
import { GROUPS, type Group, type GroupId, compareRows, groupOf } from './rowOrder';
import type { SpinState } from './state';
import { plural } from './values';
import { COMPARISONS, DEFAULT_COMPARISON, type ViewStateStore } from './viewState';

interface GroupRows {
  group: Group;
  /** The group's heading (hidden while it has no rows); none for an unlabelled group. */
  head: HTMLTableSectionElement | null;
  toggle: HTMLButtonElement | null;
  rows: HTMLTableSectionElement;
}

interface Table {
  table: HTMLTableElement;
  groups: ReadonlyMap<GroupId, GroupRows>;
}

function groupRows(group: Group, stepTestid: string, onToggle: (group: Group) => void): GroupRows {
  const testid = group.id === 'step' ? stepTestid : `${group.id}-rows`;
  const rows = el('tbody', { className: `rows group-${group.id}`, testid, data: { group: group.id } });
  if (group.label === null) return { group, head: null, toggle: null, rows };
  const toggle = group.collapsible
    ? el('button', { className: 'group-toggle', type: 'button', testid: `${group.id}-toggle`, 'aria-expanded': 'false' })
    : null;
  if (toggle) toggle.addEventListener('click', () => onToggle(group));
  const label = toggle ?? el('span', { className: 'group-label' });
  const head = el(
    'tbody',
    { className: 'group-head', testid: 'group-head', data: { group: group.id }, hidden: true },
    el('tr', {}, el('th', { colspan: '6' }, label)),
  );
  return { group, head, toggle, rows };
}

function artifactTable(testid: string, stepTestid: string, onToggle: (group: Group) => void): Table {
  const table = el(
    'table',
    { className: 'artifacts', testid },
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
  );
  const groups = new Map<GroupId, GroupRows>();
  for (const group of GROUPS) {
    const g = groupRows(group, stepTestid, onToggle);
    if (g.head) table.appendChild(g.head);
    table.appendChild(g.rows);
    groups.set(group.id, g);
  }
  return { table, groups };
}

export function createArtifacts(state: SpinState, view: ViewStateStore) {
  let comparison: Comparison = DEFAULT_COMPARISON;
  /** `Flow.step` of the spin on display, once its `started` said which. */
  let stepKey: string | undefined;
  /** The reader picked a comparison before the spin said its step: it is that step's. */
  let pickedEarly = false;
  let diffRows = 20;
  let entries = new Map<string, ArtifactRow>();

  const select = el('select', { testid: 'comparison', 'aria-label': 'Compare with' });
  for (const value of COMPARISONS) select.appendChild(el('option', { value }, BASELINE[value]));
  select.value = comparison;
  const countEl = el('span', { className: 'count muted', testid: 'artifact-count' });
  const onToggle = (group: Group): void => {
    view.setOpen(group.id, !view.isOpen(group.id));
    layout();
  };
  const results = artifactTable('artifacts', 'artifact-rows', onToggle);
  const noArtifactsEl = el('div', { className: 'muted', testid: 'no-artifacts', hidden: true }, 'No artifacts.');
  const partial = artifactTable('partial-artifacts', 'partial-rows', onToggle);
  const partialEl = el(
    'div',
    { className: 'partial', testid: 'partial', hidden: true },
    el('h3', {}, 'Assigned before the failure (partial)'),
    el('div', { className: 'note' }, 'The step raised after assigning these: how far it got, not its result.'),
    partial.table,
  );
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
  );

  select.addEventListener('change', () => {
    const chosen = COMPARISONS.find((c) => c === select.value);
    if (!chosen) return;
    comparison = chosen;
    if (stepKey !== undefined) view.setComparison(stepKey, chosen);
    else pickedEarly = true;
    redraw();
  });

  const tableOf = (e: ArtifactEvent): Table => (e.partial ? partial : results);
  const rowsOf = (e: ArtifactEvent): HTMLTableSectionElement => {
    const g = tableOf(e).groups.get(groupOf(e));
    if (!g) throw new Error(`no row group ${groupOf(e)}`);
    return g.rows;
  };
  const sortKey = (entry: ArtifactRow) => ({ name: entry.name, status: statusOf(entry.event, comparison) });

  /** Puts the row (and its detail) where it sorts among the rows of its group. */
  function place(entry: ArtifactRow): void {
    const tbody = rowsOf(entry.event);
    const key = sortKey(entry);
    let before: Node | null = null;
    for (const tr of Array.from(tbody.querySelectorAll<HTMLTableRowElement>(':scope > tr.artifact'))) {
      const other = entries.get(tr.dataset.name ?? '');
      if (other && other !== entry && compareRows(key, sortKey(other)) < 0) {
        before = tr;
        break;
      }
    }
    tbody.insertBefore(entry.row, before);
    tbody.insertBefore(entry.detailRow, before);
  }

  /** Every row drawn for the comparison, and in its place (statuses, and so the order, may have changed). */
  function redraw(): void {
    const sorted = Array.from(entries.values()).sort((a, b) => compareRows(sortKey(a), sortKey(b)));
    for (const entry of sorted) {
      renderRow(entry, comparison, diffRows);
      const tbody = rowsOf(entry.event);
      tbody.appendChild(entry.row);
      tbody.appendChild(entry.detailRow);
    }
    layout();
  }

  function rowCount(table: Table, group: GroupId): number {
    const g = table.groups.get(group);
    return g ? g.rows.querySelectorAll(':scope > tr.artifact').length : 0;
  }

  /** Rows of `table` outside collapsible groups: the step's own artifacts. */
  function ownCount(table: Table): number {
    return GROUPS.filter((g) => !g.collapsible).reduce((n, g) => n + rowCount(table, g.id), 0);
  }

  /** Headings, open groups, counts, and which tables and notes show. */
  function layout(): void {
    for (const table of [results, partial]) {
      for (const g of table.groups.values()) {
        const n = rowCount(table, g.group.id);
        const open = !g.group.collapsible || view.isOpen(g.group.id);
        g.rows.hidden = !open;
        if (g.head) g.head.hidden = n === 0;
        if (g.toggle) {
          g.toggle.textContent = `${open ? '▾' : '▸'} ${g.group.label} (${n})`;
          g.toggle.setAttribute('aria-expanded', String(open));
        } else if (g.head) {
          g.head.querySelector('.group-label')?.replaceChildren(`${g.group.label} (${n})`);
        }
      }
    }
    const own = ownCount(results);
    const ownPartial = ownCount(partial);
    const any = (table: Table): boolean => GROUPS.some((g) => rowCount(table, g.id) > 0);
    countEl.textContent = own ? plural(own, 'artifact') : '';
    // While the spin runs the table stays, so the first rows do not move the page;
    // a spin that ended without any says so instead of showing an empty table.
    const ended = state.terminal !== undefined;
    results.table.hidden = ended && !any(results);
    noArtifactsEl.hidden = !ended || own + ownPartial > 0;
    partialEl.hidden = !any(partial);
  }

  return {
    element,
    layout,

    reset(): void {
      entries = new Map();
      stepKey = undefined;
      pickedEarly = false;
      for (const table of [results, partial]) for (const g of table.groups.values()) clear(g.rows);
      layout();
    },

    /** The spin's step (`Flow.step`): its comparison is the one the reader picked for it, else the default. */
    setStep(key: string): void {
      stepKey = key;
      if (pickedEarly) view.setComparison(key, comparison);
      else comparison = view.comparison(key);
      pickedEarly = false;
      select.value = comparison;
      redraw();
    },

    onArtifact(e: ArtifactEvent): void {
      const name = String(e.name);
      const entry = entries.get(name) ?? createRow(e, (toggled) => renderRow(toggled, comparison, diffRows));
      entry.event = e;
      entries.set(name, entry);
      renderRow(entry, comparison, diffRows);
      place(entry);
      layout();
    },

    /** The `diffRows` setting: open diffs are redrawn with it. */
    setDiffRows(rows: number): void {
      diffRows = rows;
      for (const entry of entries.values()) if (entry.expanded) renderRow(entry, comparison, diffRows);
    },
  };
}
