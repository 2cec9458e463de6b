import { beforeEach, describe, expect, it } from 'vitest';
import type * as vscode from 'vscode';
import {
  CANCEL_AND_RESTART,
  QUEUE,
  cancelRecord,
  registerCommands,
  runPickItems,
  stepPickItems,
} from '../../extension/src/commands';
import { ChildValues, childValue, taskPickItems } from '../../extension/src/children';
import { ResultsPanel } from '../../extension/src/panel';
import { ClientCommand, type ServerCommandType, type SpinEvent, type StepInfo, normalizeEvent } from '../../extension/src/protocol';
import { changedParameters, missingRequired, parameterItems } from '../../extension/src/runFlow';
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
  /** Notification handlers the extension registered on the client (spinlens/runLog). */
  notifications = new Map<string, (params: unknown) => void>();
  private readonly client = {
    onNotification: (method: string, handler: (params: unknown) => void) => {
      this.notifications.set(method, handler);
      return { dispose: () => this.notifications.delete(method) };
    },
  };
  ready(): Promise<unknown> {
    return Promise.resolve(this.client);
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

describe('foreach children and flow Parameters', () => {
  const listed = {
    runId: '12',
    tasks: [
      { taskId: '4', index: 0, var: 'alphas', value: '0.1' },
      { taskId: '5', index: 1, var: 'alphas', value: '0.01' },
      { taskId: '9', index: null, var: null, value: null },
    ],
    chosen: 1,
    truncated: false,
  };

  it('lists a step\'s children by split value and index, marking the current one', () => {
    expect(taskPickItems(listed).map((i) => [i.label, i.description, i.index])).toEqual([
      ['alphas=0.1 (index 0)', 'task 4', 0],
      ['alphas=0.01 (index 1)', 'task 5 · current', 1],
    ]);
    expect(childValue({ taskId: '1', index: 3, var: null, value: "'a'" })).toBe("'a'");
  });

  it("remembers the values it saw, for the header of the spin of that child", () => {
    const values = new ChildValues();
    values.remember(URI, 'tune', listed);
    const store = new SpinStore();
    const record = store.begin(URI, 'tune');
    expect(values.of(record)).toBeUndefined(); // not started yet
    const started = fixtures.ok.find((e) => e.event === 'started') as unknown as SpinEvent & { source: object };
    const at = (index: number, run = '12'): SpinEvent =>
      normalizeEvent({ ...started, step: 'tune', source: { ...started.source, run_id: run, index } } as SpinEvent);
    store.route(URI, at(1), record.requestId);
    expect(values.of(record)).toBe('alphas=0.01');
    const elsewhere = store.begin(URI, 'tune');
    store.route(URI, at(1, '13'), elsewhere.requestId); // another run: its values are unknown
    expect(values.of(elsewhere)).toBeUndefined();
  });

  it('sends only the Parameters the user changed, and wants the required ones', () => {
    const specs = [
      { name: 'rows', default: '1000000', help: 'rows of data', required: false },
      { name: 'seed', default: null, help: null, required: true },
    ];
    const values = new Map([['rows', '1000000']]);
    expect(parameterItems(specs, values).map((i) => i.label)).toEqual([
      '$(play) Run with these values',
      'rows = 1000000',
      'seed = (required)',
    ]);
    expect(missingRequired(specs, values).map((s) => s.name)).toEqual(['seed']);
    values.set('seed', '7');
    expect(missingRequired(specs, values)).toEqual([]);
    expect(changedParameters(specs, values)).toEqual({ seed: '7' });
    values.set('rows', '20000');
    expect(changedParameters(specs, values)).toEqual({ rows: '20000', seed: '7' });
  });
});

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

  it('registers the lens and palette commands (the views and the viewer register their own)', () => {
    const registered = [...mock.commands.keys()];
    const known: readonly string[] = Object.values(ClientCommand);
    for (const name of registered) expect(known).toContain(name);
    expect(registered.sort()).toEqual(
      [
        ClientCommand.spinStep,
        ClientCommand.debugStep,
        ClientCommand.chooseSourceRun,
        ClientCommand.cancelSpin,
        ClientCommand.restartKernel,
        ClientCommand.showResults,
        ClientCommand.runFlow,
        ClientCommand.chooseTask,
      ].sort(),
    );
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

  it('asks, while a spin of the file runs, whether to queue the new one: Queue keeps the first', async () => {
    const first = t.store.begin(URI, 'train');
    t.panel.show(first);
    t.server.answers['spinlens.server.spin'] = () => ({ spinId: 'b', status: 'ok' });
    mock.messageAnswer = QUEUE;
    await t.run(ClientCommand.spinStep, URI, 'tune');
    expect(mock.messages[0]?.level).toBe('warning');
    expect(mock.messages[0]?.items.filter((i) => typeof i === 'string')).toEqual([QUEUE, CANCEL_AND_RESTART]);
    expect(mock.messages[0]?.text).toBe('Spinlens: train is still spinning.');
    expect(t.server.calls.map((c) => c.command)).toEqual(['spinlens.server.spin']);
    expect(first.state).toBe('pending');
    expect(t.panel.record).toBe(first); // its view is kept
  });

  it('Cancel and restart cancels the running spin by its requestId, then spins', async () => {
    const first = t.store.begin(URI, 'train');
    t.panel.show(first);
    t.server.answers['spinlens.server.cancel'] = () => ({ cancelled: true });
    t.server.answers['spinlens.server.spin'] = () => ({ spinId: 'b', status: 'ok' });
    mock.messageAnswer = CANCEL_AND_RESTART;
    await t.run(ClientCommand.spinStep, URI, 'tune');
    expect(t.server.calls).toEqual([
      { command: 'spinlens.server.cancel', args: { uri: URI, requestId: first.requestId } },
      { command: 'spinlens.server.spin', args: { uri: URI, step: 'tune', requestId: t.store.latest(URI)?.requestId } },
    ]);
    expect(t.panel.record?.step).toBe('tune');
  });

  it('neither choice: no spin', async () => {
    t.store.begin(URI, 'train');
    await t.run(ClientCommand.spinStep, URI, 'tune');
    expect(t.server.calls).toEqual([]);
    expect(t.store.latest(URI)?.step).toBe('train');
  });

  it('offers to run a flow that has no successful run, then spins again', async () => {
    let runs = 0;
    t.server.answers['spinlens.server.spin'] = (args) => {
      const { requestId } = args as { requestId: string };
      const failed = {
        event: 'failed', spin_id: `s${runs}`, status: 'failed', kind: 'setup', code: 'no-successful-run',
        error: 'Flow F has no successful run to take inputs from.', traceback: null, file: null, line: null, timings: {},
      };
      if (runs === 0) {
        t.store.route(URI, normalizeEvent(failed as SpinEvent), requestId);
        return { spinId: 's0', status: 'failed', error: failed.error };
      }
      return { spinId: 's1', status: 'ok' };
    };
    t.server.answers['spinlens.server.flowParameters'] = () => ({ flow: 'F', parameters: [] });
    t.server.answers['spinlens.server.runFlow'] = (args) => {
      const { requestId } = args as { requestId: string };
      t.server.notifications.get('spinlens/runLog')?.({ uri: URI, requestId, stream: 'stdout', text: 'Workflow starting\n' });
      runs++;
      return { status: 'ok', runId: '7' };
    };
    mock.messageAnswer = 'Run the flow';
    const channels: ReturnType<typeof window.createOutputChannel>[] = [];
    const create = window.createOutputChannel;
    window.createOutputChannel = (name: string) => {
      const channel = create(name);
      channels.push(channel);
      return channel;
    };
    try {
      await t.run(ClientCommand.spinStep, URI, 'train', 'F');
    } finally {
      window.createOutputChannel = create;
    }
    expect(mock.messages[0]?.text).toBe('Spinlens: F has no successful run yet, so train has no inputs to spin from.');
    expect(mock.messages[0]?.items.filter((i) => typeof i === 'string')).toEqual(['Run the flow']);
    expect(t.server.calls.map((c) => c.command)).toEqual([
      'spinlens.server.spin',
      'spinlens.server.flowParameters',
      'spinlens.server.runFlow',
      'spinlens.server.spin',
    ]);
    expect(t.server.calls[2]?.args).toMatchObject({ uri: URI, flow: 'F', parameters: {} });
    expect(t.store.latest(URI, 'train')?.state).toBe('ok');
    expect(mock.messages.filter((m) => m.level === 'error')).toEqual([]);
    expect(channels.find((c) => c.name === 'Spinlens: flow runs')?.lines).toContain('Workflow starting\n');
  });

  it('picks a foreach child from listTasks, tells the server, and spins that index', async () => {
    t.server.answers['spinlens.server.listTasks'] = () => ({
      runId: '12',
      tasks: [
        { taskId: '4', index: 0, var: 'alphas', value: '0.1' },
        { taskId: '5', index: 1, var: 'alphas', value: '0.01' },
        { taskId: '6', index: 2, var: 'alphas', value: '0.001' },
      ],
      chosen: null,
      truncated: false,
    });
    t.server.answers['spinlens.server.setTask'] = (args) => ({ index: (args as { index: number }).index });
    t.server.answers['spinlens.server.spin'] = () => ({ spinId: 'c', status: 'ok' });
    mock.quickPickAnswer = (items: unknown[]) => items[2];
    await t.run(ClientCommand.chooseTask, URI, 'tune', 'F');
    const labels = (mock.quickPicks[0]?.items as { label: string }[]).map((i) => i.label);
    expect(labels).toEqual(['alphas=0.1 (index 0)', 'alphas=0.01 (index 1)', 'alphas=0.001 (index 2)']);
    expect(t.server.calls).toEqual([
      { command: 'spinlens.server.listTasks', args: { uri: URI, step: 'tune', flow: 'F' } },
      { command: 'spinlens.server.setTask', args: { uri: URI, step: 'tune', flow: 'F', index: 2 } },
      {
        command: 'spinlens.server.spin',
        args: { uri: URI, step: 'tune', flow: 'F', index: 2, requestId: t.store.latest(URI)?.requestId },
      },
    ]);
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
    // The palette's Cancel: the spin shown if it runs, else the newest running one; that one only.
    expect(t.server.calls.at(-1)).toEqual({ command: 'spinlens.server.cancel', args: { uri: URI, requestId: record.requestId } });
    const shown = t.store.begin(URI, 'tune');
    t.panel.show(record);
    await t.run(ClientCommand.cancelSpin);
    expect(t.server.calls.at(-1)?.args).toEqual({ uri: URI, requestId: record.requestId });
    t.panel.show(shown);
    await t.run(ClientCommand.cancelSpin);
    expect(t.server.calls.at(-1)?.args).toEqual({ uri: URI, requestId: shown.requestId });
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
