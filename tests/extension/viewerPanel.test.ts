/**
 * The results panel's expanded rows and the value viewer: the webview asks for
 * one page of the row's value and shows it (a tree's first level, a table's
 * columns, dtypes and first rows), and its "Open in viewer" and "Copy value"
 * reach the host, which answers only for artifacts of the spin on display.
 */
import type * as vscode from 'vscode';
import { describe, expect, it } from 'vitest';
import { ResultsPanel } from '../../extension/src/panel';
import { type SpinEvent, type ValuePageResult, normalizeEvent } from '../../extension/src/protocol';
import { SpinStore } from '../../extension/src/spins';
import type { ValueRef } from '../../extension/src/valueViewer';
import { parseWebviewMessage } from '../../extension/src/webviewGate';
import { loadFixtures } from './fixtures';
import { Uri, mock, window } from './mocks/vscode';
import { load } from './panelHarness';

const fixtures = loadFixtures();
const URI = 'file:///work/project/flows/training_flow.py';
const SPIN = String(fixtures.ok[0]?.spin_id);
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

const TABLE = {
  kind: 'table',
  type: 'pandas.DataFrame',
  columns: [
    { name: 'x', dtype: 'float64', stats: { nulls: 0, min: 0, max: 1, mean: 0.5 } },
    { name: 'label', dtype: 'object', stats: { nulls: 0, unique: 2 } },
  ],
  index: ['0', '1'],
  rows: [['0.1', 'a'], ['0.9', '<i>b</i>']],
  offset: 0,
  total: 1000,
  sort: null,
};

function shown() {
  const h = load();
  h.send({ type: 'spin', uri: URI, step: 'train' });
  for (const event of fixtures.ok) h.send({ type: 'event', event });
  return h;
}

describe('an expanded row (webview)', () => {
  it('asks once for a page of its value and shows a table head with columns and dtypes', () => {
    const h = shown();
    const detail = h.expand('raw');
    const ask = h.posted.at(-1) as { type: string; action: string; requestId: number; name: string };
    expect(ask).toEqual({ type: 'rowValue', action: 'page', requestId: ask.requestId, name: 'raw' });
    expect(parseWebviewMessage(ask)).toEqual(ask); // what the host accepts
    h.send({ type: 'rowPage', requestId: ask.requestId, page: TABLE, error: null });
    expect(h.all('row-table-column', detail).map((c) => c.textContent)).toEqual(['xfloat64', 'labelobject']);
    expect(h.q('row-table-shape', detail).textContent).toBe('1,000 rows × 2 columns; first 2');
    expect(h.q('row-table', detail).textContent).toContain('<i>b</i>'); // as text
    expect(h.q('row-table', detail).querySelector('i')).toBeNull();
    const count = h.posted.length;
    h.setComparison('inputs'); // redrawn: the page is kept, not asked again
    expect(h.posted).toHaveLength(count);
    expect(h.q('row-table', h.detail('raw')).textContent).toContain('0.9');
  });

  it('shows a dict as its first level, and sends Open in viewer and Copy value for the row', () => {
    const h = shown();
    const detail = h.expand('art_mapping');
    const ask = h.posted.at(-1) as { requestId: number };
    const entries = [{ index: 0, key: "'alpha'", type: 'float', kind: 'scalar', summary: '0.1', expandable: false }];
    h.send({ type: 'rowPage', requestId: ask.requestId, page: { kind: 'tree', type: 'dict', container: 'mapping', entries, offset: 0, total: 120 }, error: null });
    expect(h.all('row-tree-entry', detail).map((e) => e.textContent)).toEqual(["'alpha' float 0.1"]);
    expect(h.q('row-tree', detail).textContent).toContain('119 more');
    h.q('open-in-viewer', detail).click();
    expect(h.posted.at(-1)).toMatchObject({ type: 'rowValue', action: 'open', name: 'art_mapping' });
    h.q('copy-value', detail).click();
    expect(h.posted.at(-1)).toMatchObject({ type: 'rowValue', action: 'copy', name: 'art_mapping' });
    expect(h.row('art_mapping').getAttribute('data-name')).toBe('art_mapping');
  });

  it("says why there is no page, and asks nothing for Metaflow's own artifacts", () => {
    const h = shown();
    const detail = h.expand('raw');
    const ask = h.posted.at(-1) as { requestId: number };
    h.send({ type: 'rowPage', requestId: ask.requestId, page: null, error: 'The kernel that held this value has stopped' });
    expect(h.q('row-preview-error', detail).textContent).toContain('has stopped');
    const before = h.posted.length;
    h.q('internal-toggle').click();
    h.expand('_transition');
    expect(h.posted).toHaveLength(before);
  });
});

describe('the panel host', () => {
  function host() {
    mock.reset();
    mock.workspaceFolders = [{ uri: Uri.file('/work/project'), name: 'project', index: 0 }];
    const store = new SpinStore();
    const asked: [ValueRef, number][] = [];
    const opened: ValueRef[] = [];
    const copied: ValueRef[] = [];
    const panel = new ResultsPanel(
      Uri.file('/ext') as unknown as vscode.Uri,
      store,
      {
        cancel: () => undefined,
        diffRows: () => 7,
        valuePage: (ref, limit) => {
          asked.push([ref, limit]);
          return ref.name === 'raw'
            ? Promise.resolve({ page: TABLE } as unknown as ValuePageResult)
            : Promise.reject(new Error('No artifact named here'));
        },
        openValue: (ref) => opened.push(ref),
        copyValue: (ref) => {
          copied.push(ref);
          return Promise.resolve();
        },
      },
      window.createOutputChannel('Spinlens') as unknown as vscode.OutputChannel,
    );
    const record = store.begin(URI, 'train');
    for (const e of fixtures.ok) store.route(URI, normalizeEvent(e as unknown as SpinEvent));
    panel.show(record);
    const fake = mock.panels.at(-1);
    if (!fake) throw new Error('no panel');
    fake.webview.receive({ type: 'ready' });
    return { fake, asked, opened, copied };
  }

  it("answers a row's page for the spin on display, and opens or copies that spin's output", async () => {
    const { fake, asked, opened, copied } = host();
    fake.webview.receive({ type: 'rowValue', action: 'page', requestId: 4, name: 'raw' });
    await tick();
    expect(asked).toEqual([[{ uri: URI, name: 'raw', spinId: SPIN }, 10]]);
    expect(fake.webview.posted.at(-1)).toEqual({ type: 'rowPage', requestId: 4, page: TABLE, error: null });
    fake.webview.receive({ type: 'rowValue', action: 'page', requestId: 5, name: 'art_set' });
    await tick();
    expect(fake.webview.posted.at(-1)).toEqual({ type: 'rowPage', requestId: 5, page: null, error: 'No artifact named here' });
    fake.webview.receive({ type: 'rowValue', action: 'open', requestId: 6, name: 'raw' });
    fake.webview.receive({ type: 'rowValue', action: 'copy', requestId: 7, name: 'raw' });
    await tick();
    expect(opened).toEqual([{ uri: URI, name: 'raw', spinId: SPIN }]);
    expect(copied).toEqual([{ uri: URI, name: 'raw', spinId: SPIN }]);
  });

  it('refuses names that are not public outputs of the spin on display, and malformed requests', async () => {
    const { fake, asked, opened } = host();
    const before = fake.webview.posted.length;
    for (const bad of [
      { type: 'rowValue', action: 'page', requestId: 1, name: 'not_an_artifact' },
      { type: 'rowValue', action: 'open', requestId: 1, name: '_transition' },
      { type: 'rowValue', action: 'delete', requestId: 1, name: 'raw' },
      { type: 'rowValue', action: 'open', requestId: 1, name: 'raw', spinId: 'other' },
      { type: 'rowValue', action: 'open', requestId: -1, name: 'raw' },
    ]) {
      fake.webview.receive(bad);
    }
    await tick();
    expect(asked).toEqual([]);
    expect(opened).toEqual([]);
    expect(fake.webview.posted).toHaveLength(before);
  });
});
