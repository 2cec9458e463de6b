/**
 * The Spinlens language server over stdio: `<python> bundled/spinlens_main.py lsp`
 * with the libraries the VSIX carries (`<python> -m spinlens.cli lsp` without a
 * bundle), started after checking the interpreter can run it, restarted when the
 * interpreter changes, told about setting changes. Never started in an untrusted
 * workspace (trust.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  type LSPAny,
  LanguageClient,
  type LanguageClientOptions,
  RevealOutputChannelOn,
  type ServerOptions as ProcessOptions,
  State,
  TransportKind,
} from 'vscode-languageclient/node';
import { ensureBackend } from './install';
import { CHOOSE_INTERPRETER_COMMAND } from './interpreterPicker';
import {
  EventNotification,
  type EventNotificationParams,
  SERVER_LAUNCH_ARGS,
  type ServerCommandType,
} from './protocol';
import { type Interpreter, resolveInterpreter, saveInterpreterSetting } from './python';
import { getSettings, serverOptions } from './settings';
import type { ServerState } from './statusBar';
import { UntrustedWorkspaceError } from './trust';

const RESTART_DELAY_MS = 500;

export class ServerUnavailableError extends Error {
  constructor(python?: string) {
    const using = python === undefined ? '' : ` with ${python}`;
    super(`The Spinlens server is not running${using} (see the "Spinlens" output).`);
  }
}

/** The server answered a command with something its result type does not allow. */
export class MalformedResultError extends Error {
  constructor(command: string, result: unknown) {
    super(`The Spinlens server gave an unexpected answer to ${command}: ${JSON.stringify(result)?.slice(0, 200)}`);
  }
}

/** The launcher `make package` puts in the VSIX beside the bundled libraries. */
export const BUNDLED_MAIN = path.join('bundled', 'spinlens_main.py');

/**
 * The server's arguments: the bundled launcher (which puts bundled/libs and
 * bundled/server first on sys.path, and not on PYTHONPATH, so the user's code in
 * kernels sees only spinlens's own folder), or `-m spinlens.cli lsp` without one.
 */
export function launchArgs(extensionPath: string): { args: string[]; bundled: boolean } {
  const main = path.join(extensionPath, BUNDLED_MAIN);
  return fs.existsSync(main) ? { args: [main, 'lsp'], bundled: true } : { args: [...SERVER_LAUNCH_ARGS], bundled: false };
}

/** How the server process is started (exported for tests). */
export function processOptions(python: string, cwd: string | undefined, args: readonly string[]): ProcessOptions {
  return {
    command: python,
    args: [...args],
    transport: TransportKind.stdio,
    options: { cwd, env: { ...process.env, PYTHONUNBUFFERED: '1' } },
  };
}

const SOURCE_NAMES: Record<Interpreter['source'], string> = {
  setting: 'the spinlens.python setting',
  'python-extension': "the Python extension's active environment",
  workspace: "the workspace's virtual environment",
  path: 'PATH',
};

function activeResource(): vscode.Uri | undefined {
  const document = vscode.window.activeTextEditor?.document;
  if (document?.uri.scheme === 'file') return document.uri;
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

export class SpinlensServer implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient | undefined> | undefined;
  private restartTimer: ReturnType<typeof setTimeout> | undefined;
  private generation = 0;
  private disposed = false;
  private readonly events = new vscode.EventEmitter<EventNotificationParams>();
  private readonly states = new vscode.EventEmitter<ServerState>();
  /** Every `spinlens/event` notification (validated). */
  readonly onEvent = this.events.event;
  readonly onState = this.states.event;
  interpreter: Interpreter | undefined;

  constructor(
    private readonly extensionPath: string,
    private readonly output: vscode.OutputChannel,
    private readonly isTrusted: () => boolean = () => vscode.workspace.isTrusted,
  ) {}

  private setState(state: ServerState): void {
    this.states.fire(state);
  }

  /**
   * The running client, starting the server first if needed (undefined: it
   * cannot run, or the workspace is not trusted).
   */
  async ready(): Promise<LanguageClient | undefined> {
    if (this.client && this.client.state === State.Running) return this.client;
    if (this.disposed) return undefined;
    if (!this.isTrusted()) {
      this.setState('untrusted');
      return undefined;
    }
    if (!this.starting) {
      this.starting = this.start().finally(() => {
        this.starting = undefined;
      });
    }
    return this.starting;
  }

  private async start(): Promise<LanguageClient | undefined> {
    const generation = ++this.generation;
    await this.stopClient();
    this.setState('starting');
    const settings = getSettings();
    const interpreter = await resolveInterpreter(settings.python, activeResource());
    this.interpreter = interpreter;
    this.output.appendLine(
      `[spinlens] Python interpreter: ${interpreter.python} (from ${SOURCE_NAMES[interpreter.source]})`,
    );
    const launch = launchArgs(this.extensionPath);
    const workspaceFolder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    const hasBackend = await ensureBackend({
      python: interpreter.python,
      bundled: launch.bundled,
      output: this.output,
      workspaceFolder,
      chooseInterpreter: () => Promise.resolve(vscode.commands.executeCommand(CHOOSE_INTERPRETER_COMMAND)),
      saveInterpreter: saveInterpreterSetting,
    });
    if (generation !== this.generation || this.disposed) return undefined;
    if (!hasBackend) {
      this.setState('unavailable');
      return undefined;
    }

    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'python' }],
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      initializationOptions: serverOptions(settings),
    };
    const client = new LanguageClient(
      'spinlens',
      'Spinlens',
      processOptions(interpreter.python, workspaceFolder, launch.args),
      clientOptions,
    );
    client.onNotification(EventNotification.method, (raw: unknown) => {
      const params = EventNotification.parse(raw);
      if (params) this.events.fire(params);
      else this.output.appendLine(`[spinlens] ignored a malformed ${EventNotification.method} notification`);
    });
    client.onDidChangeState(({ newState }) => {
      if (this.client !== client) return;
      if (newState === State.Running) this.setState('running');
      else if (newState === State.Stopped) this.setState('stopped');
    });
    try {
      await client.start();
    } catch (error) {
      this.output.appendLine(`[spinlens] the server did not start with ${interpreter.python}: ${String(error)}`);
      this.setState('unavailable');
      void client.dispose().catch(() => undefined);
      return undefined;
    }
    if (generation !== this.generation || this.disposed) {
      await client.dispose().catch(() => undefined);
      return undefined;
    }
    this.client = client;
    this.setState('running');
    return client;
  }

  private async stopClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return;
    try {
      await client.dispose(2000);
    } catch (error) {
      this.output.appendLine(`[spinlens] stopping the server: ${String(error)}`);
    }
  }

  /** Restart soon (debounced): the interpreter or the Python environment changed. */
  scheduleRestart(reason: string): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.output.appendLine(`[spinlens] restarting the server: ${reason}`);
      void this.restart();
    }, RESTART_DELAY_MS);
  }

  async restart(): Promise<LanguageClient | undefined> {
    this.generation++;
    await this.starting?.catch(() => undefined);
    await this.stopClient();
    return this.ready();
  }

  /** Sends the current settings (`workspace/didChangeConfiguration`, same shape as the init options). */
  async sendConfiguration(): Promise<void> {
    const client = this.client;
    if (!client || client.state !== State.Running) return;
    await client.sendNotification(DidChangeConfigurationNotification.type, {
      settings: serverOptions(getSettings()) as unknown as LSPAny,
    });
  }

  /** Whether the running server advertises `command`. */
  hasCommand(command: Pick<ServerCommandType<never, unknown>, 'name'>): boolean {
    const commands = this.client?.initializeResult?.capabilities.executeCommandProvider?.commands;
    return Array.isArray(commands) && commands.includes(command.name);
  }

  /**
   * `workspace/executeCommand`, its result checked against the command's type
   * (a `MalformedResultError` if it does not fit).
   */
  async execute<Args, Result>(
    command: ServerCommandType<Args, Result>,
    args: Args,
    token?: vscode.CancellationToken,
  ): Promise<Result> {
    if (!this.isTrusted()) throw new UntrustedWorkspaceError();
    const client = await this.ready();
    if (!client) throw new ServerUnavailableError(this.interpreter?.python);
    const params = { command: command.name, arguments: command.arguments(args) as unknown as LSPAny[] };
    const raw: unknown = token
      ? await client.sendRequest(ExecuteCommandRequest.type, params, token)
      : await client.sendRequest(ExecuteCommandRequest.type, params);
    const result = command.parse(raw);
    if (result === undefined) throw new MalformedResultError(command.name, raw);
    return result;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.generation++;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    await this.stopClient();
    this.events.dispose();
    this.states.dispose();
  }
}
