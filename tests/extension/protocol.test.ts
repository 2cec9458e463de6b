import { readFileSync } from 'node:fs';
import * as ts from 'typescript';
import { describe, expect, it } from 'vitest';
import {
  ClientCommand,
  DIFF_KINDS,
  EventNotification,
  ServerCommand,
  isSpinEvent,
  isSpinResult,
  isTerminalEvent,
  isValueDiff,
  normalizeEvent,
} from '../../extension/src/protocol';
import { loadFixtures, repoFile } from './fixtures';

const fixtures = loadFixtures();
const all = [...fixtures.ok, ...fixtures.failed, ...fixtures.rejected, ...fixtures.cancelled];

describe('event guards', () => {
  it('accept every event the backend emits', () => {
    for (const event of all) expect(isSpinEvent(event), JSON.stringify(event).slice(0, 120)).toBe(true);
  });

  it('cover every event kind', () => {
    expect(new Set(all.map((e) => e.event))).toEqual(
      new Set(['progress', 'started', 'debug', 'paused', 'resumed', 'log', 'artifact', 'finished', 'failed']),
    );
  });

  it("cover Metaflow's internal artifacts, a failed step's partial ones and cards", () => {
    const artifacts = all.filter((e) => e.event === 'artifact');
    expect(artifacts.some((e) => e.internal === true && e.partial === false)).toBe(true);
    expect(artifacts.some((e) => e.partial === true && e.internal === false)).toBe(true);
    const partialSpins = new Set(artifacts.filter((e) => e.partial === true).map((e) => e.spin_id));
    for (const spinId of partialSpins) {
      const terminal = all.find((e) => e.spin_id === spinId && (e.event === 'finished' || e.event === 'failed'));
      expect(terminal?.event).toBe('failed');
    }
    const cards = fixtures.ok.find((e) => e.event === 'finished')?.cards;
    expect(cards).toEqual([
      expect.objectContaining({ type: 'default', id: null }),
      expect.objectContaining({ type: 'blank', id: '<b>summary</b>' }),
    ]);
  });

  it('accept every ValueDiff kind the backend produces, and the documented list matches', () => {
    const kinds = new Set<string>();
    for (const event of fixtures.ok) {
      if (event.event !== 'artifact') continue;
      for (const diff of Object.values(event.diffs as Record<string, unknown>)) {
        expect(isValueDiff(diff)).toBe(true);
        kinds.add((diff as { kind: string }).kind);
      }
    }
    for (const kind of kinds) expect(DIFF_KINDS).toContain(kind);
    expect(kinds.size).toBeGreaterThanOrEqual(11);
  });

  it.each([
    ['not an object', 'started'],
    ['no event', { spin_id: 'x' }],
    ['unknown event', { event: 'exploded', spin_id: 'x' }],
    ['no spin id', { event: 'progress', message: 'm' }],
    ['log with a bad stream', { event: 'log', spin_id: 'x', stream: 'stdin', text: 'a' }],
    ['log without text', { event: 'log', spin_id: 'x', stream: 'stdout' }],
    ['started without source', { event: 'started', spin_id: 'x', flow: 'F', step: 's', flow_file: '/f.py', warm: true }],
    [
      'artifact with a bad status',
      { event: 'artifact', spin_id: 'x', name: 'a', type: 'int', size: 1, summary: '1', vs_inputs: 'weird', vs_source: 'new' },
    ],
    [
      'artifact with a diff under an unknown comparison',
      {
        event: 'artifact', spin_id: 'x', name: 'a', type: 'int', size: 1, summary: '1', vs_inputs: 'new',
        vs_source: 'changed', vs_previous: null, diffs: { elsewhere: { changed: true, kind: 'number', summary: '', detail: {} } }, error: null,
      },
    ],
    ['artifact with a string internal', { event: 'artifact', spin_id: 'x', name: '_t', type: 'tuple', size: 1, summary: '()', vs_inputs: 'new', vs_source: 'new', internal: 'yes' }],
    ['artifact with a numeric partial', { event: 'artifact', spin_id: 'x', name: 'a', type: 'int', size: 1, summary: '1', vs_inputs: 'new', vs_source: 'new', partial: 1 }],
    ['finished with a failed status', { event: 'finished', spin_id: 'x', status: 'failed', next_steps: [], foreach: null, timings: {} }],
    ['finished with cards not a list', { event: 'finished', spin_id: 'x', status: 'ok', next_steps: [], foreach: null, timings: {}, cards: { type: 'default', id: null, path: '/c.html' } }],
    ['finished with a card without a path', { event: 'finished', spin_id: 'x', status: 'ok', next_steps: [], foreach: null, timings: {}, cards: [{ type: 'default', id: null }] }],
    ['finished with a card with a numeric id', { event: 'finished', spin_id: 'x', status: 'ok', next_steps: [], foreach: null, timings: {}, cards: [{ type: 'default', id: 3, path: '/c.html' }] }],
    ['failed with an unknown kind', { event: 'failed', spin_id: 'x', status: 'failed', kind: 'oops', error: 'e' }],
    ['failed with a string line', { event: 'failed', spin_id: 'x', status: 'failed', kind: 'exception', error: 'e', line: '3' }],
  ])('reject %s', (_name, value) => {
    expect(isSpinEvent(value)).toBe(false);
  });

  it('tell terminal events apart', () => {
    const terminal = all.filter((e) => isSpinEvent(e) && isTerminalEvent(e)).map((e) => e.event);
    expect(new Set(terminal)).toEqual(new Set(['finished', 'failed']));
  });
});

describe('normalizeEvent', () => {
  it('fills the optional fields the server may leave out', () => {
    const artifact = normalizeEvent({
      event: 'artifact', spin_id: 's', name: 'a', type: 'int', size: null, summary: '1',
      vs_inputs: 'new', vs_source: 'new',
    } as never);
    expect(artifact).toMatchObject({ vs_previous: null, diffs: {}, error: null, internal: false, partial: false });
    const failed = normalizeEvent({ event: 'failed', spin_id: 's', status: 'failed', kind: 'setup', error: 'e' } as never);
    expect(failed).toMatchObject({ code: null, traceback: null, file: null, line: null, timings: {} });
    const finished = normalizeEvent({ event: 'finished', spin_id: 's', status: 'ok', next_steps: [], foreach: null, timings: {} } as never);
    expect(finished).toMatchObject({ removed: [], record: null, cards: [] });
  });
});

describe('notifications and results', () => {
  it('checks spinlens/event params, normalizing the event', () => {
    const event = fixtures.ok.find((e) => e.event === 'artifact');
    const uri = 'file:///w/flow.py';
    const params = EventNotification.parse({ uri, requestId: 'r-1', event: { ...event, diffs: undefined } });
    expect(params).toMatchObject({ uri, requestId: 'r-1', event: { event: 'artifact', diffs: {} } });
    expect(EventNotification.parse({ uri, requestId: null, event })?.requestId).toBeNull();
    // A server older than request ids sends none.
    expect(EventNotification.parse({ uri, event })?.requestId).toBeUndefined();
    expect(EventNotification.parse({ event })).toBeUndefined();
    expect(EventNotification.parse({ uri, requestId: 7, event })).toBeUndefined();
    expect(EventNotification.parse({ uri, event: { event: 'nope' } })).toBeUndefined();
  });

  it('checks spin results: ok, failed or cancelled', () => {
    expect(isSpinResult({ spinId: 'a', status: 'ok' })).toBe(true);
    expect(isSpinResult({ spinId: 'a', status: 'failed', error: 'boom' })).toBe(true);
    expect(isSpinResult({ spinId: 'a', status: 'cancelled', error: 'Cancelled.' })).toBe(true);
    expect(isSpinResult({ spinId: 'a', status: 'exploded' })).toBe(false);
    expect(isSpinResult({ spinId: 1, status: 'ok' })).toBe(false);
    expect(isSpinResult(null)).toBe(false);
  });

  it('keeps only well-formed runs of a listRuns result', () => {
    const listed = ServerCommand.listRuns.parse({
      runs: [
        { runId: '12', status: 'ok', created: 1_700_000_000 },
        { runId: '11', status: 'failed', created: 1_699_000_000 },
        { runId: '13', status: 'running', created: 1_700_000_100 },
        { runId: 10, status: 'ok', created: 1 },
        { runId: '9', status: 'meh', created: 1 },
        'junk',
      ],
      chosen: '11',
      defaultRun: null,
    });
    expect(listed?.runs.map((r) => r.runId)).toEqual(['12', '11', '13']);
    expect(listed?.chosen).toBe('11');
    expect(ServerCommand.listRuns.parse([])).toBeUndefined(); // the shape before `chosen`
    expect(ServerCommand.listRuns.parse({ runs: [], chosen: 3, defaultRun: null })).toBeUndefined();
  });

  it('checks the other results', () => {
    expect(ServerCommand.cancel.parse({ cancelled: true })).toEqual({ cancelled: true });
    expect(ServerCommand.cancel.parse({ cancelled: 'yes' })).toBeUndefined();
    expect(ServerCommand.setSourceRun.parse({ runId: null })).toEqual({ runId: null });
    expect(ServerCommand.restartKernel.parse({})).toBeUndefined();
    const steps = ServerCommand.listSteps.parse({
      steps: [{ flow: 'F', name: 'start', line: 4, defLine: 5, endLine: 7 }, { name: 'broken' }],
      error: null,
    });
    expect(steps?.steps.map((s) => s.name)).toEqual(['start']);
    expect(ServerCommand.listSteps.parse({ steps: [] })).toBeUndefined();
  });
});

/**
 * The field names of each `### name` section's first table in docs/protocol.md
 * (the backticked names of its first column).
 */
function documentedFields(doc: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let fields: string[] | undefined;
  let tableSeen = false;
  for (const line of doc.split('\n')) {
    const heading = /^###? `?([A-Za-z_]+)/.exec(line);
    if (heading?.[1]) {
      fields = line.startsWith('### ') ? [] : undefined;
      if (fields) sections.set(heading[1], fields);
      tableSeen = false;
    } else if (fields && line.startsWith('|')) {
      tableSeen = true;
      const first = line.split('|')[1] ?? '';
      for (const m of first.matchAll(/`([a-z_]+)`/g)) if (m[1]) fields.push(m[1]);
    } else if (tableSeen) {
      fields = undefined; // past the first table
    }
  }
  return sections;
}

/** The property names of each interface in extension/src/protocol.ts. */
function mirroredFields(): Map<string, string[]> {
  const file = repoFile('extension/src/protocol.ts');
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const interfaces = new Map<string, string[]>();
  for (const node of sf.statements) {
    if (!ts.isInterfaceDeclaration(node)) continue;
    const names = node.members.filter(ts.isPropertySignature).map((m) => m.name.getText(sf));
    interfaces.set(node.name.text, names);
  }
  return interfaces;
}

const MIRRORS: Record<string, string> = {
  progress: 'ProgressEvent',
  debug: 'DebugEvent',
  started: 'StartedEvent',
  log: 'LogEvent',
  artifact: 'ArtifactEvent',
  finished: 'FinishedEvent',
  failed: 'FailedEvent',
  paused: 'PausedEvent',
  resumed: 'ResumedEvent',
  Card: 'Card',
};

describe('docs/protocol.md', () => {
  const doc = readFileSync(repoFile('docs/protocol.md'), 'utf8');
  const documented = documentedFields(doc);
  const sorted = (names: Iterable<string>): string[] => [...new Set(names)].sort();

  it.each(Object.entries(MIRRORS))('documents the fields of %s as protocol.ts has them', (section, name) => {
    const fields = documented.get(section);
    expect(fields, `a "### ${section}" section with a field table`).toBeDefined();
    const mirrored = (mirroredFields().get(name) ?? []).filter((f) => f !== 'event');
    expect(sorted(fields ?? [])).toEqual(sorted(mirrored));
  });

  it('documents every field the backend sends (events.py, through the fixtures)', () => {
    for (const event of all) {
      const sent = Object.keys(event).filter((k) => k !== 'event' && k !== 'spin_id');
      expect(sorted(documented.get(event.event) ?? []), event.event).toEqual(sorted(sent));
    }
    const cards = fixtures.ok.find((e) => e.event === 'finished')?.cards as Record<string, unknown>[];
    for (const card of cards) expect(sorted(documented.get('Card') ?? [])).toEqual(sorted(Object.keys(card)));
    expect(documented.get('artifact')).toEqual(expect.arrayContaining(['internal', 'partial']));
    expect(documented.get('finished')).toContain('cards');
  });

  it('names no client command the mirror lacks (contract.test.ts checks the server commands)', () => {
    const clientCommands = new Set(doc.match(/`(spinlens\.[a-z][A-Za-z]+)`/g)?.map((m) => m.slice(1, -1)));
    for (const name of clientCommands) {
      if (name.startsWith('spinlens.server.') || /^spinlens\.(python|defaultSourceRun|historySize|diffRows|memoryLimitMB|inlayHints|prewarmMemoryMB)$/.test(name)) continue;
      expect(Object.values(ClientCommand)).toContain(name);
    }
  });
});
