import { beforeEach, describe, expect, it } from 'vitest';
import type * as vscode from 'vscode';
import { registerCommands, runPickItems, stepPickItems } from '../../extension/src/commands';
import { ResultsPanel } from '../../extension/src/panel';
import { ClientCommand, type ServerCommandName, type SpinEvent, normalizeEvent } from '../../extension/src/protocol';
import type { SpinlensServer } from '../../extension/src/server';
import { SpinStore } from '../../extension/src/spins';
import { loadFixtures } from './fixtures';
import { Uri, mock, window } from './mocks/vscode';

const fixtures = loadFixtures();
const URI = 'file:///work/project/flow.py';
const FLOW = `class F(FlowSpec):
    @step
    def start(self):
        self.next(self.train)

    @step
    def train(self):
        self.x = 1
        self.next(self.end)

    @step
    def end(self):
        pass
`;

type Call = { command: ServerCommandName; args: unknown };

class FakeServer {
  calls: Call[] = [];
  debugAvailable = false;
  /** Answers per command; a function may route events first. */
  answers: Partial<Record<ServerCommandName, (args: unknown) => unknown>> = {};
  ready(): Promise<unknown> {
    return Promise.resolve({});
  }
  hasCommand(name: string): boolean {
    return this.debugAvailable && name === 'spinlens.server.debug';
  }
  execute(command: ServerCommandName, args: unknown): Promise<unknown> {
    this.calls.push({ command, args });
    const answer = this.answers[command];
    try {
      return Promise.resolve(answer ? answer(args) : undefined);
    } catch (error) {
      return Promise.reject(error);
    }
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
  const emit = (stream: keyof typeof fixtures) => () => {
    for (const e of fixtures[stream]) store.route(URI, normalizeEvent(e as unknown as SpinEvent));
    const last = fixtures[stream].at(-1);
    return { spinId: last?.spin_id, status: last?.event === 'finished' ? 'ok' : 'failed' };
  };
  return { store, server, panel, run, emit };
}

function editor(line: number, text = FLOW) {
  return {
    document: { languageId: 'python', uri: Uri.parse(URI), getText: () => text },
    selection: { active: { line } },
  };
}

describe('pick lists', () => {
  it('lists the steps with the one at the cursor first', () => {
    const items = stepPickItems(FLOW, 7);
    expect(items.map((i) => i.label)).toEqual(['train', 'start', 'end']);
    expect(items[0]?.description).toBe('at the cursor');
  });

  it('adds the last result of each step', () => {
    const store = new SpinStore();
    const record = store.begin(URI, 'end');
    store.complete(record, { spinId: 'x', status: 'ok' });
    const items = stepPickItems(FLOW, 0, store, URI);
    expect(items.find((i) => i.label === 'end')?.description).toMatch(/^spun \d+ s ago: 0 changed$/);
  });

  it('lists runs with "Latest successful run" first, then status and age', () => {
    const now = 1_700_000_000_000;
    const items = runPickItems(
      [
        { runId: '13', status: 'running', created: now / 1000 - 30 },
        { runId: '12', status: 'ok', created: now / 1000 - 3600 },
        { runId: '11', status: 'failed', created: now / 1000 - 2 * 86400 },
      ],
      '12',
      now,
    );
    expect(items.map((i) => i.runId)).toEqual([null, '13', '12', '11']);
    expect(items[0]).toMatchObject({ label: '$(history) Latest successful run', description: 'now 12' });
    expect(items[1]).toMatchObject({ label: '$(sync) 13', description: 'running · 30 s ago' });
    expect(items[2]).toMatchObject({ label: '$(pass) 12', description: 'ok · 1 h ago', detail: 'current' });
    expect(items[3]).toMatchObject({ label: '$(error) 11', description: 'failed · 2 d ago' });
    expect(runPickItems([], undefined)[0]?.description).toBe('no successful run yet');
    const withDefault = runPickItems([], undefined, now, '7');
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

  it('spins the step a lens names, with {uri, step}, and shows the results', async () => {
    t.server.answers['spinlens.server.spin'] = t.emit('ok');
    await t.run(ClientCommand.spinStep, URI, 'train');
    expect(t.server.calls).toEqual([{ command: 'spinlens.server.spin', args: { uri: URI, step: 'train' } }]);
    const record = t.store.latest(URI, 'train');
    expect(record?.state).toBe('ok');
    expect(t.panel.record).toBe(record);
    expect(mock.panels).toHaveLength(1);
    expect(mock.messages).toEqual([]);
  });

  it('spins from the palette: the step at the cursor is offered first', async () => {
    mock.activeTextEditor = editor(7);
    mock.quickPickAnswer = (items: { label: string }[]) => items[0];
    t.server.answers['spinlens.server.spin'] = t.emit('ok');
    await t.run(ClientCommand.spinStep);
    expect(t.server.calls[0]?.args).toEqual({ uri: URI, step: 'train' });
  });

  it('does nothing when the pick is dismissed or no flow is open', async () => {
    mock.activeTextEditor = editor(0);
    await t.run(ClientCommand.spinStep);
    mock.activeTextEditor = undefined;
    await t.run(ClientCommand.spinStep);
    await t.run(ClientCommand.spinStep, URI, 'not a step; rm -rf /');
    expect(t.server.calls).toEqual([]);
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
    expect(t.server.calls[0]?.args).toEqual({ uri: URI, step: 'train', flow: 'TrainingFlow' });
    await t.run(ClientCommand.spinStep, URI, 'train', 'not a flow!');
    expect(t.server.calls[1]?.args).toEqual({ uri: URI, step: 'train' });
  });

  it('debug: runs spinlens.server.debug, or says the server cannot debug', async () => {
    await t.run(ClientCommand.debugStep, URI, 'train');
    expect(mock.messages[0]?.text).toContain('cannot debug');
    expect(t.server.calls).toEqual([]);
    t.server.debugAvailable = true;
    t.server.answers['spinlens.server.debug'] = () => ({ spinId: 'd', status: 'ok' });
    await t.run(ClientCommand.debugStep, URI, 'train');
    expect(t.server.calls).toEqual([{ command: 'spinlens.server.debug', args: { uri: URI, step: 'train' } }]);
  });

  it('chooses the source run from listRuns and stores it with setSourceRun', async () => {
    mock.activeTextEditor = editor(0);
    t.server.answers['spinlens.server.listRuns'] = () => [
      { runId: '12', status: 'ok', created: Date.now() / 1000 - 60 },
      { runId: '11', status: 'failed', created: Date.now() / 1000 - 120 },
    ];
    t.server.answers['spinlens.server.setSourceRun'] = (args) => ({ runId: (args as { runId: string }).runId });
    mock.quickPickAnswer = (items: unknown[]) => items[2];
    await t.run(ClientCommand.chooseSourceRun);
    expect(t.server.calls).toEqual([
      { command: 'spinlens.server.listRuns', args: { uri: URI } },
      { command: 'spinlens.server.setSourceRun', args: { uri: URI, runId: '11' } },
    ]);
    expect(mock.messages.at(-1)?.text).toBe('Spinlens: spins of this flow use run 11.');
    mock.quickPickAnswer = (items: unknown[]) => items[0];
    await t.run(ClientCommand.chooseSourceRun);
    expect(t.server.calls.at(-1)?.args).toEqual({ uri: URI, runId: null });
    const items = mock.quickPicks.at(-1)?.items as { detail?: string }[];
    expect(items[2]?.detail).toBe('current');
  });

  it('cancel, restart kernel and show results', async () => {
    await t.run(ClientCommand.cancelSpin);
    expect(mock.messages.at(-1)?.text).toBe('Spinlens: no spin is running.');
    const record = t.store.begin(URI, 'train');
    await t.run(ClientCommand.cancelSpin);
    expect(t.server.calls.at(-1)).toEqual({ command: 'spinlens.server.cancel', args: { uri: URI } });

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
