/**
 * Activation end to end against a fake LanguageClient: the server command line,
 * the init options, events reaching the status bar, commands reaching the server.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as vscode from 'vscode';
import { SHOW_FLOW_GRAPH_COMMAND } from '../../extension/src/flowGraph';
import { CHOOSE_INTERPRETER_COMMAND } from '../../extension/src/interpreterPicker';
import { ClientCommand } from '../../extension/src/protocol';
import { SPIN_AT_CURSOR_COMMAND } from '../../extension/src/spinAtCursor';
import { UNTRUSTED_LENS } from '../../extension/src/trust';
import { loadFixtures, repoFile } from './fixtures';
import { EventEmitter, Uri, mock, workspace } from './mocks/vscode';

// Workspace Trust and CodeLens providers, which the shared mock does not model.
const trust = vi.hoisted(() => ({
  trusted: true,
  providers: [] as { selector: unknown; provider: { provideCodeLenses(doc: unknown): unknown[] } }[],
}));
vi.mock('vscode', async (importOriginal) => {
  const original = await importOriginal<typeof import('./mocks/vscode')>();
  return {
    ...original,
    languages: {
      registerCodeLensProvider: (selector: unknown, provider: { provideCodeLenses(doc: unknown): unknown[] }) => {
        const entry = { selector, provider };
        trust.providers.push(entry);
        return new original.Disposable(() => {
          trust.providers = trust.providers.filter((p) => p !== entry);
        });
      },
    },
  };
});
const granted = new EventEmitter<void>();
Object.defineProperty(workspace, 'isTrusted', { get: () => trust.trusted, configurable: true });
Object.assign(workspace, { onDidGrantWorkspaceTrust: granted.event });

interface FakeClient {
  id: string;
  serverOptions: { command: string; args: string[]; transport: number; options: { cwd?: string } };
  clientOptions: { initializationOptions: unknown; documentSelector: unknown; outputChannel: unknown };
  handlers: Map<string, (params: unknown) => void>;
  requests: { type: unknown; params: unknown; resolve: (value: unknown) => void }[];
  notifications: { type: unknown; params: unknown }[];
  disposed: boolean;
}

const clients: FakeClient[] = [];

vi.mock('vscode-languageclient/node', () => {
  const State = { Stopped: 1, Starting: 3, Running: 2 } as const;
  class LanguageClient {
    state: number = State.Stopped;
    handlers = new Map<string, (params: unknown) => void>();
    requests: { type: unknown; params: unknown; resolve: (value: unknown) => void }[] = [];
    notifications: { type: unknown; params: unknown }[] = [];
    disposed = false;
    initializeResult = { capabilities: { executeCommandProvider: { commands: ['spinlens.server.spin'] } } };
    constructor(
      readonly id: string,
      readonly name: string,
      readonly serverOptions: unknown,
      readonly clientOptions: unknown,
    ) {
      clients.push(this as unknown as FakeClient);
    }
    onNotification(method: string, handler: (params: unknown) => void) {
      this.handlers.set(method, handler);
      return { dispose: () => undefined };
    }
    onDidChangeState() {
      return { dispose: () => undefined };
    }
    start() {
      this.state = State.Running;
      return Promise.resolve();
    }
    sendRequest(type: unknown, params: unknown) {
      return new Promise((resolve) => {
        this.requests.push({ type, params, resolve });
      });
    }
    sendNotification(type: unknown, params: unknown) {
      this.notifications.push({ type, params });
      return Promise.resolve();
    }
    dispose() {
      this.disposed = true;
      this.state = State.Stopped;
      return Promise.resolve();
    }
  }
  return {
    LanguageClient,
    State,
    TransportKind: { stdio: 0, ipc: 1, pipe: 2, socket: 3 },
    RevealOutputChannelOn: { Debug: 0, Info: 1, Warn: 2, Error: 3, Never: 4 },
    ExecuteCommandRequest: { type: { method: 'workspace/executeCommand' } },
    DidChangeConfigurationNotification: { type: { method: 'workspace/didChangeConfiguration' } },
  };
});

const { activate, deactivate } = await import('../../extension/src/extension');

let dir: string;
let extensionPath: string;
let subscriptions: { dispose(): unknown }[];

/** Activates with a stand-in interpreter (it answers the probe: Python 3.11 with Metaflow). */
function start({ trusted = true, bundled = true } = {}): void {
  trust.trusted = trusted;
  trust.providers = [];
  extensionPath = path.join(dir, 'extension');
  mkdirSync(path.join(extensionPath, 'bundled'), { recursive: true });
  if (bundled) writeFileSync(path.join(extensionPath, 'bundled', 'spinlens_main.py'), '');
  const python = path.join(dir, 'python');
  const facts = { executable: python, prefix: dir, version: [3, 11, 7], metaflow: '2.19.3', spinlens: true, pip: true, externallyManaged: false };
  writeFileSync(python, `#!/bin/sh\necho '${JSON.stringify(facts)}'\n`);
  chmodSync(python, 0o755);
  mock.workspaceFolders = [{ uri: Uri.file('/work/project'), name: 'project', index: 0 }];
  mock.config = { 'spinlens.python': python, 'spinlens.diffRows': 33, 'spinlens.historySize': 4 };
  subscriptions = [];
  activate({
    subscriptions,
    extensionPath,
    extensionUri: Uri.file(repoFile('.')),
  } as unknown as vscode.ExtensionContext);
}

beforeEach(() => {
  mock.reset();
  clients.length = 0;
  dir = mkdtempSync(path.join(os.tmpdir(), 'spinlens-activate-'));
});

afterEach(async () => {
  await deactivate();
  rmSync(dir, { recursive: true, force: true });
});

async function started(): Promise<FakeClient> {
  await vi.waitFor(() => {
    if (clients.length === 0 || mock.statusItems[0]?.text === '$(loading~spin) Spinlens') throw new Error('not yet');
  });
  const client = clients[0];
  if (!client) throw new Error('no client');
  return client;
}

interface Manifest {
  extensionKind: string[];
  capabilities: { untrustedWorkspaces: { supported: string | boolean; description: string } };
  contributes: {
    commands: { command: string; title: string; category: string }[];
    keybindings: { command: string; key: string; mac: string; when: string }[];
    walkthroughs: { steps: { media: { markdown?: string }; completionEvents: string[]; description: string }[] }[];
  };
  activationEvents: string[];
}

const manifest = (): Manifest => JSON.parse(readFileSync(repoFile('package.json'), 'utf8')) as Manifest;

describe('activate', () => {
  it('registers every command package.json contributes, and only those', () => {
    start();
    const { contributes, activationEvents } = manifest();
    const contributed = contributes.commands.map((c) => c.command).sort();
    const own = [CHOOSE_INTERPRETER_COMMAND, SPIN_AT_CURSOR_COMMAND, SHOW_FLOW_GRAPH_COMMAND];
    expect(contributed).toEqual([...Object.values(ClientCommand), ...own].sort());
    for (const name of contributed) expect(mock.commands.has(name)).toBe(true);
    expect(activationEvents).toContain('onLanguage:python');
    const titles = contributes.commands.map((c) => `${c.category}: ${c.title}`);
    expect(titles).toContain('Spinlens: Spin step');
    expect(titles).toContain('Spinlens: Choose source run');
    expect(titles).toContain('Spinlens: Choose Interpreter');
    expect(titles).toContain('Spinlens: Spin step at cursor');
  });

  it('runs next to the data, binds a key and walks a newcomer to a first spin', () => {
    const { extensionKind, capabilities, contributes } = manifest();
    expect(extensionKind).toEqual(['workspace']);
    expect(capabilities.untrustedWorkspaces.supported).toBe('limited');
    expect(capabilities.untrustedWorkspaces.description).toContain('no language server and no kernel');
    expect(contributes.keybindings).toContainEqual({
      command: SPIN_AT_CURSOR_COMMAND,
      key: 'ctrl+alt+s',
      mac: 'cmd+alt+s',
      when: 'editorTextFocus && editorLangId == python',
    });
    const steps = contributes.walkthroughs[0]?.steps ?? [];
    expect(steps.length).toBeGreaterThanOrEqual(4);
    const commands = new Set(contributes.commands.map((c) => c.command));
    for (const step of steps) {
      expect(existsSync(repoFile(step.media.markdown ?? 'missing'))).toBe(true);
      for (const event of step.completionEvents) {
        if (event.startsWith('onCommand:spinlens.')) expect(commands.has(event.slice('onCommand:'.length))).toBe(true);
      }
      for (const [, command] of step.description.matchAll(/\(command:(spinlens\.[\w.]+)\)/g)) {
        expect(commands.has(command ?? '')).toBe(true);
      }
    }
  });

  it('starts the bundled launcher over stdio with the settings as init options', async () => {
    start();
    const client = await started();
    expect(client.id).toBe('spinlens');
    expect(client.serverOptions.command).toBe(path.join(dir, 'python'));
    expect(client.serverOptions.args).toEqual([path.join(extensionPath, 'bundled', 'spinlens_main.py'), 'lsp']);
    expect(client.serverOptions.transport).toBe(0);
    expect(client.serverOptions.options.cwd).toBe('/work/project');
    expect(client.clientOptions.initializationOptions).toEqual({
      defaultSourceRun: null,
      historySize: 4,
      diffRows: 33,
      memoryLimitMB: 0,
      inlayHints: false,
      prewarmMemoryMB: 2048,
    });
    expect(client.clientOptions.documentSelector).toEqual([{ scheme: 'file', language: 'python' }]);
    expect(mock.statusItems[0]?.text).toBe('$(debug-start) Spinlens');
  });

  it('starts `<python> -m spinlens.cli lsp` without a bundle (a build from the repository)', async () => {
    start({ bundled: false });
    const client = await started();
    expect(client.serverOptions.args).toEqual(['-m', 'spinlens.cli', 'lsp']);
  });

  it('routes spinlens/event notifications and sends spins as workspace/executeCommand', async () => {
    start();
    const client = await started();
    const uri = 'file:///work/project/flows/training_flow.py';
    const spin = mock.commands.get(ClientCommand.spinStep)?.(uri, 'train') as Promise<void>;
    await vi.waitFor(() => expect(client.requests).toHaveLength(1));
    const notify = client.handlers.get('spinlens/event');
    expect(notify).toBeDefined();
    expect(mock.statusItems[0]?.text).toBe('$(sync~spin) Spinning train…');
    const params = client.requests[0]?.params as { arguments: { requestId: string }[] };
    const requestId = params.arguments[0]?.requestId;
    expect(params).toEqual({
      command: 'spinlens.server.spin',
      arguments: [{ uri, step: 'train', requestId: expect.any(String) }],
    });
    for (const event of loadFixtures().ok) notify?.({ uri, requestId, event });
    notify?.({ uri, requestId, event: { event: 'bogus' } });
    client.requests[0]?.resolve({ spinId: 'a1b2c3', status: 'ok' });
    await spin;
    expect(mock.statusItems[0]?.text).toBe('$(check) train: 12 changed');
    expect(mock.panels).toHaveLength(1);
  });
});

describe('an untrusted workspace', () => {
  const flow = { getText: () => 'from metaflow import FlowSpec, step\n\nclass F(FlowSpec):\n    @step\n    def start(self):\n        pass\n' };

  it('starts no server; lenses and the status bar say why; trusting it starts the server', async () => {
    start({ trusted: false });
    await vi.waitFor(() => expect(mock.statusItems[0]?.text).toBe('$(shield) Spinlens'));
    expect(clients).toHaveLength(0);
    const lenses = trust.providers[0]?.provider.provideCodeLenses(flow) as { command: { title: string; command: string } }[];
    expect(lenses.map((l) => l.command)).toMatchObject([{ title: UNTRUSTED_LENS, command: 'workbench.trust.manage' }]);

    // A spin asked for anyway (palette, keybinding) reaches no server and says why.
    mock.activeTextEditor = {
      document: { languageId: 'python', uri: Uri.parse('file:///work/project/flow.py'), getText: flow.getText },
      selection: { active: { line: 4 } },
    };
    await mock.commands.get(SPIN_AT_CURSOR_COMMAND)?.();
    expect(clients).toHaveLength(0);
    expect(mock.messages.at(-1)).toMatchObject({ level: 'warning', items: ['Manage Workspace Trust'] });
    expect(mock.messages.at(-1)?.text).toContain("a spin runs the workspace's code");

    trust.trusted = true;
    granted.fire();
    const client = await started();
    expect(client.serverOptions.command).toBe(path.join(dir, 'python'));
    expect(trust.providers).toHaveLength(0);
  });
});
