/**
 * The panel's artifact table: a stable row order, the comparison kept per step
 * (and across reloads), numbers with the digits that tell old from new, and a
 * number's change printed once.
 */
import { describe, expect, it } from 'vitest';
import { type Harness, load } from './panelHarness';

const URI = 'file:///work/project/flows/training_flow.py';

type Status = 'new' | 'changed' | 'unchanged';

interface Art {
  name: string;
  /** vs the source run; vs_inputs is `new` and vs_previous the same as this unless given. */
  source: Status;
  previous?: Status | null;
  internal?: boolean;
  parameter?: boolean;
  diff?: unknown;
  type?: string;
  summary?: string;
}

function artifact(a: Art): unknown {
  return {
    event: 'artifact',
    spin_id: 's',
    name: a.name,
    type: a.type ?? 'builtins.float',
    size: 24,
    summary: a.summary ?? a.name,
    vs_inputs: 'new',
    vs_source: a.source,
    vs_previous: a.previous === undefined ? a.source : a.previous,
    diffs: a.diff ? { source: a.diff } : {},
    error: null,
    internal: a.internal ?? false,
    parameter: a.parameter ?? false,
    partial: false,
  };
}

/** One whole spin of `Flow.step` with these artifacts, sent in this order. */
function spin(h: Harness, step: string, arts: Art[], flow = 'TrainingFlow'): void {
  h.send({ type: 'spin', uri: URI, step });
  events(h, step, arts, flow);
}

/** The events of a spin the panel was told of: started, the artifacts, finished. */
function events(h: Harness, step: string, arts: Art[], flow = 'TrainingFlow'): void {
  const source = { flow, run_id: '1', step, task_id: '2', parents: [], index: null, iteration: null };
  h.send({ type: 'event', event: { event: 'started', spin_id: 's', flow, step, flow_file: '/f.py', source, warm: true } });
  for (const a of arts) h.send({ type: 'event', event: artifact(a) });
  const finished = { event: 'finished', spin_id: 's', status: 'ok', next_steps: [], foreach: null, removed: [], timings: {}, record: null, cards: [] };
  h.send({ type: 'event', event: finished });
}

const names = (h: Harness, testid = 'artifact-rows'): (string | undefined)[] =>
  h.all('artifact-row', h.q(testid, h.q('artifacts'))).map((r) => r.dataset.name);

function numberDiff(old: number, now: number, summary: string): unknown {
  return {
    changed: true,
    kind: 'number',
    summary,
    detail: { old, new: now, abs_change: now - old, rel_change: (now - old) / Math.abs(old) },
    truncated: false,
    error: null,
  };
}

describe('artifact row order', () => {
  const ARTS: Art[] = [
    { name: 'raw', source: 'unchanged' },
    { name: 'metrics', source: 'changed' },
    { name: 'Alpha', source: 'unchanged' },
    { name: 'coef', source: 'new' },
    { name: 'iter_10', source: 'changed' },
    { name: 'feature_table', source: 'unchanged' },
    { name: 'iter_2', source: 'changed' },
    { name: '_transition', source: 'unchanged', internal: true },
    { name: '_graph_info', source: 'changed', internal: true },
  ];
  const ORDER = ['coef', 'iter_2', 'iter_10', 'metrics', 'Alpha', 'feature_table', 'raw'];

  it('lists changed and new first, then unchanged, each A to Z; Metaflow’s own apart, ordered alike', () => {
    const h = load();
    spin(h, 'train', ARTS);
    expect(names(h)).toEqual(ORDER);
    expect(names(h, 'internal-rows')).toEqual(['_graph_info', '_transition']);
    // Each row's detail right after it.
    for (const row of h.all('artifact-row')) expect(row.nextElementSibling).toBe(h.detail(row.dataset.name ?? ''));
  });

  it('gives two spins of a step the same order whatever order the events came in', () => {
    const h = load();
    spin(h, 'train', ARTS);
    const first = names(h);
    spin(h, 'train', [...ARTS].reverse());
    expect(names(h)).toEqual(first);
    spin(h, 'train', [...ARTS.slice(3), ...ARTS.slice(0, 3)]);
    expect(names(h)).toEqual(first);
  });

  it('moves a row only when its status changes: in the next spin, or with the comparison', () => {
    const h = load();
    spin(h, 'train', ARTS);
    const next = ARTS.map((a) => (a.name === 'raw' ? { ...a, source: 'changed' as const } : a));
    spin(h, 'train', next);
    expect(names(h)).toEqual(['coef', 'iter_2', 'iter_10', 'metrics', 'raw', 'Alpha', 'feature_table']);
    // Against the inputs everything is new: A to Z, an open row keeps its detail.
    h.expand('raw');
    h.setComparison('inputs');
    expect(names(h)).toEqual(['Alpha', 'coef', 'feature_table', 'iter_2', 'iter_10', 'metrics', 'raw']);
    expect(h.row('raw').nextElementSibling).toBe(h.detail('raw'));
    expect(h.detail('raw').hidden).toBe(false);
  });

  it('puts rows with nothing to compare with between the changed and the unchanged', () => {
    const h = load();
    spin(h, 'train', [
      { name: 'b', source: 'unchanged' },
      { name: 'a', source: 'changed', previous: null },
      { name: 'c', source: 'new', previous: null },
    ]);
    h.setComparison('previous');
    expect(names(h)).toEqual(['a', 'c', 'b']);
  });
});

describe('the parameters group', () => {
  const ARTS: Art[] = [
    { name: 'scaled', source: 'changed' },
    { name: 'settings', source: 'unchanged', parameter: true },
    { name: 'alpha', source: 'changed', parameter: true },
    { name: 'Label', source: 'unchanged', parameter: true },
    { name: 'numbers', source: 'unchanged' },
    { name: 'name', source: 'unchanged', internal: true },
    { name: '_graph_info', source: 'unchanged', internal: true },
  ];
  const table = (h: Harness): HTMLElement => h.q('artifacts');
  const heads = (h: Harness): HTMLElement[] => h.all('group-head', table(h));

  it("lists the flow's Parameters and Configs apart, in the row order, and Metaflow's name with its own", () => {
    const h = load();
    spin(h, 'train', ARTS);
    expect(names(h)).toEqual(['scaled', 'numbers']);
    expect(names(h, 'parameters-rows')).toEqual(['alpha', 'Label', 'settings']);
    expect(names(h, 'internal-rows')).toEqual(['_graph_info', 'name']);
    // The count is the step's own rows.
    expect(h.q('artifact-count').textContent).toBe('2 artifacts');
  });

  it("sits after the step's rows and before Metaflow's, closed until opened, and stays open", () => {
    const h = load();
    spin(h, 'train', ARTS);
    const [params, internal] = heads(h);
    expect([params?.dataset.group, internal?.dataset.group]).toEqual(['parameters', 'internal']);
    const tbodies = Array.from(table(h).querySelectorAll(':scope > tbody'));
    expect(tbodies).toEqual([
      h.q('artifact-rows', table(h)),
      params,
      h.q('parameters-rows', table(h)),
      internal,
      h.q('internal-rows', table(h)),
    ]);
    const rows = h.q('parameters-rows', table(h));
    const toggle = h.q('parameters-toggle', table(h));
    expect(rows.hidden).toBe(true);
    expect(toggle.textContent).toBe('▸ Parameters and configs (3)');
    toggle.click();
    expect(rows.hidden).toBe(false);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    expect(h.q('internal-rows', table(h)).hidden).toBe(true); // each group opens on its own
    spin(h, 'train', [...ARTS].reverse());
    expect(h.q('parameters-rows', table(h)).hidden).toBe(false);
    expect(names(h, 'parameters-rows')).toEqual(['alpha', 'Label', 'settings']);
    const reloaded = load({ state: h.state() });
    spin(reloaded, 'train', ARTS);
    expect(reloaded.q('parameters-rows', reloaded.q('artifacts')).hidden).toBe(false);
  });

  it('has no heading in a spin without parameters', () => {
    const h = load();
    spin(h, 'train', ARTS.filter((a) => !a.parameter));
    const [params] = heads(h);
    expect(params?.dataset.group).toBe('parameters');
    expect(params?.hidden).toBe(true);
    expect(names(h, 'parameters-rows')).toEqual([]);
  });
});

describe('the comparison, per step', () => {
  const TRAIN: Art[] = [
    { name: 'coef', source: 'changed', previous: 'unchanged' },
    { name: 'metrics', source: 'changed', previous: 'changed' },
  ];
  // The first spin of tune: no previous spin to compare with.
  const TUNE: Art[] = [{ name: 'model', source: 'changed', previous: null }];
  const select = (h: Harness): HTMLSelectElement => h.q('comparison') as HTMLSelectElement;
  const badges = (h: Harness): (string | null)[] => h.all('artifact-status').map((b) => b.textContent);

  it('is not carried to another step: the first spin of tune compares with the source run', () => {
    const h = load();
    spin(h, 'train', TRAIN);
    h.setComparison('previous');
    expect(badges(h)).toEqual(['changed', 'unchanged']);
    spin(h, 'tune', TUNE);
    expect(select(h).value).toBe('source');
    expect(badges(h)).toEqual(['changed']);
    // Back to train: its own choice again.
    spin(h, 'train', TRAIN);
    expect(select(h).value).toBe('previous');
    expect(badges(h)).toEqual(['changed', 'unchanged']);
  });

  it('is kept per flow as well as per step', () => {
    const h = load();
    spin(h, 'train', TRAIN);
    h.setComparison('inputs');
    spin(h, 'train', TRAIN, 'OtherFlow');
    expect(select(h).value).toBe('source');
  });

  it('survives the webview being reloaded (vscode.setState), and junk state is ignored', () => {
    const h = load();
    spin(h, 'train', TRAIN);
    h.setComparison('previous');
    spin(h, 'tune', TUNE);
    h.setComparison('inputs');
    expect(h.state()).toMatchObject({ comparisons: { 'TrainingFlow.train': 'previous', 'TrainingFlow.tune': 'inputs' } });
    const reloaded = load({ state: h.state() });
    spin(reloaded, 'train', TRAIN);
    expect(select(reloaded).value).toBe('previous');
    spin(reloaded, 'tune', TUNE);
    expect(select(reloaded).value).toBe('inputs');

    const junk = load({ state: { comparisons: { 'TrainingFlow.train': 'bogus' }, openGroups: 'internal' } });
    spin(junk, 'train', TRAIN);
    expect(select(junk).value).toBe('source');
  });

  it("belongs to the spin's step when picked before the spin said which", () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'train' });
    h.setComparison('inputs');
    events(h, 'train', TRAIN);
    expect(select(h).value).toBe('inputs');
    spin(h, 'tune', TUNE);
    expect(select(h).value).toBe('source');
    spin(h, 'train', TRAIN);
    expect(select(h).value).toBe('inputs');
  });
});

describe('numbers in diffs', () => {
  it('shows the digits that tell old from new where rounding would make them read alike', () => {
    const h = load();
    spin(h, 'train', [
      { name: 'auc', source: 'changed', diff: numberDiff(0.78293300001, 0.78293300002, '0.782933 → 0.782933 (+1e-11)') },
      // Neighbouring doubles: only 17 digits (repr) tell them apart.
      { name: 'eps', source: 'changed', diff: numberDiff(0.1, 0.10000000000000002, '0.1 → 0.1 (+1.38778e-17)') },
      { name: 'tiny', source: 'changed', diff: numberDiff(1.2345678e-5, 1.2345679e-5, '1.23457e-05 → 1.23457e-05') },
    ]);
    expect(h.q('number-change', h.expand('auc')).firstChild?.textContent).toBe('0.78293300001 → 0.78293300002');
    expect(h.q('number-change', h.expand('eps')).firstChild?.textContent).toBe('0.1 → 0.10000000000000002');
    expect(h.q('number-change', h.expand('tiny')).firstChild?.textContent).toBe('1.2345678e-5 → 1.2345679e-5');
  });

  it('does so in mapping entries, table cells and array elements too', () => {
    const h = load();
    const mapping = {
      changed: true,
      kind: 'mapping',
      summary: "1 of 1 key changed ('auc')",
      detail: {
        size: [1, 1],
        added: [],
        removed: [],
        changed: [{ key: 'auc', diff: numberDiff(0.78293300001, 0.78293300002, '0.782933 → 0.782933 (+1e-11)') }],
      },
      truncated: false,
      error: null,
    };
    const table = {
      changed: true,
      kind: 'table',
      summary: '1 of 1 rows changed',
      detail: { rows: [1, 1], changed_cells: 1, changed_rows: 1, sample: [{ key: 0, old: { x: 0.1 }, new: { x: 0.10000000000000002 } }] },
      truncated: false,
      error: null,
    };
    const array = {
      changed: true,
      kind: 'array',
      summary: '1 of 2 elements changed',
      detail: { shape: [[2], [2]], changed_elements: 1, sample: [{ index: [1], old: 0.1, new: 0.10000000000000002 }] },
      truncated: false,
      error: null,
    };
    spin(h, 'train', [
      { name: 'metrics', source: 'changed', type: 'builtins.dict', diff: mapping },
      { name: 'frame', source: 'changed', type: 'pandas.core.frame.DataFrame', diff: table },
      { name: 'weights', source: 'changed', type: 'numpy.ndarray', diff: array },
    ]);
    const entry = h.q('entry', h.expand('metrics'));
    expect(h.q('number-change', entry).firstChild?.textContent).toBe('0.78293300001 → 0.78293300002');
    expect(entry.textContent).not.toContain('0.782933 → 0.782933');
    const cell = h.q('changed-cell', h.expand('frame'));
    expect([cell.querySelector('.old')?.textContent, cell.querySelector('.new')?.textContent]).toEqual([
      '0.1',
      '0.10000000000000002',
    ]);
    const element = h.q('sample-row', h.expand('weights'));
    expect(element.textContent).toBe('[1]0.10.10000000000000002');
  });

  it("prints a number's change once: no summary line above it, no value repeated below the row", () => {
    const h = load();
    spin(h, 'train', [
      { name: 'loss', source: 'changed', summary: '0.5123', diff: numberDiff(0.5503, 0.5123, '0.5503 → 0.5123 (-0.038, -6.91%)') },
    ]);
    const detail = h.expand('loss');
    expect(h.all('diff-summary', detail)).toEqual([]);
    expect(h.q('number-change', detail).textContent).toBe('0.5503 → 0.5123 (-0.038, -6.905%)');
    const text = detail.textContent ?? '';
    expect(text.split('0.5503')).toHaveLength(2);
    expect(text.split('0.5123')).toHaveLength(2);
  });

  it('keeps the summary line of diffs that have more than one line', () => {
    const h = load();
    const text = {
      changed: true,
      kind: 'text',
      summary: '1 line changed',
      detail: { lines: [1, 1], chars: [1, 1], added: 1, removed: 1, diff: ['@@ -1 +1 @@', '-a', '+b'] },
      truncated: false,
      error: null,
    };
    spin(h, 'train', [{ name: 'note', source: 'changed', type: 'builtins.str', diff: text }]);
    expect(h.q('diff-summary', h.expand('note')).textContent).toBe('1 line changed');
  });
});

describe('artifact names and types', () => {
  it('lets a name break only after _ or ., and keeps the whole name in its title', () => {
    const h = load();
    spin(h, 'train', [
      { name: 'feature_table', source: 'new' },
      { name: '_graph_info', source: 'new', internal: true },
      { name: 'model.params', source: 'new' },
      { name: 'coefficients', source: 'new' },
    ]);
    const parts = (name: string): string[] =>
      Array.from(h.q('artifact-name', h.row(name)).childNodes).map((n) => (n.nodeName === 'WBR' ? '|' : (n.textContent ?? '')));
    expect(parts('feature_table')).toEqual(['feature_', '|', 'table']);
    expect(parts('_graph_info')).toEqual(['_graph_', '|', 'info']);
    expect(parts('model.params')).toEqual(['model.', '|', 'params']);
    expect(parts('coefficients')).toEqual(['coefficients']);
    expect(h.q('artifact-name', h.row('feature_table')).title).toBe('feature_table');
  });

  it('shows the short type whole in the row, the qualified one in its title and the detail', () => {
    const h = load();
    spin(h, 'train', [{ name: 'raw', source: 'unchanged', type: 'pandas.core.frame.DataFrame' }]);
    const type = h.row('raw').querySelector<HTMLElement>('.type');
    expect(type?.textContent).toBe('DataFrame');
    expect(type?.title).toBe('pandas.core.frame.DataFrame');
    expect(h.expand('raw').textContent).toContain('type: pandas.core.frame.DataFrame');
  });
});
