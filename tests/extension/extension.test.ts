/**
 * Activation end to end against a fake LanguageClient: the server command line,
 * the init options, events reaching the status bar, commands reaching the server.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type * as vscode from 'vscode';
import { ClientCommand } from '../../extension/src/protocol';
import { loadFixtures, repoFile } from './fixtures';
import { Uri, mock } from './mocks/vscode';

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
let subscriptions: { dispose(): unknown }[];

beforeEach(() => {
  mock.reset();
  clients.length = 0;
  dir = mkdtempSync(path.join(os.tmpdir(), 'spinlens-activate-'));
  const python = path.join(dir, 'python');
  writeFileSync(python, '#!/bin/sh\nexit 0\n');
  chmodSync(python, 0o755);
  mock.workspaceFolders = [{ uri: Uri.file('/work/project'), name: 'project', index: 0 }];
  mock.config = { 'spinlens.python': python, 'spinlens.diffRows': 33, 'spinlens.historySize': 4 };
  subscriptions = [];
  activate({
    subscriptions,
    extensionPath: repoFile('.'),
    extensionUri: Uri.file(repoFile('.')),
  } as unknown as vscode.ExtensionContext);
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

describe('activate', () => {
  it('registers every command package.json contributes, and only those', () => {
    const manifest = JSON.parse(readFileSync(repoFile('package.json'), 'utf8')) as {
      contributes: { commands: { command: string; title: string; category: string }[] };
      activationEvents: string[];
    };
    const contributed = manifest.contributes.commands.map((c) => c.command).sort();
    expect(contributed).toEqual(Object.values(ClientCommand).sort());
    for (const name of contributed) expect(mock.commands.has(name)).toBe(true);
    expect(manifest.activationEvents).toContain('onLanguage:python');
    const titles = manifest.contributes.commands.map((c) => `${c.category}: ${c.title}`);
    expect(titles).toContain('Spinlens: Spin step');
    expect(titles).toContain('Spinlens: Choose source run');
  });

  it('starts `<python> -m spinlens.cli lsp` over stdio with the settings as init options', async () => {
    const client = await started();
    expect(client.id).toBe('spinlens');
    expect(client.serverOptions.command).toBe(path.join(dir, 'python'));
    expect(client.serverOptions.args).toEqual(['-m', 'spinlens.cli', 'lsp']);
    expect(client.serverOptions.transport).toBe(0);
    expect(client.serverOptions.options.cwd).toBe('/work/project');
    expect(client.clientOptions.initializationOptions).toEqual({ defaultSourceRun: null, historySize: 4, diffRows: 33, memoryLimitMB: 0 });
    expect(client.clientOptions.documentSelector).toEqual([{ scheme: 'file', language: 'python' }]);
    expect(mock.statusItems[0]?.text).toBe('$(debug-start) Spinlens');
  });

  it('routes spinlens/event notifications and sends spins as workspace/executeCommand', async () => {
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
