/**
 * The value part of an expanded artifact row: "Open in viewer", "Copy value",
 * and one page of the value from the server (a dict's or list's first level as
 * a tree, a table's columns, dtypes and first rows, an array's statistics, an
 * image), asked once per spin and artifact and kept while the spin is shown.
 * The host answers a `rowValue` request for the spin on display only; the
 * webview names an artifact, never a spin or a file.
 */
import { type ValuePage, formatStat, parseValuePage } from '../viewer/pages';
import type { ArtifactEvent } from '../src/protocol';
import { clear, el } from './dom';
import { isObject } from './values';

/** Webview -> host: one artifact of the spin on display. */
export interface RowValueRequest {
  type: 'rowValue';
  action: 'page' | 'open' | 'copy';
  requestId: number;
  name: string;
}

/** Host -> webview: the answer to a `page` request. */
export interface RowPage {
  type: 'rowPage';
  requestId: number;
  page: ValuePage | null;
  error: string | null;
}

/** Rows of a table shown in the row (the viewer pages the rest). */
export const ROW_PAGE_ROWS = 10;
const TREE_ENTRIES = 50;

type Post = (message: RowValueRequest) => void;

interface Known {
  page: ValuePage | null;
  error: string | null;
  boxes: Set<HTMLElement>;
}

export class RowValues {
  private post: Post | undefined;
  private next = 1;
  private readonly pending = new Map<number, string>(); // request id -> artifact key
  private readonly known = new Map<string, Known>(); // `${spin id}/${name}`

  connect(post: Post): void {
    this.post = post;
  }

  /** A new spin on display: what the rows knew is of another spin. */
  reset(): void {
    this.pending.clear();
    this.known.clear();
  }

  /** The section an expanded row shows under its diff; empty for Metaflow's own and partial artifacts. */
  section(e: ArtifactEvent): HTMLElement {
    const box = el('div', { className: 'row-value', testid: 'row-value' });
    if (e.internal || e.partial || !this.post) return box;
    const name = String(e.name);
    const send = (action: RowValueRequest['action']): void => this.post?.({ type: 'rowValue', action, requestId: this.next++, name });
    const open = el('button', { type: 'button', className: 'row-action', testid: 'open-in-viewer' }, 'Open in viewer');
    const copy = el('button', { type: 'button', className: 'row-action', testid: 'copy-value' }, 'Copy value');
    open.addEventListener('click', (ev) => {
      ev.stopPropagation();
      send('open');
    });
    copy.addEventListener('click', (ev) => {
      ev.stopPropagation();
      send('copy');
    });
    const preview = el('div', { className: 'row-preview', testid: 'row-preview' });
    box.append(el('div', { className: 'row-actions' }, open, copy), preview);
    const key = `${String(e.spin_id)}/${name}`;
    let known = this.known.get(key);
    if (!known) {
      known = { page: null, error: null, boxes: new Set() };
      this.known.set(key, known);
      const requestId = this.next++;
      this.pending.set(requestId, key);
      this.post({ type: 'rowValue', action: 'page', requestId, name });
    }
    known.boxes.add(preview);
    fill(preview, known);
    return box;
  }

  /** True if `raw` was a row page (handled here), false for any other message. */
  handle(raw: unknown): boolean {
    if (!isObject(raw) || raw.type !== 'rowPage') return false;
    const requestId = raw.requestId;
    const key = typeof requestId === 'number' ? this.pending.get(requestId) : undefined;
    if (key === undefined) return true;
    this.pending.delete(requestId as number);
    const known = this.known.get(key);
    if (!known) return true;
    known.page = raw.page === null ? null : parseValuePage(raw.page) ?? null;
    known.error = typeof raw.error === 'string' ? raw.error : known.page ? null : 'The value could not be read.';
    for (const box of known.boxes) if (box.isConnected) fill(box, known);
    for (const box of [...known.boxes]) if (!box.isConnected) known.boxes.delete(box);
    return true;
  }
}

export const rowValues = new RowValues();

function fill(box: HTMLElement, known: Known): void {
  clear(box);
  if (known.error) {
    box.appendChild(el('div', { className: 'note', testid: 'row-preview-error' }, known.error));
    return;
  }
  if (known.page) box.appendChild(renderPage(known.page));
  else box.appendChild(el('div', { className: 'note' }, 'Reading the value…'));
}

export function renderPage(page: ValuePage): HTMLElement {
  switch (page.kind) {
    case 'tree': {
      const list = el('ul', { className: 'row-tree', testid: 'row-tree' });
      for (const entry of page.entries.slice(0, TREE_ENTRIES)) {
        list.appendChild(
          el(
            'li',
            { testid: 'row-tree-entry' },
            el('span', { className: 'row-tree-key' }, entry.key),
            el('span', { className: 'row-tree-type' }, ` ${entry.type} `),
            el('span', { className: 'row-tree-summary' }, entry.summary),
          ),
        );
      }
      const more = page.total - Math.min(page.entries.length, TREE_ENTRIES);
      if (more > 0) list.appendChild(el('li', { className: 'note' }, `… ${more.toLocaleString('en-US')} more (open in viewer)`));
      return list;
    }
    case 'table': {
      const head = el('tr', {}, el('th', {}, ''));
      for (const c of page.columns) {
        head.appendChild(el('th', { testid: 'row-table-column' }, c.name, el('div', { className: 'row-dtype' }, c.dtype)));
      }
      const body = el('tbody', {});
      page.rows.slice(0, ROW_PAGE_ROWS).forEach((cells, i) => {
        body.appendChild(el('tr', {}, el('th', {}, page.index[i] ?? ''), ...cells.map((c) => el('td', {}, c))));
      });
      const shown = Math.min(page.rows.length, ROW_PAGE_ROWS);
      return el(
        'div',
        { className: 'row-table-box' },
        el('div', { className: 'note', testid: 'row-table-shape' }, `${page.total.toLocaleString('en-US')} rows × ${page.columns.length} columns; first ${shown}`),
        el('div', { className: 'row-table-scroll' }, el('table', { className: 'row-table', testid: 'row-table' }, el('thead', {}, head), body)),
      );
    }
    case 'array': {
      const s = page.stats;
      const stats = s ? `; min ${formatStat(s.min)}, max ${formatStat(s.max)}, mean ${formatStat(s.mean)}, std ${formatStat(s.std)}` : '';
      return el(
        'div',
        { className: 'note', testid: 'row-array' },
        `shape (${page.shape.join(', ')}), ${page.dtype}${stats}: ${page.values.slice(0, 20).join(', ')}${page.total > 20 ? ', …' : ''}`,
      );
    }
    case 'image':
      return el('img', { className: 'row-image', testid: 'row-image', alt: 'image', src: `data:${page.mime};base64,${page.data}` });
    case 'text':
      return el('pre', { className: 'row-text', testid: 'row-text' }, page.text.slice(0, 2000) + (page.total > 2000 ? '…' : ''));
    case 'scalar':
    case 'repr':
      return el('pre', { className: 'row-text', testid: 'row-text' }, page.text);
  }
}
