/**
 * The value viewer: one value (the host says which), shown by its page's kind.
 * A table is a paged grid sorted by a header click, with dtypes and statistics
 * in the header; an array shows its statistics, a histogram or line plot, and
 * its values in pages; an image is an <img> of a data: URL; text is wrapped and
 * paged; a dict or list is a tree whose levels load when opened. Entries that
 * are tables, arrays, images or text open in the main view (with a way back).
 */
import { button, clear, el } from './dom';
import { PAGE_ROWS, type GridState, Requests, clickHeader, initialGrid, rangeText, turnPage } from './gridState';
import { drawChart } from './histogram';
import type { FromViewer, ToViewer } from './messages';
import { parseToViewer } from './messages';
import {
  type ArrayPage,
  type ColumnStats,
  type TablePage,
  type TreeEntry,
  type TreePage,
  type ValuePage,
  formatStat,
} from './pages';

type Post = (message: FromViewer) => void;

const OPENABLE = new Set(['table', 'array', 'image', 'text', 'repr']);

function statsText(stats: ColumnStats | null): string {
  if (!stats) return '';
  const parts = [`nulls ${stats.nulls}`];
  if (stats.unique !== undefined) parts.push(`unique ${stats.unique}`);
  if (stats.min !== undefined) parts.push(`min ${formatStat(stats.min)}`);
  if (stats.max !== undefined) parts.push(`max ${formatStat(stats.max)}`);
  if (stats.mean !== undefined && stats.mean !== null) parts.push(`mean ${formatStat(stats.mean)}`);
  return parts.join(' · ');
}

export function createViewer(root: HTMLElement, post: Post): { handleMessage(raw: unknown): void } {
  const requests = new Requests();
  /** What a tree node's reply fills in, by slot. */
  const treeTargets = new Map<string, { box: HTMLElement; path: number[] }>();
  let name = '';
  let source = '';
  let path: number[] = [];
  let grid: GridState = initialGrid();
  let chartMode: 'histogram' | 'line' = 'histogram';
  const header = el('div', { className: 'viewer-header', testid: 'viewer-header' });
  const body = el('div', { className: 'viewer-body', testid: 'viewer-body' });
  root.append(header, body);

  function ask(slot: string, at: number[], offset: number, sort: string | null = null, descending = false): void {
    const requestId = requests.issue(slot);
    post({ type: 'page', requestId, path: at, offset, limit: PAGE_ROWS, sort, descending });
  }

  function showMain(): void {
    ask('main', path, grid.offset, grid.sort, grid.descending);
  }

  function drawHeader(page?: ValuePage): void {
    clear(header);
    header.append(el('span', { className: 'value-name', testid: 'viewer-name' }, name));
    if (path.length) header.append(el('span', { className: 'value-path' }, ` › entry ${path.join(' › ')}`));
    if (page) header.append(el('span', { className: 'value-type', testid: 'viewer-type' }, ` ${page.type}`));
    header.append(el('span', { className: 'value-source' }, ` · ${source}`));
    if (path.length) {
      header.append(
        button('← Back', 'viewer-back', () => {
          path = path.slice(0, -1);
          grid = initialGrid();
          showMain();
        }),
      );
    }
  }

  function open(at: number[]): void {
    path = at;
    grid = initialGrid();
    showMain();
  }

  function renderTable(page: TablePage): HTMLElement {
    grid = { ...grid, total: page.total, offset: page.offset };
    const head = el('tr', {}, el('th', { className: 'row-label' }, ''));
    for (const column of page.columns) {
      const sorted = page.sort?.column === column.name ? (page.sort.descending ? ' ▼' : ' ▲') : '';
      const th = el(
        'th',
        { testid: 'grid-header', 'data-column': column.name, title: 'Sort by this column' },
        el('div', { className: 'col-name' }, column.name + sorted),
        el('div', { className: 'col-dtype', testid: 'grid-dtype' }, column.dtype),
        el('div', { className: 'col-stats', testid: 'grid-stats' }, statsText(column.stats)),
      );
      th.addEventListener('click', () => {
        grid = clickHeader(grid, column.name);
        showMain();
      });
      head.append(th);
    }
    const rows = page.rows.map((cells, i) =>
      el(
        'tr',
        { testid: 'grid-row' },
        el('th', { className: 'row-label' }, page.index[i] ?? ''),
        ...cells.map((cell) => el('td', { testid: 'grid-cell' }, cell)),
      ),
    );
    const table = el('table', { className: 'grid', testid: 'grid' }, el('thead', {}, head), el('tbody', {}, ...rows));
    return el(
      'div',
      {},
      pager(rangeText(page.offset, page.rows.length, page.total), page.offset > 0, page.offset + page.rows.length < page.total),
      el('div', { className: 'grid-scroll' }, table),
    );
  }

  function pager(text: string, hasPrev: boolean, hasNext: boolean): HTMLElement {
    const prev = button('‹ Prev', 'page-prev', () => {
      grid = turnPage(grid, -1);
      showMain();
    });
    const next = button('Next ›', 'page-next', () => {
      grid = turnPage(grid, 1);
      showMain();
    });
    prev.disabled = !hasPrev;
    next.disabled = !hasNext;
    return el('div', { className: 'pager' }, prev, el('span', { testid: 'page-range' }, text), next);
  }

  function renderArray(page: ArrayPage): HTMLElement {
    grid = { ...grid, total: page.total, offset: page.offset };
    const s = page.stats;
    const facts = el(
      'div',
      { className: 'facts', testid: 'array-facts' },
      `shape (${page.shape.join(', ')}) · dtype ${page.dtype}`,
      s ? ` · min ${formatStat(s.min)} · max ${formatStat(s.max)} · mean ${formatStat(s.mean)} · std ${formatStat(s.std)}` : '',
      s && s.nonFinite ? ` · ${s.nonFinite} NaN/inf` : '',
    );
    const box = el('div', {}, facts);
    if (page.histogram || page.line) {
      const chart = el('div', { className: 'chart', testid: 'array-chart' });
      const modes = el('div', { className: 'chart-modes' });
      const redraw = (): void => {
        clear(chart);
        try {
          drawChart(chart, page, chartMode);
        } catch (error) {
          chart.append(el('div', { className: 'note' }, `No plot: ${String(error)}`));
        }
      };
      for (const mode of ['histogram', 'line'] as const) {
        if ((mode === 'histogram' && page.histogram) || (mode === 'line' && page.line)) {
          modes.append(button(mode === 'histogram' ? 'Histogram' : 'First values', `chart-${mode}`, () => {
            chartMode = mode;
            redraw();
          }));
        }
      }
      box.append(modes, chart);
      requestAnimationFrame(redraw); // once the chart's box has its width
    }
    const list = el('ol', { className: 'array-values', start: page.offset + 1, testid: 'array-values' });
    for (const value of page.values) list.append(el('li', {}, value));
    box.append(
      pager(`Values ${page.offset + 1}–${page.offset + page.values.length} of ${page.total}`, page.offset > 0, page.offset + page.values.length < page.total),
      list,
    );
    return box;
  }

  function renderTree(page: TreePage, at: number[], slot: string): HTMLElement {
    const list = el('ul', { className: 'tree', testid: 'tree' });
    appendEntries(list, page, at, slot);
    return list;
  }

  function appendEntries(list: HTMLElement, page: TreePage, at: number[], slot: string): void {
    for (const entry of page.entries) list.append(treeItem(entry, [...at, entry.index]));
    const shown = page.offset + page.entries.length;
    if (shown < page.total) {
      const more = button(`${(page.total - shown).toLocaleString('en-US')} more…`, 'tree-more', () => {
        more.remove();
        const moreSlot = `${slot}+${shown}`;
        treeTargets.set(moreSlot, { box: list, path: at });
        ask(moreSlot, at, shown);
      });
      list.append(el('li', {}, more));
    }
  }

  function treeItem(entry: TreeEntry, at: number[]): HTMLElement {
    const children = el('div', { className: 'tree-children' });
    const line = el(
      'div',
      { className: 'tree-line' },
      el('span', { className: 'tree-key', testid: 'tree-key' }, entry.key),
      el('span', { className: 'tree-type' }, entry.type),
      el('span', { className: 'tree-summary', testid: 'tree-summary' }, entry.summary),
    );
    if (entry.expandable) {
      let expanded = false;
      const toggle = button('▸', 'tree-toggle', () => {
        expanded = !expanded;
        toggle.textContent = expanded ? '▾' : '▸';
        clear(children);
        if (expanded) {
          const slot = `tree:${at.join('/')}`;
          treeTargets.set(slot, { box: children, path: at });
          ask(slot, at, 0);
        }
      });
      line.prepend(toggle);
    } else {
      line.prepend(el('span', { className: 'tree-leaf' }, '•'));
    }
    if (OPENABLE.has(entry.kind) && entry.kind !== 'repr') line.append(button('Open', 'tree-open', () => open(at)));
    return el('li', { testid: 'tree-entry' }, line, children);
  }

  function renderPage(page: ValuePage): HTMLElement {
    switch (page.kind) {
      case 'table':
        return renderTable(page);
      case 'array':
        return renderArray(page);
      case 'image':
        return el('img', { className: 'value-image', testid: 'value-image', alt: name, src: `data:${page.mime};base64,${page.data}` });
      case 'text': {
        grid = { ...grid, total: page.total };
        const end = page.offset + page.text.length;
        const prev = button('‹ Prev', 'page-prev', () => {
          grid = { ...grid, offset: Math.max(0, page.offset - page.text.length) };
          showMain();
        });
        const next = button('Next ›', 'page-next', () => {
          grid = { ...grid, offset: end };
          showMain();
        });
        prev.disabled = page.offset === 0;
        next.disabled = end >= page.total;
        const range = `Characters ${page.offset + 1}–${end} of ${page.total.toLocaleString('en-US')}`;
        return el(
          'div',
          {},
          el('div', { className: 'pager' }, prev, el('span', { testid: 'page-range' }, range), next),
          el('pre', { className: 'value-text', testid: 'value-text' }, page.text),
        );
      }
      case 'tree':
        return renderTree(page, path, 'main');
      case 'scalar':
      case 'repr':
        return el('pre', { className: 'value-text', testid: 'value-text' }, page.text);
    }
  }

  function onReply(message: Extract<ToViewer, { type: 'page' | 'error' }>): void {
    const slot = requests.settle(message.requestId);
    if (slot === undefined) return; // overtaken
    if (slot === 'main') {
      clear(body);
      if (message.type === 'error') {
        drawHeader();
        body.append(el('div', { className: 'viewer-error', testid: 'viewer-error' }, message.error));
        return;
      }
      drawHeader(message.page);
      body.append(renderPage(message.page));
      return;
    }
    const target = treeTargets.get(slot);
    treeTargets.delete(slot);
    if (!target) return;
    if (message.type === 'error') {
      target.box.append(el('div', { className: 'viewer-error' }, message.error));
    } else if (message.page.kind === 'tree') {
      const list = target.box.tagName === 'UL' ? target.box : el('ul', { className: 'tree' });
      if (list !== target.box) target.box.append(list);
      appendEntries(list, message.page, target.path, slot);
    } else {
      target.box.append(renderPage(message.page));
    }
  }

  function handleMessage(raw: unknown): void {
    const message = parseToViewer(raw);
    if (!message) return;
    if (message.type === 'value') {
      name = message.name;
      source = message.source;
      path = [];
      grid = initialGrid();
      requests.clear();
      treeTargets.clear();
      clear(body);
      drawHeader();
      body.append(el('div', { className: 'note', testid: 'viewer-loading' }, 'Loading…'));
      showMain();
      return;
    }
    onReply(message);
  }

  return { handleMessage };
}
