/**
 * The client's view of the real language server (opt-in: it starts
 * `<python> -m spinlens.cli lsp` and spins the example flow, which needs a run
 * of it in examples/.metaflow, e.g. from `make demo`):
 *
 *   SPINLENS_LSP_PYTHON=.venv/bin/python npm test
 *
 * Speaks JSON-RPC exactly as vscode-languageclient does (same library) and checks
 * that what comes back satisfies protocol.ts: lens commands and arguments, every
 * `spinlens/event`, the spin result, listRuns.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type MessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  createMessageConnection,
} from 'vscode-jsonrpc/node';
import {
  ClientCommand,
  EVENT_NOTIFICATION,
  SERVER_LAUNCH_ARGS,
  ServerCommand,
  isEventNotification,
  isSpinResult,
  parseRuns,
} from '../../extension/src/protocol';
import { SpinStore, changedCount, userArtifacts } from '../../extension/src/spins';
import { repoFile } from './fixtures';
import { load } from './panelHarness';

const PYTHON = process.env.SPINLENS_LSP_PYTHON;
const FLOW_FILE = repoFile('examples/training_flow.py');
const enabled = PYTHON !== undefined && existsSync(repoFile('examples/.metaflow'));

describe.skipIf(!enabled)('the real Spinlens language server', () => {
  let server: ChildProcess;
  let connection: MessageConnection;
  const uri = pathToFileURL(FLOW_FILE).toString();
  const notifications: unknown[] = [];

  beforeAll(async () => {
    server = spawn(path.resolve(PYTHON ?? 'python3'), [...SERVER_LAUNCH_ARGS], {
      cwd: repoFile('examples'),
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    if (!server.stdout || !server.stdin) throw new Error('no stdio');
    connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    connection.onNotification(EVENT_NOTIFICATION, (params: unknown) => notifications.push(params));
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('workspace/codeLens/refresh', () => null);
    connection.onRequest('workspace/configuration', () => [null]);
    connection.listen();
    await connection.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(repoFile('examples')).toString(),
      capabilities: { window: { workDoneProgress: true }, workspace: { codeLens: { refreshSupport: true } } },
      initializationOptions: { defaultSourceRun: null, historySize: 3, diffRows: 20 },
    });
    await connection.sendNotification('initialized', {});
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: readFileSync(FLOW_FILE, 'utf8') },
    });
  }, 60_000);

  afterAll(async () => {
    await connection?.sendRequest('shutdown').catch(() => undefined);
    await connection?.sendNotification('exit').catch(() => undefined);
    connection?.dispose();
    server?.kill();
  });

  it('gives lenses that call our client commands with [uri, step, flow]', async () => {
    const lenses = (await connection.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as {
      command?: { command: string; arguments?: unknown[] };
    }[];
    const commands = lenses.map((l) => l.command?.command);
    expect(commands).toContain(ClientCommand.spinStep);
    expect(commands).toContain(ClientCommand.debugStep);
    const train = lenses.find((l) => l.command?.command === ClientCommand.spinStep && l.command.arguments?.[1] === 'train');
    expect(train?.command?.arguments?.[0]).toBe(uri);
    expect(train?.command?.arguments?.[2]).toBe('TrainingFlow');
  });

  it('streams events that satisfy protocol.ts and ends with a spin result', async () => {
    const store = new SpinStore();
    const record = store.begin(uri, 'train');
    notifications.length = 0;
    const result: unknown = await connection.sendRequest('workspace/executeCommand', {
      command: ServerCommand.spin,
      arguments: [{ uri, step: 'train', flow: 'TrainingFlow' }],
    });
    expect(isSpinResult(result)).toBe(true);
    for (const n of notifications) {
      expect(isEventNotification(n), JSON.stringify(n).slice(0, 300)).toBe(true);
      if (isEventNotification(n)) store.route(n.uri, n.event);
    }
    store.complete(record, isSpinResult(result) ? result : undefined);
    expect(record.events[0]?.event).toMatch(/progress|started/);
    expect(record.state).toBe('ok');
    expect(record.artifacts.map((a) => a.name)).toEqual(expect.arrayContaining(['coef', 'metrics', 'train_s']));
    expect(changedCount(record)).toBeGreaterThan(0);

    // The panel shows the real stream: every artifact, each one expandable in each comparison.
    const h = load();
    h.send({ type: 'spin', uri, step: 'train' });
    for (const event of record.events) h.send({ type: 'event', event });
    expect(h.q('status').dataset.status).toBe('ok');
    const shown = (testid: string): (string | undefined)[] =>
      h.all('artifact-row', h.q(testid, h.q('artifacts'))).map((r) => r.dataset.name);
    expect(shown('artifact-rows')).toEqual(userArtifacts(record).map((a) => a.name));
    expect(shown('internal-rows')).toEqual(record.artifacts.filter((a) => a.internal).map((a) => a.name));
    for (const comparison of ['source', 'inputs', 'previous']) {
      h.setComparison(comparison);
      for (const row of h.all('artifact-row')) row.click();
      expect(h.doc.querySelectorAll('.diff-error').length).toBe(0);
      for (const row of h.all('artifact-row')) row.click();
    }
  }, 180_000);

  it('lists runs in the shape the run picker expects', async () => {
    const raw: unknown = await connection.sendRequest('workspace/executeCommand', {
      command: ServerCommand.listRuns,
      arguments: [{ uri }],
    });
    const runs = parseRuns(raw);
    expect(Array.isArray(raw)).toBe(true);
    expect(runs).toHaveLength((raw as unknown[]).length);
    expect(runs.some((r) => r.status === 'ok')).toBe(true);
  }, 120_000);
});
