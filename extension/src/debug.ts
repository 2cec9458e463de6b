/**
 * Debug spins in VS Code's debugger.
 *
 * A debug spin (`spinlens.server.debug`) runs like a spin, but its process
 * starts debugpy on 127.0.0.1 and waits; the `debug` event says where. This
 * module attaches VS Code's debugger there: with Microsoft's `debugpy` type when
 * that extension is installed, else with Spinlens' own `spinlens` type, which
 * connects straight to the debug adapter the spin's process started
 * (`debugpy.adapter` from the chosen interpreter), so code-server and VSCodium
 * debug too. Ending the debug session before the spin ends cancels the spin.
 */
import * as vscode from 'vscode';
import type { DebugEvent } from './protocol';
import { type SpinRecord, type SpinStore, isDone } from './spins';

/** The debugger type Spinlens contributes (package.json `contributes.debuggers`). */
export const DEBUG_TYPE = 'spinlens';
/** Microsoft's Python debugger; its `debugpy` type is used when it is installed. */
export const MICROSOFT_DEBUGPY = 'ms-python.debugpy';

/** The configuration key that ties a debug session to its spin. */
const SPIN_KEY = 'spinlensSpinId';

export interface LoopbackAddress {
  host: string;
  port: number;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** `connect` of an attach configuration, if it names a port on this machine's loopback. */
export function loopbackAddress(connect: unknown): LoopbackAddress | undefined {
  if (typeof connect !== 'object' || connect === null) return undefined;
  const { host, port } = connect as Record<string, unknown>;
  const validPort = typeof port === 'number' && Number.isInteger(port) && port > 0 && port < 65536;
  if (!validPort) return undefined;
  const name = host === undefined ? '127.0.0.1' : host;
  return typeof name === 'string' && LOOPBACK_HOSTS.has(name) ? { host: name, port } : undefined;
}

export function debuggerType(hasMicrosoftDebugger: boolean): string {
  return hasMicrosoftDebugger ? 'debugpy' : DEBUG_TYPE;
}

/** The attach configuration for a debug spin waiting at `event`'s address. */
export function attachConfiguration(type: string, step: string, event: DebugEvent): vscode.DebugConfiguration {
  return {
    type,
    request: 'attach',
    name: `Spinlens: ${step}`,
    connect: { host: event.host, port: event.port },
    justMyCode: true,
    [SPIN_KEY]: event.spin_id,
  };
}

/**
 * The `spinlens` type's adapter: the one debugpy already runs beside the spin,
 * reached over TCP on loopback. Only attach configurations with a loopback
 * `connect` are accepted; a launch.json entry can use it for `spinlens spin --debug`.
 */
export class SpinlensDebugAdapterFactory implements vscode.DebugAdapterDescriptorFactory {
  createDebugAdapterDescriptor(session: vscode.DebugSession): vscode.DebugAdapterDescriptor {
    const configuration = session.configuration;
    const address = loopbackAddress(configuration.connect);
    if (configuration.request !== 'attach' || address === undefined) {
      throw new Error(
        'A "spinlens" debug configuration attaches to a waiting spin: use "Debug this step", or ' +
          '`spinlens spin FLOW.py STEP --debug` and {"request": "attach", "connect": {"host": "127.0.0.1", "port": N}}.',
      );
    }
    return new vscode.DebugAdapterServer(address.port, address.host);
  }
}

export interface DebugSessionHooks {
  /** Ask the server to cancel the spin (its debug session ended first). */
  cancel(record: SpinRecord): void;
  output: vscode.OutputChannel;
}

/** Starts a debug session for each debug spin that asks for one; cancels spins whose session ends first. */
export class DebugSessions implements vscode.Disposable {
  private readonly waiting = new Map<string, SpinRecord>(); // spin id -> its spin, while it runs
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    store: SpinStore,
    private readonly hooks: DebugSessionHooks,
  ) {
    this.subscriptions = [
      store.onDidChange(({ record, event }) => {
        if (event?.event === 'debug' && record.debug) void this.attach(record, event);
        if (isDone(record) && record.spinId !== undefined) this.waiting.delete(record.spinId);
      }),
      vscode.debug.onDidTerminateDebugSession((session) => this.ended(session)),
    ];
  }

  private async attach(record: SpinRecord, event: DebugEvent): Promise<void> {
    if (loopbackAddress(event) === undefined) {
      this.fail(record, `the server named a debug address off this machine (${event.host}:${event.port})`);
      return;
    }
    this.waiting.set(event.spin_id, record);
    const type = debuggerType(vscode.extensions.getExtension(MICROSOFT_DEBUGPY) !== undefined);
    const configuration = attachConfiguration(type, record.step, event);
    const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.parse(record.uri));
    this.hooks.output.appendLine(`[spinlens] attaching the ${type} debugger to ${record.step} on port ${event.port}`);
    let started = false;
    try {
      started = await vscode.debug.startDebugging(folder, configuration);
    } catch (error) {
      this.fail(record, error instanceof Error ? error.message : String(error));
      return;
    }
    if (!started) this.fail(record, 'VS Code did not start the debug session');
  }

  private fail(record: SpinRecord, reason: string): void {
    if (record.spinId !== undefined) this.waiting.delete(record.spinId);
    this.hooks.output.appendLine(`[spinlens] cannot debug ${record.step}: ${reason}`);
    void vscode.window.showErrorMessage(`Spinlens: cannot debug ${record.step}: ${reason}. The spin is cancelled.`);
    this.hooks.cancel(record);
  }

  private ended(session: vscode.DebugSession): void {
    const spinId: unknown = session.configuration[SPIN_KEY];
    if (typeof spinId !== 'string') return;
    const record = this.waiting.get(spinId);
    this.waiting.delete(spinId);
    // Stop in the debugger detaches from a spin still running: stop the spin too.
    if (record && !isDone(record)) this.hooks.cancel(record);
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.waiting.clear();
  }
}
