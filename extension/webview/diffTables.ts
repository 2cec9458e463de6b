/** Diffs shown as grids: tables (rows, schema, column statistics, changed cells) and arrays (changed elements). */
import type { ColumnStats, Pair, TableDetail } from '../src/protocol';
import type { Detail, Renderer } from './diff';
import { el } from './dom';
import { change, fact, formatPair, formatValue, isObject, pair, pairChange, plural } from './values';

/** Column statistics listed per table diff, at most. */
const MAX_COLUMNS = 50;

export const renderTable: Renderer<Detail<'table'>> = (box, d, { rows }) => {
  const facts = el('div', { className: 'facts' });
  if (pair(d.rows)) facts.appendChild(fact('rows', pairChange(d.rows)));
  if (d.aligned_by) facts.appendChild(fact('rows aligned by', String(d.aligned_by)));
  if (typeof d.changed_cells === 'number') {
    const inRows = typeof d.changed_rows === 'number' ? ` in ${plural(d.changed_rows, 'row')}` : '';
    facts.appendChild(fact('changed', `${plural(d.changed_cells, 'cell')}${inRows}`));
  }
  if (isObject(d.changed_by_column) && Object.keys(d.changed_by_column).length) {
    const list = Object.entries(d.changed_by_column).map(([c, n]) => `${c} (${formatValue(n)})`);
    facts.appendChild(fact('by column', list.join(', ')));
  }
  if (d.index_changed) facts.appendChild(el('div', { className: 'fact' }, 'The index changed.'));
  if (d.rows_reordered) facts.appendChild(el('div', { className: 'fact' }, 'Rows were reordered.'));
  box.appendChild(facts);
  renderSchema(box, isObject(d.schema) ? d.schema : {});
  if (isObject(d.columns)) renderColumnStats(box, d.columns);
  renderSample(box, d, rows);
};

function renderSchema(box: HTMLElement, schema: Partial<TableDetail['schema']>): void {
  const facts = el('div', { className: 'facts schema', testid: 'schema' });
  if (Array.isArray(schema.added) && schema.added.length) {
    facts.appendChild(fact('columns added', el('span', { className: 'new' }, schema.added.map(String).join(', '))));
  }
  if (Array.isArray(schema.removed) && schema.removed.length) {
    facts.appendChild(fact('columns removed', el('span', { className: 'old' }, schema.removed.map(String).join(', '))));
  }
  if (Array.isArray(schema.retyped)) {
    for (const r of schema.retyped) {
      if (isObject(r)) facts.appendChild(fact(`${r.column} type`, change(r.old, r.new)));
    }
  }
  if (schema.reordered) facts.appendChild(el('div', { className: 'fact' }, 'Columns were reordered.'));
  if (facts.childNodes.length) box.appendChild(facts);
}

type ColumnPair = { old: ColumnStats | null; new: ColumnStats | null };

function renderColumnStats(box: HTMLElement, columns: Record<string, ColumnPair>): void {
  const changed = Object.entries(columns).filter(
    ([, s]) => isObject(s) && JSON.stringify(s.old) !== JSON.stringify(s.new),
  );
  if (!changed.length) return;
  const stats = ['nulls', 'min', 'max', 'mean'] as const;
  const table = el('table', { className: 'grid columns', testid: 'column-stats' });
  table.appendChild(el('thead', {}, el('tr', {}, el('th', {}, 'column'), ...stats.map((s) => el('th', {}, s)))));
  const body = el('tbody');
  const shown = (v: unknown): string => (v === undefined ? '–' : formatValue(v));
  for (const [name, s] of changed.slice(0, MAX_COLUMNS)) {
    const old = isObject(s.old) ? s.old : null;
    const now = isObject(s.new) ? s.new : null;
    const tr = el('tr', {}, el('td', { className: 'name' }, name));
    for (const stat of stats) {
      const a = old ? old[stat] : undefined;
      const b = now ? now[stat] : undefined;
      let cell: HTMLSpanElement;
      if (old === null) cell = el('span', { className: 'new' }, shown(b));
      else if (now === null) cell = el('span', { className: 'old' }, shown(a));
      // Both stated: numbers get the digits that tell them apart.
      else cell = a !== undefined && b !== undefined ? change(a, b) : change(a, b, shown);
      tr.appendChild(el('td', {}, cell));
    }
    body.appendChild(tr);
  }
  table.appendChild(body);
  box.appendChild(el('div', { className: 'section-label' }, 'Column statistics (changed)'));
  box.appendChild(el('div', { className: 'scroll' }, table));
}

/** The changed rows the server sampled, at most `rows` of them, every changed cell marked. */
function renderSample(box: HTMLElement, d: Detail<'table'>, rows: number): void {
  const sample = Array.isArray(d.sample) ? d.sample.filter(isObject) : [];
  if (!sample.length) return;
  const columns: string[] = [];
  for (const row of sample) {
    for (const side of [row.old, row.new]) {
      if (!isObject(side)) continue;
      for (const c of Object.keys(side)) if (!columns.includes(c)) columns.push(c);
    }
  }
  const table = el('table', { className: 'grid sample', testid: 'sample-table' });
  table.appendChild(el('thead', {}, el('tr', {}, el('th', {}, 'row'), ...columns.map((c) => el('th', {}, c)))));
  const body = el('tbody');
  for (const row of sample.slice(0, rows)) {
    const old: Record<string, unknown> = isObject(row.old) ? row.old : {};
    const now: Record<string, unknown> = isObject(row.new) ? row.new : {};
    const tr = el('tr', { testid: 'sample-row' }, el('td', { className: 'key' }, formatValue(row.key)));
    for (const c of columns) {
      const inOld = Object.prototype.hasOwnProperty.call(old, c);
      const inNew = Object.prototype.hasOwnProperty.call(now, c);
      if (!inOld && !inNew) {
        tr.appendChild(el('td', { className: 'unchanged-cell' }, ''));
      } else {
        const shown = !inOld
          ? el('span', { className: 'new' }, formatValue(now[c]))
          : !inNew
            ? el('span', { className: 'old' }, formatValue(old[c]))
            : change(old[c], now[c]);
        tr.appendChild(el('td', { className: 'changed-cell', testid: 'changed-cell', data: { column: c } }, shown));
      }
    }
    body.appendChild(tr);
  }
  table.appendChild(body);
  box.appendChild(el('div', { className: 'section-label' }, 'Changed rows (sample)'));
  box.appendChild(el('div', { className: 'scroll' }, table));
  const total = typeof d.changed_rows === 'number' ? d.changed_rows : sample.length;
  const listed = Math.min(rows, sample.length);
  if (total > listed) {
    box.appendChild(el('div', { className: 'note' }, `Showing ${listed} of ${plural(total, 'changed row')}.`));
  }
}

export const renderArray: Renderer<Detail<'array'>> = (box, d, { rows }) => {
  const facts = el('div', { className: 'facts' });
  const shape = (s: unknown): string => `(${Array.isArray(s) ? s.join(', ') : formatValue(s)})`;
  if (pair(d.shape)) facts.appendChild(fact('shape', pairChange(d.shape, shape)));
  if (pair(d.dtype)) facts.appendChild(fact('dtype', pairChange(d.dtype)));
  if (typeof d.changed_elements === 'number') {
    const sizes: Pair<number> | undefined = pair(d.size);
    const size = sizes ? ` of ${formatValue(sizes[0])}` : '';
    facts.appendChild(fact('changed', `${formatValue(d.changed_elements)}${size} elements`));
  }
  if (d.max_abs_diff !== undefined && d.max_abs_diff !== null) {
    facts.appendChild(fact('max abs diff', formatValue(d.max_abs_diff)));
  }
  if (d.max_rel_diff !== undefined && d.max_rel_diff !== null) {
    facts.appendChild(fact('max rel diff', formatValue(d.max_rel_diff)));
  }
  box.appendChild(facts);
  const sample = Array.isArray(d.sample) ? d.sample.filter(isObject) : [];
  if (!sample.length) return;
  const table = el('table', { className: 'grid sample', testid: 'sample-table' });
  table.appendChild(el('thead', {}, el('tr', {}, el('th', {}, 'index'), el('th', {}, 'old'), el('th', {}, 'new'))));
  const body = el('tbody');
  for (const cell of sample.slice(0, rows)) {
    const index = Array.isArray(cell.index) ? `[${cell.index.join(', ')}]` : formatValue(cell.index);
    const [old, now] = formatPair(cell.old, cell.new);
    body.appendChild(
      el(
        'tr',
        { testid: 'sample-row' },
        el('td', { className: 'key' }, index),
        el('td', { className: 'old' }, old),
        el('td', { className: 'new changed-cell', testid: 'changed-cell' }, now),
      ),
    );
  }
  table.appendChild(body);
  box.appendChild(el('div', { className: 'scroll' }, table));
};
