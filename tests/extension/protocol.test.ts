import { describe, expect, it } from 'vitest';
import {
  COMPARISONS,
  ClientCommand,
  DIFF_KINDS,
  EVENT_NOTIFICATION,
  ServerCommand,
  isEventNotification,
  isSpinEvent,
  isSpinResult,
  isTerminalEvent,
  isValueDiff,
  normalizeEvent,
  parseRuns,
} from '../../extension/src/protocol';
import { loadFixtures } from './fixtures';

const fixtures = loadFixtures();
const all = [...fixtures.ok, ...fixtures.failed, ...fixtures.rejected, ...fixtures.cancelled];

describe('event guards', () => {
  it('accept every event the backend emits', () => {
    for (const event of all) expect(isSpinEvent(event), JSON.stringify(event).slice(0, 120)).toBe(true);
  });

  it('cover every event kind', () => {
    expect(new Set(all.map((e) => e.event))).toEqual(
      new Set(['progress', 'started', 'log', 'artifact', 'finished', 'failed']),
    );
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
    ['finished with a failed status', { event: 'finished', spin_id: 'x', status: 'failed', next_steps: [], foreach: null, timings: {} }],
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
    expect(artifact).toMatchObject({ vs_previous: null, diffs: {}, error: null });
    const failed = normalizeEvent({ event: 'failed', spin_id: 's', status: 'failed', kind: 'setup', error: 'e' } as never);
    expect(failed).toMatchObject({ code: null, traceback: null, file: null, line: null, timings: {} });
    const finished = normalizeEvent({ event: 'finished', spin_id: 's', status: 'ok', next_steps: [], foreach: null, timings: {} } as never);
    expect(finished).toMatchObject({ removed: [], record: null });
  });
});

describe('notifications and results', () => {
  it('checks spinlens/event params', () => {
    expect(EVENT_NOTIFICATION).toBe('spinlens/event');
    const event = fixtures.ok[0];
    expect(isEventNotification({ uri: 'file:///w/flow.py', event })).toBe(true);
    expect(isEventNotification({ event })).toBe(false);
    expect(isEventNotification({ uri: 'file:///w/flow.py', event: { event: 'nope' } })).toBe(false);
  });

  it('checks spin results', () => {
    expect(isSpinResult({ spinId: 'a', status: 'ok' })).toBe(true);
    expect(isSpinResult({ spinId: 'a', status: 'failed', error: 'boom' })).toBe(true);
    expect(isSpinResult({ spinId: 1, status: 'ok' })).toBe(false);
    expect(isSpinResult(null)).toBe(false);
  });

  it('keeps only well-formed runs', () => {
    const runs = parseRuns([
      { runId: '12', status: 'ok', created: 1_700_000_000 },
      { runId: '11', status: 'failed', created: 1_699_000_000 },
      { runId: '13', status: 'running', created: 1_700_000_100 },
      { runId: 10, status: 'ok', created: 1 },
      { runId: '9', status: 'meh', created: 1 },
      'junk',
    ]);
    expect(runs.map((r) => r.runId)).toEqual(['12', '11', '13']);
    expect(parseRuns({ runs: [] })).toEqual([]);
  });

  it('names the commands of docs/protocol.md', () => {
    expect(Object.values(ServerCommand)).toEqual(
      expect.arrayContaining([
        'spinlens.server.spin',
        'spinlens.server.cancel',
        'spinlens.server.listRuns',
        'spinlens.server.setSourceRun',
        'spinlens.server.restartKernel',
      ]),
    );
    expect(ClientCommand.spinStep).toBe('spinlens.spinStep');
    expect(COMPARISONS).toEqual(['inputs', 'source', 'previous']);
  });
});

describe('docs/protocol.md', () => {
  it('names no command the mirror lacks', async () => {
    const { readFileSync } = await import('node:fs');
    const { repoFile } = await import('./fixtures');
    const doc = readFileSync(repoFile('docs/protocol.md'), 'utf8');
    const serverCommands = new Set(doc.match(/spinlens\.server\.[A-Za-z]+/g));
    expect(serverCommands.size).toBeGreaterThanOrEqual(5);
    for (const name of serverCommands) expect(Object.values(ServerCommand)).toContain(name);
    const clientCommands = new Set(doc.match(/`(spinlens\.[a-z][A-Za-z]+)`/g)?.map((m) => m.slice(1, -1)));
    for (const name of clientCommands) {
      if (name.startsWith('spinlens.server.') || /^spinlens\.(python|defaultSourceRun|historySize|diffRows|memoryLimitMB)$/.test(name)) continue;
      expect(Object.values(ClientCommand)).toContain(name);
    }
    expect(doc).toContain(EVENT_NOTIFICATION);
  });
});
