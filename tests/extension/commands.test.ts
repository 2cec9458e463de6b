import { beforeEach, describe, expect, it } from 'vitest';
import type * as vscode from 'vscode';
import { cancelRecord, registerCommands, runPickItems, stepPickItems } from '../../extension/src/commands';
import { ResultsPanel } from '../../extension/src/panel';
import { ClientCommand, type ServerCommandType, type SpinEvent, type StepInfo, normalizeEvent } from '../../extension/src/protocol';
import type { SpinlensServer } from '../../extension/src/server';
import { SpinStore } from '../../extension/src/spins';
import { loadFixtures } from './fixtures';
import { Uri, mock, window } from './mocks/vscode';

const fixtures = loadFixtures();
const URI = 'file:///work/project/flow.py';
// What spinlens.server.listSteps answers for a flow with start (lines 0-2), train (4-7), end (9-11).
const STEPS: StepInfo[] = [
  { flow: 'F', name: 'start', line: 0, defLine: 1, endLine: 2 },
  { flow: 'F', name: 'train', line: 4, defLine: 5, endLine: 7 },
  { flow: 'F', name: 'end', line: 9, defLine: 10, endLine: 11 },
];

type Call = { command: string; args: unknown };

class FakeServer {
  calls: Call[] = [];
  debugAvailable = false;
  /** Answers per command name; a function may route events first. */
  answers: Record<string, (args: unknown) => unknown> = {
    'spinlens.server.listSteps': () => ({ steps: STEPS, error: null }),
  };
  ready(): Promise<unknown> {
    return Promise.resolve({});
  }
  hasCommand(command: { name: string }): boolean {
    return this.debugAvailable && command.name === 'spinlens.server.debug';
  }
  /** As SpinlensServer.execute: the answer checked by the command's parser. */
  execute<A, R>(command: ServerCommandType<A, R>, args: A): Promise<R> {
    this.calls.push({ command: command.name, args });
    const answer = this.answers[command.name];
    try {
      const result = command.parse(answer ? answer(args) : undefined);
      return result === undefined ? Promise.reject(new Error(`unexpected answer to ${command.name}`)) : Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }
  /** The calls other than listSteps (the palette asks for the steps first). */
  get spins(): Call[] {
    return this.calls.filter((c) => c.command !== 'spinlens.server.listSteps');
  }
}

function setup() {
  mock.reset();
  mock.workspaceFolders = [{ uri: Uri.file('/work/project'), name: 'project', index: 0 }];
  const store = new SpinStore();
  const server = new FakeServer();
  const output = window.createOutputChannel('Spinlens') as unknown as vscode.OutputChannel;
  const panel = new ResultsPanel(Uri.file('/ext') as unknown as vscode.Uri, store, { cancel: () => undefined, diffRows: () => 20 }, output);
  registerCommands({ server: server as unknown as SpinlensServer, store, panel, output });
  const run = (name: string, ...args: unknown[]): Promise<unknown> => {
    const handler = mock.commands.get(name);
    if (!handler) throw new Error(`not registered: ${name}`);
    return Promise.resolve(handler(...args));
  };
  // The server's events for a spin request carry its requestId.
  const emit = (stream: keyof typeof fixtures) => (args: unknown) => {
    const { requestId } = args as { requestId: string };
    for (const e of fixtures[stream]) store.route(URI, normalizeEvent(e as unknown as SpinEvent), requestId);
    const last = fixtures[stream].at(-1);
    return { spinId: last?.spin_id, status: last?.event === 'finished' ? 'ok' : 'failed' };
  };
  return { store, server, panel, run, emit };
}

function editor(line: number) {
  return {
    document: { languageId: 'python', uri: Uri.parse(URI), getText: () => 'the server reads the text' },
    selection: { active: { line } },
  };
}

describe('pick lists', () => {
  it('lists the steps with the one at the cursor first', () => {
    const items = stepPickItems(STEPS, 7);
    expect(items.map((i) => i.label)).toEqual(['train', 'start', 'end']);
    expect(items[0]?.description).toBe('at the cursor');
  });

  it('names the flow of each step when the file has several', () => {
    const two = [...STEPS, { flow: 'G', name: 'start', line: 14, defLine: 15, endLine: 16 }];
    const items = stepPickItems(two, 15);
    expect(items.map((i) => [i.label, i.description])).toEqual([
      ['start', 'G · at the cursor'],
      ['start', 'F'],
      ['train', 'F'],
      ['end', 'F'],
    ]);
  });

  it('adds the last result of each step', () => {
    const store = new SpinStore();
    const record = store.begin(URI, 'end');
    store.complete(record, { spinId: 'x', status: 'ok' });
    const items = stepPickItems(STEPS, 0, store, URI);
    expect(items.find((i) => i.label === 'end')?.description).toMatch(/^spun \d+ s ago: 0 changed$/);
  });

  it('lists runs with "Latest successful run" first, then status and age', () => {
    const now = 1_700_000_000_000;
    const runs = [
      { runId: '13', status: 'running', created: now / 1000 - 30 },
      { runId: '12', status: 'ok', created: now / 1000 - 3600 },
      { runId: '11', status: 'failed', created: now / 1000 - 2 * 86400 },
    ] as const;
    const items = runPickItems({ runs: [...runs], chosen: '12', defaultRun: null }, now);
    expect(items.map((i) => i.runId)).toEqual([null, '13', '12', '11']);
    expect(items[0]).toMatchObject({ label: '$(history) Latest successful run', description: 'now 12' });
    expect(items[1]).toMatchObject({ label: '$(sync) 13', description: 'running · 30 s ago' });
    expect(items[2]).toMatchObject({ label: '$(pass) 12', description: 'ok · 1 h ago', detail: 'current' });
    expect(items[3]).toMatchObject({ label: '$(error) 11', description: 'failed · 2 d ago' });
    expect(items[0]?.detail).toBeUndefined();
    const none = runPickItems({ runs: [], chosen: null, defaultRun: null }, now);
    expect(none[0]).toMatchObject({ description: 'no successful run yet', detail: 'current' });
    const withDefault = runPickItems({ runs: [], chosen: null, defaultRun: '7' }, now);
    expect(withDefault[0]).toMatchObject({ label: '$(history) Default run', description: 'run 7 (spinlens.defaultSourceRun)', runId: null });
  });
});

describe('commands', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it('registers every command', () => {
    expect([...mock.commands.keys()].sort()).toEqual(Object.values(ClientCommand).sort());
  });

  it('spins the step a lens names, with {uri, step, requestId}, and shows the results', async () => {
    t.server.answers['spinlens.server.spin'] = t.emit('ok');
    await t.run(ClientCommand.spinStep, URI, 'train');
    const record = t.store.latest(URI, 'train');
    expect(t.server.calls).toEqual([
      { command: 'spinlens.server.spin', args: { uri: URI, step: 'train', requestId: record?.requestId } },
    ]);
    expect(record?.state).toBe('ok');
    expect(t.panel.record).toBe(record);
    expect(mock.panels).toHaveLength(1);
    expect(mock.messages).toEqual([]);
  });

  it("spins from the palette: the server's steps, the one at the cursor first", async () => {
    mock.activeTextEditor = editor(7);
    mock.quickPickAnswer = (items: { label: string }[]) => items[0];
    t.server.answers['spinlens.server.spin'] = t.emit('ok');
    await t.run(ClientCommand.spinStep);
    expect(t.server.calls[0]).toEqual({ command: 'spinlens.server.listSteps', args: { uri: URI } });
    expect((mock.quickPicks[0]?.items as { label: string }[]).map((i) => i.label)).toEqual(['train', 'start', 'end']);
    expect(t.server.calls[1]?.args).toMatchObject({ uri: URI, step: 'train', flow: 'F' });
  });

  it('says why a file has no steps to pick', async () => {
    mock.activeTextEditor = editor(0);
    t.server.answers['spinlens.server.listSteps'] = () => ({ steps: [], error: 'invalid syntax (flow.py, line 3)' });
    await t.run(ClientCommand.spinStep);
    expect(mock.messages.at(-1)?.text).toBe('Spinlens: no steps to spin: invalid syntax (flow.py, line 3).');
    expect(mock.quickPicks).toEqual([]);
    expect(t.server.spins).toEqual([]);
  });

  it('does nothing when the pick is dismissed or no flow is open', async () => {
    mock.activeTextEditor = editor(0);
    await t.run(ClientCommand.spinStep);
    mock.activeTextEditor = undefined;
    await t.run(ClientCommand.spinStep);
    await t.run(ClientCommand.spinStep, URI, 'not a step; rm -rf /');
    expect(t.server.spins).toEqual([]);
  });

  it('notifies a failure with Show Results', async () => {
    t.server.answers['spinlens.server.spin'] = t.emit('failed');
    mock.messageAnswer = 'Show Results';
    await t.run(ClientCommand.spinStep, URI, 'train');
    expect(mock.messages[0]).toMatchObject({ level: 'error', items: ['Show Results'] });
    expect(mock.messages[0]?.text).toBe('Spinlens: train failed: ValueError: bad <input>');
  });

  it('settles the spin when the server cannot run', async () => {
    t.server.answers['spinlens.server.spin'] = () => {
      throw new Error('The Spinlens server is not running (see the "Spinlens" output).');
    };
    await t.run(ClientCommand.spinStep, URI, 'train');
    const record = t.store.latest(URI, 'train');
    expect(record?.state).toBe('failed');
    expect(mock.messages[0]?.text).toContain('server is not running');
  });

  it('queues a second spin of the same file on the server instead of cancelling the first', async () => {
    const first = t.store.begin(URI, 'train');
    t.server.answers['spinlens.server.spin'] = () => ({ spinId: 'b', status: 'ok' });
    await t.run(ClientCommand.spinStep, URI, 'tune');
    expect(t.server.calls.map((c) => c.command)).toEqual(['spinlens.server.spin']);
    expect(first.state).toBe('pending');
  });

  it('passes the flow a lens names', async () => {
    t.server.answers['spinlens.server.spin'] = () => ({ spinId: 'b', status: 'ok' });
    await t.run(ClientCommand.spinStep, URI, 'train', 'TrainingFlow');
    expect(t.server.calls[0]?.args).toMatchObject({ uri: URI, step: 'train', flow: 'TrainingFlow' });
    await t.run(ClientCommand.spinStep, URI, 'train', 'not a flow!');
    expect(t.server.calls[1]?.args).not.toHaveProperty('flow');
  });

  it('gives each spin request its own requestId, and the result settles the spin', async () => {
    t.server.answers['spinlens.server.spin'] = () => ({ spinId: 'c', status: 'cancelled' });
    await t.run(ClientCommand.spinStep, URI, 'train');
    await t.run(ClientCommand.spinStep, URI, 'train');
    const ids = t.server.calls.map((c) => (c.args as { requestId: string }).requestId);
    expect(new Set(ids).size).toBe(2);
    expect(t.store.latest(URI, 'train')?.state).toBe('cancelled');
  });

  it('settles a spin whose result the server got wrong', async () => {
    t.server.answers['spinlens.server.spin'] = () => ({ spinId: 'x', status: 'exploded' });
    await t.run(ClientCommand.spinStep, URI, 'train');
    expect(t.store.latest(URI, 'train')?.state).toBe('failed');
  });

  it('debug: runs spinlens.server.debug, or says the server cannot debug', async () => {
    await t.run(ClientCommand.debugStep, URI, 'train');
    expect(mock.messages[0]?.text).toContain('cannot debug');
    expect(t.server.calls).toEqual([]);
    t.server.debugAvailable = true;
    t.server.answers['spinlens.server.debug'] = () => ({ spinId: 'd', status: 'ok' });
    await t.run(ClientCommand.debugStep, URI, 'train');
    expect(t.server.calls).toEqual([
      { command: 'spinlens.server.debug', args: { uri: URI, step: 'train', requestId: t.store.latest(URI)?.requestId } },
    ]);
  });

  it("chooses the source run from listRuns, stores it with setSourceRun, marks the server's choice", async () => {
    mock.activeTextEditor = editor(0);
    let chosen: string | null = null; // the server's state, not the client's
    t.server.answers['spinlens.server.listRuns'] = () => ({
      runs: [
        { runId: '12', status: 'ok', created: Date.now() / 1000 - 60 },
        { runId: '11', status: 'failed', created: Date.now() / 1000 - 120 },
      ],
      chosen,
      defaultRun: null,
    });
    t.server.answers['spinlens.server.setSourceRun'] = (args) => {
      chosen = (args as { runId: string | null }).runId;
      return { runId: chosen };
    };
    mock.quickPickAnswer = (items: unknown[]) => items[2];
    await t.run(ClientCommand.chooseSourceRun);
    expect((mock.quickPicks[0]?.items as { detail?: string }[]).map((i) => i.detail)).toEqual(['current', undefined, undefined]);
    expect(t.server.calls).toEqual([
      { command: 'spinlens.server.listRuns', args: { uri: URI } },
      { command: 'spinlens.server.setSourceRun', args: { uri: URI, runId: '11' } },
    ]);
    expect(mock.messages.at(-1)?.text).toBe('Spinlens: spins of this flow use run 11.');
    mock.quickPickAnswer = (items: unknown[]) => items[0];
    await t.run(ClientCommand.chooseSourceRun);
    expect(t.server.calls.at(-1)?.args).toEqual({ uri: URI, runId: null });
    const items = mock.quickPicks.at(-1)?.items as { detail?: string }[];
    expect(items.map((i) => i.detail)).toEqual([undefined, undefined, 'current']);
    expect(mock.messages.at(-1)?.text).toBe('Spinlens: spins of this flow use its latest successful run.');
  });

  it('cancel, restart kernel and show results', async () => {
    t.server.answers['spinlens.server.cancel'] = () => ({ cancelled: true });
    await t.run(ClientCommand.cancelSpin);
    expect(mock.messages.at(-1)?.text).toBe('Spinlens: no spin is running.');
    const record = t.store.begin(URI, 'train');
    await t.run(ClientCommand.cancelSpin);
    expect(t.server.calls.at(-1)).toEqual({ command: 'spinlens.server.cancel', args: { uri: URI } });
    // The panel's Cancel button (and a debug session's end): that spin only, by its request id.
    cancelRecord({ server: t.server as unknown as SpinlensServer }, record);
    expect(t.server.calls.at(-1)).toEqual({ command: 'spinlens.server.cancel', args: { uri: URI, requestId: record.requestId } });

    t.server.answers['spinlens.server.restartKernel'] = () => ({ restarted: true });
    await t.run(ClientCommand.restartKernel, URI);
    expect(t.server.calls.at(-1)).toEqual({ command: 'spinlens.server.restartKernel', args: { uri: URI } });
    expect(mock.messages.at(-1)?.text).toContain('kernel restarted');

    await t.run(ClientCommand.showResults, URI, 'train');
    expect(t.panel.record).toBe(record);
    await t.run(ClientCommand.showResults, URI, 'end');
    expect(mock.messages.at(-1)?.text).toBe('Spinlens: no spin of end in this session yet.');
  });
});
