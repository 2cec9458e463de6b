/**
 * The value viewer: its messages' checks, the grid's paging and sorting state,
 * the webview script in jsdom (bundled in memory as media/viewer.js is), and
 * the host's value references.
 */
import * as esbuild from 'esbuild';
import { JSDOM } from 'jsdom';
import { afterEach, describe, expect, it } from 'vitest';
import { viewerOptions } from '../../esbuild.mjs';
import { Requests, clickHeader, initialGrid, rangeText, turnPage } from '../../extension/viewer/gridState';
import { parseFromViewer, parseToViewer } from '../../extension/viewer/messages';
import { type TablePage, formatStat, parseValuePage } from '../../extension/viewer/pages';
import { parseValuePageResult } from '../../extension/src/protocol';
import { pageArgs, parseValueRef } from '../../extension/src/valueViewer';

const ask = { type: 'page', requestId: 3, path: [0, 2], offset: 100, limit: 100, sort: 'n', descending: true };

function table(rows: string[][], sort: TablePage['sort'] = null, offset = 0, total = 250): TablePage {
  return {
    kind: 'table',
    type: 'pandas.DataFrame',
    columns: [
      { name: 'n', dtype: 'int64', stats: { nulls: 0, min: 1, max: 9, mean: 5 } },
      { name: 'name', dtype: 'object', stats: { nulls: 1, unique: 4 } },
    ],
    index: rows.map((_, i) => String(offset + i)),
    rows,
    offset,
    total,
    sort,
  };
}

describe('viewer messages', () => {
  it('accepts a page request of the documented shape only', () => {
    expect(parseFromViewer(ask)).toEqual(ask);
    expect(parseFromViewer({ type: 'ready' })).toEqual({ type: 'ready' });
    for (const bad of [
      { ...ask, extra: 1 },
      { ...ask, offset: -1 },
      { ...ask, limit: 0 },
      { ...ask, limit: 5000 },
      { ...ask, path: [1.5] },
      { ...ask, path: ['a'] },
      { ...ask, path: new Array(40).fill(0) },
      { ...ask, sort: '' },
      { ...ask, sort: 7 },
      { ...ask, descending: 'yes' },
      { ...ask, requestId: 'x' },
      { type: 'ready', uri: 'file:///etc/passwd' },
      { type: 'openFile', file: '/etc/passwd' },
      Object.assign(Object.create({ polluted: true }) as object, ask),
      null,
      'page',
    ]) {
      expect(parseFromViewer(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('checks every page the host forwards, by kind', () => {
    const good = table([['1', 'a']]);
    expect(parseValuePage(good)).toEqual(good);
    expect(parseToViewer({ type: 'page', requestId: 1, page: good })).toEqual({ type: 'page', requestId: 1, page: good });
    expect(parseValuePage({ ...good, rows: [['1']] })).toBeUndefined(); // a row shorter than the columns
    expect(parseValuePage({ ...good, rows: [[1, 'a']] })).toBeUndefined();
    expect(parseValuePage({ ...good, kind: 'script' })).toBeUndefined();
    expect(parseValuePage({ kind: 'image', type: 'bytes', mime: 'text/html', data: 'PGI+', bytes: 3 })).toBeUndefined();
    expect(parseValuePage({ kind: 'image', type: 'bytes', mime: 'image/png', data: '"><script>', bytes: 3 })).toBeUndefined();
    expect(parseValuePage({ kind: 'image', type: 'bytes', mime: 'image/png', data: 'iVBORw0KGgo=', bytes: 8 })).toBeDefined();
    const tree = { kind: 'tree', type: 'dict', container: 'mapping', offset: 0, total: 1 };
    expect(parseValuePage({ ...tree, entries: [{ index: 0, key: "'a'", type: 'int', kind: 'scalar', summary: '1', expandable: false }] })).toBeDefined();
    expect(parseValuePage({ ...tree, entries: [{ index: -1, key: 'a' }] })).toBeUndefined();
    expect(parseValuePageResult({ page: good })).toEqual({ page: good });
    expect(parseValuePageResult({ page: { kind: 'repr' } })).toBeUndefined();
    expect(parseToViewer({ type: 'error', requestId: 2, error: 'gone' })).toEqual({ type: 'error', requestId: 2, error: 'gone' });
  });
});

describe('grid state', () => {
  it('sorts by a clicked header ascending, then descending, then not at all, from the first page', () => {
    const paged = { ...initialGrid(), offset: 300, total: 1000 };
    const up = clickHeader(paged, 'n');
    expect(up).toMatchObject({ sort: 'n', descending: false, offset: 0 });
    const down = clickHeader({ ...up, offset: 200 }, 'n');
    expect(down).toMatchObject({ sort: 'n', descending: true, offset: 0 });
    expect(clickHeader(down, 'n')).toMatchObject({ sort: null, descending: false });
    expect(clickHeader(down, 'name')).toMatchObject({ sort: 'name', descending: false });
  });

  it('pages inside the rows there are', () => {
    const state = { ...initialGrid(), total: 250 };
    expect(turnPage(state, -1).offset).toBe(0);
    expect(turnPage(state, 1).offset).toBe(100);
    expect(turnPage({ ...state, offset: 200 }, 1).offset).toBe(200);
    expect(rangeText(100, 100, 2_000_000)).toBe('Rows 101–200 of 2,000,000');
    expect(rangeText(0, 0, 0)).toBe('No rows');
  });

  it('keeps only the newest request per slot', () => {
    const requests = new Requests();
    const first = requests.issue('main');
    const second = requests.issue('main');
    const tree = requests.issue('tree:0');
    expect(requests.settle(first)).toBeUndefined();
    expect(requests.settle(tree)).toBe('tree:0');
    expect(requests.settle(second)).toBe('main');
    expect(requests.settle(second)).toBeUndefined();
  });

  it('prints statistics briefly', () => {
    expect(formatStat(0.123456789)).toBe('0.123457');
    expect(formatStat(3)).toBe('3');
    expect(formatStat(null)).toBe('—');
    expect(formatStat('nan')).toBe('nan');
  });
});

describe('value references', () => {
  it('names exactly one of a spin and a task', () => {
    expect(parseValueRef({ uri: 'file:///f.py', name: 'df', spinId: 's1' })).toEqual({ uri: 'file:///f.py', name: 'df', spinId: 's1' });
    expect(parseValueRef({ uri: 'file:///f.py', name: 'df', task: 'F/1/start/2' })).toEqual({ uri: 'file:///f.py', name: 'df', task: 'F/1/start/2' });
    expect(parseValueRef({ uri: 'file:///f.py', name: 'df' })).toBeUndefined();
    expect(parseValueRef({ uri: 'file:///f.py', name: 'df', spinId: 's', task: 't' })).toBeUndefined();
    expect(parseValueRef({ uri: '', name: 'df', spinId: 's' })).toBeUndefined();
    expect(parseValueRef('df')).toBeUndefined();
  });

  it('turns a viewer request into the server command arguments, the value coming from the host', () => {
    const ref = { uri: 'file:///f.py', name: 'df', spinId: 's1' };
    expect(pageArgs(ref, { path: [1], offset: 100, limit: 100, sort: 'n', descending: true })).toEqual({
      uri: 'file:///f.py', name: 'df', spinId: 's1', path: [1], offset: 100, limit: 100, sort: 'n', descending: true,
    });
    expect(pageArgs(ref, { path: [], offset: 0, limit: 10, sort: null, descending: false })).not.toHaveProperty('sort');
  });
});

// -- the webview script ---------------------------------------------------------

const SCRIPT = (() => {
  const result = esbuild.buildSync({ ...viewerOptions, write: false, logLevel: 'silent' });
  const output = result.outputFiles?.[0];
  if (!output) throw new Error('no viewer bundle');
  return output.text;
})();

const open: JSDOM[] = [];
afterEach(() => {
  for (const dom of open.splice(0)) dom.window.close();
});

function load() {
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>', {
    runScripts: 'outside-only',
    url: 'https://webview.example/index.html',
  });
  open.push(dom);
  const posted: Record<string, unknown>[] = [];
  const win = dom.window as unknown as Record<string, unknown>;
  win.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m)) as Record<string, unknown>) });
  win.requestAnimationFrame = () => 0; // no chart in jsdom (no canvas)
  // uPlot reads the pixel ratio at load; jsdom has no matchMedia.
  win.matchMedia = () => ({ matches: false, addListener() {}, removeListener() {}, addEventListener() {}, removeEventListener() {} });
  dom.window.eval(SCRIPT);
  const doc = dom.window.document;
  const send = (message: unknown): void => {
    // Structured-cloned into the webview's realm, as a real webview gets it.
    const data: unknown = message === undefined ? undefined : dom.window.JSON.parse(JSON.stringify(message));
    dom.window.dispatchEvent(new dom.window.MessageEvent('message', { data }));
  };
  const all = (testid: string): HTMLElement[] => Array.from(doc.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`));
  const last = (): Record<string, unknown> => {
    const found = posted.at(-1);
    if (!found) throw new Error('nothing posted');
    return found;
  };
  return { doc, posted, send, all, last };
}

describe('the viewer webview', () => {
  it('asks for the first page, draws a grid with dtypes and statistics, and re-asks sorted on a header click', () => {
    const v = load();
    expect(v.posted).toEqual([{ type: 'ready' }]);
    v.send({ type: 'value', name: 'frame', source: 'spin s1' });
    const first = v.last();
    expect(first).toEqual({ type: 'page', requestId: first.requestId, path: [], offset: 0, limit: 100, sort: null, descending: false });
    v.send({ type: 'page', requestId: first.requestId, page: table([['5', 'e'], ['1', '<b>a</b>']]) });
    expect(v.all('grid-cell').map((c) => c.textContent)).toEqual(['5', 'e', '1', '<b>a</b>']);
    expect(v.all('grid-cell')[3]?.children).toHaveLength(0); // text, never markup
    expect(v.all('grid-dtype').map((c) => c.textContent)).toEqual(['int64', 'object']);
    expect(v.all('grid-stats')[0]?.textContent).toBe('nulls 0 · min 1 · max 9 · mean 5');
    expect(v.all('page-range')[0]?.textContent).toBe('Rows 1–2 of 250');

    v.all('grid-header')[0]?.click();
    const sorted = v.last();
    expect(sorted).toMatchObject({ type: 'page', path: [], offset: 0, sort: 'n', descending: false });
    v.send({ type: 'page', requestId: sorted.requestId, page: table([['1', 'a'], ['5', 'e']], { column: 'n', descending: false }) });
    expect(v.all('grid-cell').map((c) => c.textContent)).toEqual(['1', 'a', '5', 'e']);
    expect(v.all('grid-header')[0]?.textContent).toContain('n ▲');

    v.all('page-next')[0]?.click();
    const next = v.last();
    expect(next).toMatchObject({ offset: 100, sort: 'n' });
    v.all('grid-header')[0]?.click(); // overtakes the page request
    const down = v.last();
    expect(down).toMatchObject({ offset: 0, sort: 'n', descending: true });
    v.send({ type: 'page', requestId: next.requestId, page: table([['stale', 'x']], null, 100) });
    expect(v.all('grid-cell').map((c) => c.textContent)).toEqual(['1', 'a', '5', 'e']); // dropped
    v.send({ type: 'error', requestId: down.requestId, error: 'The kernel that held this value has stopped' });
    expect(v.all('viewer-error')[0]?.textContent).toContain('has stopped');
  });

  it('shows an image from a data: URL, text wrapped, and trees that load a level when opened', () => {
    const v = load();
    v.send({ type: 'value', name: 'picture', source: 'spin s1' });
    v.send({ type: 'page', requestId: v.last().requestId, page: { kind: 'image', type: 'bytes', mime: 'image/png', data: 'iVBORw0KGgo=', bytes: 8 } });
    expect(v.all('value-image')[0]?.getAttribute('src')).toBe('data:image/png;base64,iVBORw0KGgo=');

    v.send({ type: 'value', name: 'nested', source: 'spin s1' });
    const entries = [
      { index: 0, key: "'a'", type: 'list', kind: 'tree', summary: '[1, 2]', expandable: true },
      { index: 1, key: "'df'", type: 'pandas.DataFrame', kind: 'table', summary: 'DataFrame', expandable: false },
    ];
    v.send({ type: 'page', requestId: v.last().requestId, page: { kind: 'tree', type: 'dict', container: 'mapping', entries, offset: 0, total: 2 } });
    expect(v.all('tree-key').map((k) => k.textContent)).toEqual(["'a'", "'df'"]);
    v.all('tree-toggle')[0]?.click();
    const level = v.last();
    expect(level).toMatchObject({ path: [0], offset: 0 });
    const items = [0, 1].map((i) => ({ index: i, key: String(i), type: 'int', kind: 'scalar', summary: String(i + 1), expandable: false }));
    v.send({ type: 'page', requestId: level.requestId, page: { kind: 'tree', type: 'list', container: 'sequence', entries: items, offset: 0, total: 2 } });
    expect(v.all('tree-summary').map((s) => s.textContent)).toEqual(['[1, 2]', '1', '2', 'DataFrame']);
    v.all('tree-open')[0]?.click(); // the DataFrame opens in the main view
    expect(v.last()).toMatchObject({ path: [1], offset: 0, sort: null });

    v.send({ type: 'value', name: 'log', source: 'spin s1' });
    v.send({ type: 'page', requestId: v.last().requestId, page: { kind: 'text', type: 'str', text: 'x'.repeat(10), offset: 0, total: 25 } });
    expect(v.all('value-text')[0]?.textContent).toBe('xxxxxxxxxx');
    v.all('page-next')[0]?.click();
    expect(v.last()).toMatchObject({ offset: 10 });
  });

  it('ignores malformed messages', () => {
    const v = load();
    for (const junk of [null, { type: 'page', requestId: 1, page: { kind: 'table' } }, { type: 'value' }, 'x']) {
      expect(() => v.send(junk)).not.toThrow();
    }
    expect(v.posted).toEqual([{ type: 'ready' }]);
  });
});
