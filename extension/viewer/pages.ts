/**
 * One page of a value (`spinlens.server.valuePage`'s `page`, docs/protocol.md
 * "Value pages"), typed by `kind`, and its check. The host checks every page
 * the server sends before a webview gets it; the webviews check again what the
 * host posts. Pure: no DOM, no `vscode`, so all three sides import it.
 */

export interface ColumnStats {
  nulls: number;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | string | null;
  unique?: number;
}

export interface TableColumn {
  name: string;
  dtype: string;
  stats: ColumnStats | null;
}

export interface TablePage {
  kind: 'table';
  type: string;
  columns: TableColumn[];
  index: string[];
  rows: string[][];
  offset: number;
  total: number;
  sort: { column: string; descending: boolean } | null;
}

export interface ArrayStats {
  min: number | string | null;
  max: number | string | null;
  mean: number | string | null;
  std: number | string | null;
  nonFinite: number;
}

export interface ArrayPage {
  kind: 'array';
  type: string;
  shape: number[];
  dtype: string;
  stats: ArrayStats | null;
  histogram: { edges: number[]; counts: number[] } | null;
  line: (number | string | null)[] | null;
  values: string[];
  offset: number;
  total: number;
}

export interface ImagePage {
  kind: 'image';
  type: string;
  mime: 'image/png' | 'image/jpeg';
  data: string;
  bytes: number;
}

export interface TextPage {
  kind: 'text';
  type: string;
  text: string;
  offset: number;
  total: number;
}

export interface TreeEntry {
  index: number;
  key: string;
  type: string;
  kind: string;
  summary: string;
  expandable: boolean;
}

export interface TreePage {
  kind: 'tree';
  type: string;
  container: 'mapping' | 'sequence';
  entries: TreeEntry[];
  offset: number;
  total: number;
}

export interface ReprPage {
  kind: 'scalar' | 'repr';
  type: string;
  text: string;
}

export type ValuePage = TablePage | ArrayPage | ImagePage | TextPage | TreePage | ReprPage;

/** Bounds that hold for any page the engine makes (value_pages.py), with room. */
export const MAX_PAGE_ITEMS = 1000;
const MAX_CELL = 4096;
const MAX_TEXT = 2 << 20;
const MAX_IMAGE = 12 << 20; // base64 of at most 8 MB

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const isText = (v: unknown, max = MAX_CELL): v is string => typeof v === 'string' && v.length <= max;
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isStat = (v: unknown): boolean => v === undefined || v === null || typeof v === 'number' || isText(v);
const isTexts = (v: unknown, max = MAX_PAGE_ITEMS): v is string[] =>
  Array.isArray(v) && v.length <= max && v.every((s) => isText(s));
const isNumbers = (v: unknown, max: number): v is number[] =>
  Array.isArray(v) && v.length <= max && v.every((n) => typeof n === 'number');

function isColumn(v: unknown): v is TableColumn {
  if (!isObj(v) || !isText(v.name) || !isText(v.dtype)) return false;
  const s = v.stats;
  if (s === null) return true;
  return isObj(s) && isCount(s.nulls) && isStat(s.min) && isStat(s.max) && isStat(s.mean) && (s.unique === undefined || isCount(s.unique));
}

function isEntry(v: unknown): v is TreeEntry {
  return (
    isObj(v) && isCount(v.index) && isText(v.key) && isText(v.type) && isText(v.kind) && isText(v.summary) && typeof v.expandable === 'boolean'
  );
}

/** The page if it has one of the documented shapes (within bounds), else undefined. */
export function parseValuePage(v: unknown): ValuePage | undefined {
  if (!isObj(v) || !isText(v.type)) return undefined;
  switch (v.kind) {
    case 'table': {
      const columns = v.columns;
      if (!Array.isArray(columns) || columns.length > MAX_PAGE_ITEMS || !columns.every(isColumn)) return undefined;
      if (!isTexts(v.index) || !Array.isArray(v.rows) || v.rows.length > MAX_PAGE_ITEMS) return undefined;
      if (!v.rows.every((r) => isTexts(r, columns.length) && r.length === columns.length)) return undefined;
      if (!isCount(v.offset) || !isCount(v.total)) return undefined;
      const sort = v.sort;
      if (sort !== null && !(isObj(sort) && isText(sort.column) && typeof sort.descending === 'boolean')) return undefined;
      return v as unknown as TablePage;
    }
    case 'array': {
      if (!isNumbers(v.shape, 64) || !isText(v.dtype) || !isTexts(v.values) || !isCount(v.offset) || !isCount(v.total)) return undefined;
      const s = v.stats;
      if (s !== null && !(isObj(s) && isStat(s.min) && isStat(s.max) && isStat(s.mean) && isStat(s.std) && isCount(s.nonFinite))) return undefined;
      const h = v.histogram;
      if (h !== null && !(isObj(h) && isNumbers(h.edges, 1001) && isNumbers(h.counts, 1000) && h.edges.length === h.counts.length + 1)) return undefined;
      const line = v.line;
      if (line !== null && !(Array.isArray(line) && line.length <= 10_000 && line.every(isStat))) return undefined;
      return v as unknown as ArrayPage;
    }
    case 'image':
      if ((v.mime !== 'image/png' && v.mime !== 'image/jpeg') || !isText(v.data, MAX_IMAGE) || !/^[A-Za-z0-9+/]*=*$/.test(v.data)) return undefined;
      return isCount(v.bytes) ? (v as unknown as ImagePage) : undefined;
    case 'text':
      return isText(v.text, MAX_TEXT) && isCount(v.offset) && isCount(v.total) ? (v as unknown as TextPage) : undefined;
    case 'tree':
      if (v.container !== 'mapping' && v.container !== 'sequence') return undefined;
      if (!Array.isArray(v.entries) || v.entries.length > MAX_PAGE_ITEMS || !v.entries.every(isEntry)) return undefined;
      return isCount(v.offset) && isCount(v.total) ? (v as unknown as TreePage) : undefined;
    case 'scalar':
    case 'repr':
      return isText(v.text, MAX_TEXT) ? (v as unknown as ReprPage) : undefined;
    default:
      return undefined;
  }
}

/** A statistic as the viewer prints it: up to 6 significant digits. */
export function formatStat(value: number | string | null | undefined): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (Number.isInteger(value)) return String(value);
  return Number(value.toPrecision(6)).toString();
}
