/**
 * Messages between the extension and the value viewer webview, with their
 * checks: the host checks what the webview asks (`parseFromViewer`: only a page
 * of the value it was given, by path, offset and sort), the webview what the
 * host posts (`parseToViewer`). Which value is the host's: never the webview's.
 */
import { MAX_PAGE_ITEMS, type ValuePage, parseValuePage } from './pages';

/** Webview -> extension. */
export type FromViewer =
  | { type: 'ready' }
  | {
      type: 'page';
      requestId: number;
      path: number[];
      offset: number;
      limit: number;
      sort: string | null;
      descending: boolean;
    };

/** Extension -> webview. */
export type ToViewer =
  | { type: 'value'; name: string; source: string }
  | { type: 'page'; requestId: number; page: ValuePage }
  | { type: 'error'; requestId: number; error: string };

const MAX_DEPTH = 32;
const MAX_OFFSET = 2 ** 40;
const MAX_NAME = 512;

type Obj = Record<string, unknown>;

function isPlain(v: unknown): v is Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
const onlyKeys = (v: Obj, keys: readonly string[]): boolean => Object.keys(v).every((k) => keys.includes(k));
const isInt = (v: unknown, min: number, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;

/** The message if it is one the viewer may send, else undefined. */
export function parseFromViewer(raw: unknown): FromViewer | undefined {
  if (!isPlain(raw)) return undefined;
  if (raw.type === 'ready') return onlyKeys(raw, ['type']) ? { type: 'ready' } : undefined;
  if (raw.type !== 'page') return undefined;
  if (!onlyKeys(raw, ['type', 'requestId', 'path', 'offset', 'limit', 'sort', 'descending'])) return undefined;
  const { requestId, path, offset, limit, sort, descending } = raw;
  if (!isInt(requestId, 0, Number.MAX_SAFE_INTEGER) || !isInt(offset, 0, MAX_OFFSET) || !isInt(limit, 1, MAX_PAGE_ITEMS)) {
    return undefined;
  }
  if (!Array.isArray(path) || path.length > MAX_DEPTH || !path.every((p) => isInt(p, 0, MAX_OFFSET))) return undefined;
  if (sort !== null && !(typeof sort === 'string' && sort.length > 0 && sort.length <= MAX_NAME)) return undefined;
  if (typeof descending !== 'boolean') return undefined;
  return { type: 'page', requestId, path: [...(path as number[])], offset, limit, sort, descending };
}

/** The message if it has a known shape (its page checked), else undefined. */
export function parseToViewer(raw: unknown): ToViewer | undefined {
  if (!isPlain(raw)) return undefined;
  switch (raw.type) {
    case 'value':
      return typeof raw.name === 'string' && typeof raw.source === 'string'
        ? { type: 'value', name: raw.name, source: raw.source }
        : undefined;
    case 'page': {
      const page = parseValuePage(raw.page);
      return page && isInt(raw.requestId, 0, Number.MAX_SAFE_INTEGER) ? { type: 'page', requestId: raw.requestId, page } : undefined;
    }
    case 'error':
      return isInt(raw.requestId, 0, Number.MAX_SAFE_INTEGER) && typeof raw.error === 'string'
        ? { type: 'error', requestId: raw.requestId, error: raw.error }
        : undefined;
    default:
      return undefined;
  }
}
