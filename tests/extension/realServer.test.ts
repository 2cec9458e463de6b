/**
 * The client's view of the real language server: `<python> -m spinlens.cli lsp`
 * (the repository's .venv, or SPINLENS_LSP_PYTHON) on a flow that this test runs
 * once with Metaflow in a temporary folder (its own datastore there).
 *
 * Speaks JSON-RPC exactly as vscode-languageclient does (same library) and checks
 * that what comes back satisfies protocol.ts: the commands the server
 * advertises, lens commands and arguments, listSteps, every `spinlens/event`
 * (matched to its request by requestId), the spin result, listRuns.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
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
  type EventNotificationParams,
  EventNotification,
  SERVER_LAUNCH_ARGS,
  ServerCommand,
  type ServerCommandType,
} from '../../extension/src/protocol';
import { SpinStore, changedCount, userArtifacts } from '../../extension/src/spins';
import { backendPython, repoFile } from './fixtures';
import { load } from './panelHarness';

const FLOW = 'real_flow.py';
const STEPS = ['start', 'work', 'end'];

describe('the real Spinlens language server', () => {
  let folder: string;
  let server: ChildProcess;
  let connection: MessageConnection;
  let uri: string;
  let text: string;
  let advertised: unknown;
  const raw: unknown[] = [];

  /** A server command sent as the extension sends it, its result parsed as the extension parses it. */
  async function execute<A, R>(command: ServerCommandType<A, R>, args: A): Promise<{ raw: unknown; parsed: R | undefined }> {
    const result: unknown = await connection.sendRequest('workspace/executeCommand', {
      command: command.name,
      arguments: command.arguments(args),
    });
    return { raw: result, parsed: command.parse(result) };
  }

  beforeAll(async () => {
    const python = backendPython();
    folder = mkdtempSync(path.join(os.tmpdir(), 'spinlens-real-server-'));
    copyFileSync(repoFile(`tests/extension/fixtures/${FLOW}`), path.join(folder, FLOW));
    // Metaflow's local datastore goes to <folder>/.metaflow; the client cache too stays here.
    const env: NodeJS.ProcessEnv = { ...process.env, METAFLOW_USER: 'spinlens-tests', METAFLOW_CLIENT_CACHE_PATH: path.join(folder, 'cache') };
    delete env.METAFLOW_DATASTORE_SYSROOT_LOCAL;
    const started = Date.now();
    execFileSync(python, [FLOW, 'run'], { cwd: folder, env, stdio: 'pipe', timeout: 120_000 });
    console.log(`ran ${FLOW} with Metaflow in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    server = spawn(python, [...SERVER_LAUNCH_ARGS], { cwd: folder, env, stdio: ['pipe', 'pipe', 'inherit'] });
    if (!server.stdout || !server.stdin) throw new Error('no stdio');
    connection = createMessageConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
    connection.onNotification(EventNotification.method, (params: unknown) => raw.push(params));
    connection.onRequest('window/workDoneProgress/create', () => null);
    connection.onRequest('workspace/codeLens/refresh', () => null);
    connection.onRequest('workspace/configuration', () => [null]);
    connection.listen();
    const init: { capabilities: { executeCommandProvider?: { commands?: unknown } } } = await connection.sendRequest(
      'initialize',
      {
        processId: process.pid,
        rootUri: pathToFileURL(folder).toString(),
        capabilities: { window: { workDoneProgress: true }, workspace: { codeLens: { refreshSupport: true } } },
        initializationOptions: { defaultSourceRun: null, historySize: 3, diffRows: 20, memoryLimitMB: 0 },
      },
    );
    advertised = init.capabilities.executeCommandProvider?.commands;
    await connection.sendNotification('initialized', {});
    uri = pathToFileURL(path.join(folder, FLOW)).toString();
    text = readFileSync(path.join(folder, FLOW), 'utf8');
    await connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text },
    });
  }, 120_000);

  afterAll(async () => {
    await connection?.sendRequest('shutdown').catch(() => undefined);
    await connection?.sendNotification('exit').catch(() => undefined);
    connection?.dispose();
    server?.kill();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('advertises exactly the commands protocol.ts has', () => {
    const mirrored = Object.values(ServerCommand).map((c) => c.name);
    expect([...(advertised as string[])].sort()).toEqual([...mirrored].sort());
  });

  it('gives lenses that call our client commands with [uri, step, flow]', async () => {
    const lenses = (await connection.sendRequest('textDocument/codeLens', { textDocument: { uri } })) as {
      command?: { command: string; arguments?: unknown[] };
    }[];
    const commands = lenses.map((l) => l.command?.command);
    expect(commands).toContain(ClientCommand.spinStep);
    expect(commands).toContain(ClientCommand.debugStep);
    const work = lenses.find((l) => l.command?.command === ClientCommand.spinStep && l.command.arguments?.[1] === 'work');
    expect(work?.command?.arguments).toEqual([uri, 'work', 'RealFlow']);
  });

  it("lists the document's steps for the palette", async () => {
    const { raw: result, parsed } = await execute(ServerCommand.listSteps, { uri });
    expect(parsed, JSON.stringify(result)).toBeDefined();
    expect(parsed?.error).toBeNull();
    expect(parsed?.steps.map((s) => [s.flow, s.name])).toEqual(STEPS.map((name) => ['RealFlow', name]));
    const lines = text.split('\n');
    for (const step of parsed?.steps ?? []) {
      expect(lines[step.line]?.trim()).toBe('@step');
      expect(lines[step.defLine]).toContain(`def ${step.name}(`);
    }
  });

  it('streams events that satisfy protocol.ts, matched by requestId, and ends with a spin result', async () => {
    // The unsaved buffer is what runs: every artifact of `work` changes.
    await connection.sendNotification('textDocument/didChange', {
      textDocument: { uri, version: 2 },
      contentChanges: [{ text: text.replace('SCALE = 2', 'SCALE = 3') }],
    });
    const store = new SpinStore();
    const record = store.begin(uri, 'work');
    raw.length = 0;
    const { raw: result, parsed } = await execute(ServerCommand.spin, {
      uri,
      step: 'work',
      flow: 'RealFlow',
      requestId: record.requestId,
    });
    expect(parsed, JSON.stringify(result)).toEqual({ spinId: expect.any(String), status: 'ok' });
    const notifications: EventNotificationParams[] = [];
    for (const n of raw) {
      const params = EventNotification.parse(n);
      expect(params, JSON.stringify(n).slice(0, 300)).toBeDefined();
      if (params) notifications.push(params);
    }
    expect(notifications.every((n) => n.requestId === record.requestId && n.uri === uri)).toBe(true);
    for (const n of notifications) expect(store.route(n.uri, n.event, n.requestId)).toBe(record);
    store.complete(record, parsed);
    expect(record.spinId).toBe(parsed?.spinId);
    expect(record.events[0]?.event).toMatch(/progress|started/);
    expect(record.state).toBe('ok');
    expect(userArtifacts(record).map((a) => a.name).sort()).toEqual(['metrics', 'note', 'numbers', 'scaled', 'weights']);
    expect(changedCount(record)).toBe(4); // all but the pass-through `numbers`

    // The panel shows the real stream: every artifact, each one expandable in each comparison.
    const h = load();
    h.send({ type: 'spin', uri, step: 'work' });
    for (const event of record.events) h.send({ type: 'event', event });
    expect(h.q('status').dataset.status).toBe('ok');
    const shown = (testid: string): (string | undefined)[] =>
      h.all('artifact-row', h.q(testid, h.q('artifacts'))).map((r) => r.dataset.name);
    // Changed and new first, then unchanged, each A-Z (whatever order the events came in).
    expect(shown('artifact-rows')).toEqual(['metrics', 'note', 'scaled', 'weights', 'numbers']);
    expect([...shown('internal-rows')].sort()).toEqual(
      record.artifacts.filter((a) => a.internal).map((a) => a.name).sort(),
    );
    for (const comparison of ['source', 'inputs', 'previous']) {
      h.setComparison(comparison);
      for (const row of h.all('artifact-row')) row.click();
      expect(h.doc.querySelectorAll('.diff-error').length).toBe(0);
      for (const row of h.all('artifact-row')) row.click();
    }
  }, 60_000);

  it('lists runs in the shape the run picker expects, with the choice the server keeps', async () => {
    const first = await execute(ServerCommand.listRuns, { uri });
    expect(first.parsed, JSON.stringify(first.raw)).toBeDefined();
    expect(first.parsed?.runs).toHaveLength((first.raw as { runs: unknown[] }).runs.length);
    expect(first.parsed?.runs.map((r) => r.status)).toEqual(['ok']);
    expect(first.parsed?.chosen).toBeNull();
    const runId = first.parsed?.runs[0]?.runId ?? '';
    expect((await execute(ServerCommand.setSourceRun, { uri, runId })).parsed).toEqual({ runId });
    expect((await execute(ServerCommand.listRuns, { uri })).parsed?.chosen).toBe(runId);
  }, 60_000);
});
