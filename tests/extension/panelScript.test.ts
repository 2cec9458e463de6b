/**
 * media/panel.js, the webview script (bundled from extension/webview), run in jsdom
 * the way the webview runs it: evaluated as a classic script with `acquireVsCodeApi`,
 * fed `message` events.
 */
import { describe, expect, it } from 'vitest';
import { loadFixtures } from './fixtures';
import { type Harness, SCRIPT, load } from './panelHarness';

const fixtures = loadFixtures();
const FLOW = '/work/project/flows/training_flow.py';
const URI = `file://${FLOW}`;

function spin(h: Harness, stream: keyof typeof fixtures): void {
  h.send({ type: 'spin', uri: URI, step: 'train' });
  for (const event of fixtures[stream]) h.send({ type: 'event', event });
}

describe('panel.js', () => {
  it('announces itself once with ready and shows the empty state', () => {
    const h = load();
    expect(h.posted).toEqual([{ type: 'ready' }]);
    expect(h.q('empty').hidden).toBe(false);
    expect(h.q('status').dataset.status).toBe('idle');
  });

  it('shows a whole ok spin: header, logs, artifacts, footer', () => {
    const h = load();
    spin(h, 'ok');
    expect(h.q('empty').hidden).toBe(true);
    expect(h.q('flow').textContent).toBe('TrainingFlow');
    expect(h.q('step').textContent).toBe('.train');
    expect(h.q('status').dataset.status).toBe('ok');
    expect(h.q('source').textContent).toContain('run 1795787965748688 · task 3');
    expect(h.q('kernel').textContent).toBe('new kernel');
    expect(h.q('timings').textContent).toBe('prepare 1.20 s · load 50 ms · step 1.00 s · outputs 20 ms');
    expect(h.q('cancel').hidden).toBe(true);

    const log = h.q('log');
    const spans = Array.from(log.children) as HTMLElement[];
    expect(spans.map((s) => s.dataset.stream)).toEqual(['stdout', 'stderr']);
    expect(spans[0]?.textContent).toBe('fitting on 799,713 rows\niter 1: <b>not bold</b>\n');
    expect(spans[1]?.textContent).toContain("<script>alert('log')</script>");
    expect(log.querySelector('b')).toBeNull();

    const names = h.all('artifact-row', h.q('artifact-rows')).map((r) => r.dataset.name);
    expect(names).toContain('raw');
    expect(names).toHaveLength(fixtures.ok.filter((e) => e.event === 'artifact' && !e.internal).length);
    expect(h.q('artifact-count').textContent).toBe(`${names.length} artifacts`);
    expect(h.row('raw').querySelector('.size')?.textContent).toBe('40.1 MB');
    expect(h.row('raw').querySelector('.type')?.textContent).toBe('DataFrame');
    expect(h.q('artifact-error', h.row('unpicklable')).textContent).toContain("cannot pickle 'generator' object");

    expect(h.q('next-steps').textContent).toBe('next: tune (foreach over alphas)');
    expect(h.q('removed').textContent).toContain('old_metric');
    expect(h.q('record').textContent).toContain('.spinlens/TrainingFlow/train/a1b2c3');
  });

  it('lists the queued and running spins beside the one shown', () => {
    const h = load();
    spin(h, 'ok');
    expect(h.q('queue').hidden).toBe(true);
    h.send({
      type: 'queue',
      items: [
        { requestId: 'r2', step: 'tune', state: 'queued', after: 'train' },
        { requestId: 'r3', step: 'start', state: 'running' },
        { requestId: 'r4', step: 42, state: 'queued' }, // malformed: dropped
      ],
    });
    expect(h.q('queue').hidden).toBe(false);
    expect(h.all('queue-item').map((e) => e.textContent)).toEqual(['queued: tune (after train)', 'running: start']);
    h.send({ type: 'queue', items: [] });
    expect(h.q('queue').hidden).toBe(true);
    expect(h.all('queue-item')).toEqual([]);
  });

  it("says which foreach child ran: its index, then its value when known", () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'tune' });
    const [started] = fixtures.ok.filter((e) => e.event === 'started');
    const source = { ...(started?.source as Record<string, unknown>), index: 2 };
    h.send({ type: 'event', event: { ...started, step: 'tune', source } });
    expect(h.q('source-run').textContent).toMatch(/ · index 2$/);
    h.send({ type: 'child', text: 'alphas=0.01' });
    expect(h.q('child').textContent).toBe(' · index 2 · alphas=0.01');
    // A spin outside a foreach says nothing of a child, whatever arrives.
    spin(h, 'ok');
    h.send({ type: 'child', text: 'alphas=0.01' });
    expect(h.q('child').textContent).toBe('');
  });

  it("keeps Metaflow's own artifacts in a labelled group, closed until asked, and counts them apart", () => {
    const h = load();
    spin(h, 'ok');
    const table = h.q('artifacts');
    const internal = h.q('internal-rows', table);
    expect(internal.hidden).toBe(true);
    // Changed before unchanged, as in any group.
    expect(h.all('artifact-row', internal).map((r) => r.dataset.name)).toEqual(['_transition', '_graph_info']);
    expect(h.q('artifact-count').textContent).toBe('13 artifacts');
    // The heading comes right before the group's rows, after the step's own.
    const head = h.all('group-head', table).find((e) => e.dataset.group === 'internal') as HTMLElement;
    expect(head.hidden).toBe(false);
    expect(head.previousElementSibling).toBe(h.q('parameters-rows', table));
    expect(head.nextElementSibling).toBe(internal);
    const toggle = h.q('internal-toggle', head);
    expect(toggle.textContent).toBe("▸ Metaflow's own artifacts (2)");
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    toggle.click();
    expect(internal.hidden).toBe(false);
    expect(toggle.textContent).toBe("▾ Metaflow's own artifacts (2)");
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(h.expand('_transition').hidden).toBe(false);
    expect(h.q('artifact-count').textContent).toBe('13 artifacts');
    toggle.click();
    expect(internal.hidden).toBe(true);
    expect(h.posted).toEqual([{ type: 'ready' }]);
  });

  it("keeps Metaflow's group open across spins and reloads; a spin with only internal artifacts says it has none", () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'train' });
    for (const event of fixtures.ok.filter((e) => e.event !== 'artifact' || e.internal)) h.send({ type: 'event', event });
    expect(h.q('no-artifacts').hidden).toBe(false);
    expect(h.q('artifact-count').textContent).toBe('');
    // The table stays for the group's heading, which is how the reader opens it.
    expect(h.q('artifacts').hidden).toBe(false);
    expect(h.q('internal-rows', h.q('artifacts')).hidden).toBe(true);
    h.q('internal-toggle', h.q('artifacts')).click();
    expect(h.q('internal-rows', h.q('artifacts')).hidden).toBe(false);
    spin(h, 'ok');
    expect(h.q('internal-rows', h.q('artifacts')).hidden).toBe(false);
    expect(h.q('internal-toggle', h.q('artifacts')).textContent).toBe("▾ Metaflow's own artifacts (2)");
    const reloaded = load({ state: h.state() });
    spin(reloaded, 'ok');
    expect(reloaded.q('internal-rows', reloaded.q('artifacts')).hidden).toBe(false);
  });

  it('shows what a failed step assigned before it raised, under its own heading', () => {
    const h = load();
    spin(h, 'ok');
    expect(h.q('partial').hidden).toBe(true);
    spin(h, 'failed');
    const partial = h.q('partial');
    expect(partial.hidden).toBe(false);
    expect(partial.querySelector('h3')?.textContent).toBe('Assigned before the failure (partial)');
    const rows = h.all('artifact-row', h.q('partial-rows'));
    expect(rows.map((r) => r.dataset.name)).toEqual(['features', 'note']);
    expect(h.row('features').querySelector('.type')?.textContent).toBe('DataFrame');
    expect(h.row('features').querySelector('.size')?.textContent).toBe('2.3 MB');
    expect(h.row('features').querySelector('.summary')?.textContent).toBe('DataFrame shape=(799713, 3)');
    expect(h.row('note').querySelector('.summary')?.textContent).toBe("'<img src=x onerror=alert(1)>'");
    expect(partial.querySelector('img')).toBeNull();
    // Not results: the results table, its count and "No artifacts." stay out of the way.
    expect(h.q('artifacts').hidden).toBe(true);
    expect(h.q('no-artifacts').hidden).toBe(true);
    expect(h.q('artifact-count').textContent).toBe('');
    // Metaflow's own among them are in their group, closed like any other.
    const internal = h.q('internal-rows', h.q('partial-artifacts'));
    expect(internal.hidden).toBe(true);
    expect(h.all('artifact-row', internal).map((r) => r.dataset.name)).toEqual(['_foreach_stack']);
    h.q('internal-toggle', h.q('partial-artifacts')).click();
    expect(internal.hidden).toBe(false);
    expect(h.q('artifacts').hidden).toBe(true);
  });

  it('lists the cards of a finished spin; clicking one posts openFile for its file', () => {
    const h = load();
    spin(h, 'ok');
    expect(h.q('cards').hidden).toBe(false);
    const cards = h.all('card');
    expect(cards.map((c) => c.textContent)).toEqual(['default', 'blank']);
    expect(h.all('card-id').map((c) => c.textContent)).toEqual(['<b>summary</b>']);
    expect(h.q('cards').querySelector('b')).toBeNull();
    const record = '/work/project/.spinlens/TrainingFlow/train/a1b2c3';
    expect(cards[1]?.getAttribute('title')).toBe(`${record}/card-1-blank.html`);
    cards[1]?.click();
    expect(h.posted.at(-1)).toEqual({ type: 'openFile', file: `${record}/card-1-blank.html`, line: null });
    spin(h, 'failed');
    expect(h.q('cards').hidden).toBe(true);
    expect(h.all('card')).toHaveLength(0);
  });

  it('inserts artifact text as text: <script> in a summary is not an element', () => {
    const h = load();
    spin(h, 'ok');
    const row = h.row('art_table');
    expect(row.querySelector('.summary')?.textContent).toBe("<script>alert('table')</script>");
    expect(row.querySelector('script')).toBeNull();
    // Expand everything, in every comparison: still no element made from data.
    for (const comparison of ['source', 'inputs', 'previous']) {
      h.setComparison(comparison);
      for (const r of h.all('artifact-row')) r.click();
      expect(h.doc.querySelectorAll('script, img, b, iframe, object, embed').length).toBe(0);
      for (const r of h.all('artifact-row')) r.click();
    }
    expect(h.doc.body.textContent).toContain("<script>alert('object')</script>");
  });

  it('shows badges for the selected comparison', () => {
    const h = load();
    spin(h, 'ok');
    const status = (name: string): string | undefined => h.q('artifact-status', h.row(name)).dataset.status;
    expect(status('art_table')).toBe('changed');
    expect(status('raw')).toBe('unchanged');
    h.setComparison('inputs');
    expect(status('art_table')).toBe('new');
    h.setComparison('previous');
    expect(status('art_table')).toBe('changed');
    expect(status('art_number')).toBe('none');
    expect(h.q('artifact-status', h.row('art_number')).textContent).toBe('—');
  });

  it('renders a table diff: sample rows with changed cells marked, schema and column stats', () => {
    const h = load();
    spin(h, 'ok');
    const detail = h.expand('art_table');
    expect(detail.hidden).toBe(false);
    expect(h.q('diff', detail).dataset.kind).toBe('table');
    expect(h.q('diff-summary', detail).textContent).toMatch(/rows changed/);
    const cells = h.all('changed-cell', detail);
    expect(cells.length).toBeGreaterThanOrEqual(2);
    const labelCell = cells.find((c) => c.dataset.column === 'label');
    expect(labelCell?.querySelector('.old')?.textContent).toBe('c');
    expect(labelCell?.querySelector('.new')?.textContent).toBe('<script>alert(1)</script>');
    expect(h.q('schema', detail).textContent).toContain('columns added: y');
    expect(h.q('column-stats', detail).textContent).toContain('x');
    h.row('art_table').click();
    expect(h.detail('art_table').hidden).toBe(true);
  });

  it('limits sample rows to the diffRows setting', () => {
    const h = load();
    spin(h, 'ok');
    const detail = h.expand('art_table');
    expect(h.all('sample-row', detail)).toHaveLength(3);
    h.send({ type: 'settings', diffRows: 1 });
    expect(h.all('sample-row', h.detail('art_table'))).toHaveLength(1);
    expect(h.detail('art_table').textContent).toContain('Showing 1 of 3 changed rows');
  });

  it('renders text diffs as coloured +/- lines', () => {
    const h = load();
    spin(h, 'ok');
    const detail = h.expand('art_text');
    const lines = Array.from(h.q('unified-diff', detail).querySelectorAll<HTMLElement>('.line'));
    expect(lines.map((l) => l.dataset.line)).toEqual(['hunk', 'ctx', 'del', 'add', 'ctx']);
    expect(lines[3]?.textContent).toBe('+<img src=x onerror=alert(1)>');
    expect(detail.querySelector('img')).toBeNull();
  });

  it('renders nested mapping diffs with changed, added and removed keys', () => {
    const h = load();
    spin(h, 'ok');
    const detail = h.expand('art_mapping');
    const entries = h.all('entry', detail);
    const changes = entries.map((e) => `${e.dataset.change}:${e.querySelector('.key')?.textContent}`);
    expect(changes).toEqual(expect.arrayContaining(['changed:auc', 'changed:nested', 'added:new', 'removed:gone']));
    const added = entries.find((e) => e.dataset.change === 'added');
    expect(added?.querySelector('.value')?.textContent).toBe('<b>bold</b>');
    // nested: nested -> k -> [1]
    expect(detail.querySelectorAll('[data-testid="diff"]').length).toBeGreaterThanOrEqual(3);
    expect(detail.textContent).toContain('[1]');
  });

  it('renders numbers, arrays, sequences, sets, params, objects and type changes', () => {
    const h = load();
    spin(h, 'ok');
    const number = h.expand('art_number');
    expect(h.q('number-change', number).textContent).toBe('0.5503 → 0.5123 (-0.038, -6.905%)');
    const array = h.expand('art_array');
    expect(h.all('sample-row', array).map((r) => r.textContent)).toEqual(['[3]330', '[5]55.5']);
    expect(array.textContent).toContain('max abs diff: 27');
    for (const kind of ['sequence', 'set', 'params', 'object', 'type', 'bool']) {
      const detail = h.expand(`art_${kind}`);
      expect(h.q('diff', detail).dataset.kind).toBe(kind);
    }
    expect(h.detail('art_set').textContent).toContain('+ c');
    expect(h.detail('art_params').textContent).toContain('alpha');
    expect(h.detail('art_type').textContent).toContain('int');
    expect(h.detail('art_bool').textContent).toContain('True → False');
  });

  it('says why there is no diff for unchanged, new and missing comparisons', () => {
    const h = load();
    spin(h, 'ok');
    expect(h.expand('raw').textContent).toContain('Unchanged vs the source run.');
    h.expand('art_table');
    h.setComparison('inputs');
    expect(h.detail('art_table').textContent).toContain('New: not in the inputs.');
    h.setComparison('previous');
    expect(h.expand('art_number').textContent).toContain('No previous spin to compare with.');
  });

  it('shows a failure with its traceback, and file links post openFile', () => {
    const h = load();
    spin(h, 'failed');
    expect(h.q('status').dataset.status).toBe('failed');
    expect(h.q('failure').hidden).toBe(false);
    expect(h.q('failure-error').textContent).toBe('ValueError: bad <input>');
    const location = h.q('failure-location');
    expect(location.textContent).toBe('training_flow.py:42');
    location.click();
    expect(h.posted.at(-1)).toEqual({ type: 'openFile', file: FLOW, line: 42 });
    const traceback = h.q('traceback');
    expect(traceback.textContent).toContain("raise ValueError('bad <input>')");
    const link = h.q('file-link', traceback);
    expect(link.textContent).toBe(`File "${FLOW}", line 42`);
    link.click();
    expect(h.posted.at(-1)).toEqual({ type: 'openFile', file: FLOW, line: 42 });
    expect(traceback.querySelector('input')).toBeNull();
  });

  it('shows a rejected spin (only failed) and a cancelled one', () => {
    const h = load();
    spin(h, 'rejected');
    expect(h.q('status').dataset.status).toBe('failed');
    expect(h.q('failure-error').textContent).toBe('No successful run of TrainingFlow.');
    expect(h.q('failure').textContent).toContain('code: no-successful-run');
    spin(h, 'cancelled');
    expect(h.q('status').dataset.status).toBe('cancelled');
    expect(h.q('failure').textContent).toContain('Cancelled');
  });

  it('offers Cancel while running, which posts cancel', () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'train' });
    expect(h.q('status').dataset.status).toBe('starting');
    h.send({ type: 'event', event: fixtures.ok[0] });
    expect(h.q('status').dataset.status).toBe('preparing');
    expect(h.q('progress').textContent).toContain('loading feature_table');
    h.send({ type: 'event', event: fixtures.ok[1] });
    expect(h.q('status').dataset.status).toBe('running');
    const cancel = h.q('cancel');
    expect(cancel.hidden).toBe(false);
    cancel.click();
    expect(h.posted.at(-1)).toEqual({ type: 'cancel' });
  });

  it('starts over on a new spin', () => {
    const h = load();
    spin(h, 'ok');
    h.send({ type: 'spin', uri: URI, step: 'tune' });
    expect(h.all('artifact-row')).toHaveLength(0);
    expect(h.q('log').textContent).toBe('');
    expect(h.q('step').textContent).toBe('.tune');
    expect(h.q('failure').hidden).toBe(true);
  });

  it('ignores malformed messages and events', () => {
    const h = load();
    for (const junk of [null, 'spin', 42, { type: 'spin' }, { type: 'event' }, { type: 'event', event: 'x' },
      { type: 'settings', diffRows: -1 }, { type: 'unknown' }, { type: 'event', event: { event: 'weird', spin_id: 'x' } }]) {
      expect(() => h.send(junk)).not.toThrow();
    }
    expect(h.posted).toEqual([{ type: 'ready' }]);
  });

  it('only ever posts the three allowed message types', () => {
    const h = load();
    spin(h, 'failed');
    h.q('failure-location').click();
    for (const toggle of h.all('internal-toggle')) toggle.click();
    spin(h, 'ok');
    for (const card of h.all('card')) card.click();
    for (const toggle of h.all('internal-toggle')) toggle.click();
    const types = new Set(h.posted.map((m) => (m as { type: string }).type));
    for (const type of types) expect(['ready', 'openFile', 'cancel']).toContain(type);
  });
});

describe('panel.js without a DOM of its own (no innerHTML anywhere)', () => {
  it('never uses innerHTML, outerHTML, insertAdjacentHTML, document.write or eval', () => {
    expect(SCRIPT).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
  });
});
