/**
 * "Run the flow", for a flow with no successful run to spin from: its
 * Parameters (defaults from the server's analysis, changed in a quick pick),
 * then `spinlens.server.runFlow` (`python flow.py run` through Metaflow, into
 * the user's datastore) with a cancellable progress notification and its
 * output in the "Spinlens: flow runs" channel.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import { clip } from './format';
import { type ParameterSpec, type RunFlowResult, RunLogNotification, type RunLogParams, ServerCommand } from './protocol';
import type { SpinlensServer } from './server';

export const RUN_THE_FLOW = 'Run the flow';
const RUN_ITEM = '$(play) Run with these values';
const SHOW_OUTPUT = 'Show Output';

/** The label of a parameter's row: `rows = 1000000`, `seed = (required)`. */
export function parameterLabel(spec: ParameterSpec, values: ReadonlyMap<string, string>): string {
  const value = values.get(spec.name) ?? spec.default;
  return `${spec.name} = ${value ?? (spec.required ? '(required)' : '(its default)')}`;
}

/** The values to send: only the ones the user changed (Metaflow applies the defaults). */
export function changedParameters(specs: readonly ParameterSpec[], values: ReadonlyMap<string, string>): Record<string, string> {
  const changed: Record<string, string> = {};
  for (const spec of specs) {
    const value = values.get(spec.name);
    if (value !== undefined && value !== spec.default) changed[spec.name] = value;
  }
  return changed;
}

/** Required parameters with neither a default nor a value. */
export function missingRequired(specs: readonly ParameterSpec[], values: ReadonlyMap<string, string>): ParameterSpec[] {
  return specs.filter((s) => s.required && s.default === null && !values.has(s.name));
}

type ParameterItem = vscode.QuickPickItem & { spec?: ParameterSpec };

export function parameterItems(specs: readonly ParameterSpec[], values: ReadonlyMap<string, string>): ParameterItem[] {
  return [
    { label: RUN_ITEM, description: 'python flow.py run' },
    ...specs.map((spec) => ({
      label: parameterLabel(spec, values),
      description: values.has(spec.name) ? 'changed' : undefined,
      detail: spec.help ?? undefined,
      spec,
    })),
  ];
}

/** Asks for the parameters' values; undefined if the user gave up. */
async function askParameters(flow: string, specs: readonly ParameterSpec[]): Promise<Record<string, string> | undefined> {
  const values = new Map<string, string>();
  for (;;) {
    if (specs.length === 0) return {};
    const picked = await vscode.window.showQuickPick(parameterItems(specs, values), {
      title: `Spinlens: run ${flow} with which Parameters?`,
      placeHolder: 'Pick a Parameter to change it, or run with these values',
    });
    if (!picked) return undefined;
    const spec = picked.spec;
    if (!spec) {
      const missing = missingRequired(specs, values);
      if (missing.length === 0) return changedParameters(specs, values);
      void vscode.window.showWarningMessage(`Spinlens: give ${missing.map((s) => s.name).join(', ')} a value first.`);
      continue;
    }
    const value = await vscode.window.showInputBox({
      title: `Spinlens: --${spec.name}`,
      prompt: spec.help ?? `The value of ${spec.name} for this run, as on the command line`,
      value: values.get(spec.name) ?? spec.default ?? '',
    });
    if (value !== undefined) values.set(spec.name, value);
  }
}

type LogListener = (params: RunLogParams) => void;

/** `spinlens/runLog` lines, by the request id of the run they belong to. */
class RunLogs {
  private readonly listeners = new Map<string, LogListener>();
  private readonly clients = new WeakSet<object>();

  /** Listens on the running server's client (once per client: a restarted server is a new one). */
  async attach(server: SpinlensServer): Promise<void> {
    const client = await server.ready();
    if (!client || this.clients.has(client)) return;
    this.clients.add(client);
    client.onNotification(RunLogNotification.method, (raw: unknown) => {
      const params = RunLogNotification.parse(raw);
      if (params?.requestId) this.listeners.get(params.requestId)?.(params);
    });
  }

  listen(requestId: string, listener: LogListener): vscode.Disposable {
    this.listeners.set(requestId, listener);
    return new vscode.Disposable(() => this.listeners.delete(requestId));
  }
}

const logs = new RunLogs();
let channel: vscode.OutputChannel | undefined;

function runChannel(): vscode.OutputChannel {
  channel ??= vscode.window.createOutputChannel('Spinlens: flow runs');
  return channel;
}

export interface RunFlowTarget {
  uri: string;
  /** The flow class; undefined: the file's default flow. */
  flow?: string;
}

/**
 * Runs the flow once (after asking for its Parameters); the result, or
 * undefined if the user gave up before it started.
 */
export async function runFlow(server: SpinlensServer, target: RunFlowTarget): Promise<RunFlowResult | undefined> {
  if (vscode.workspace.isTrusted === false) {
    void vscode.window.showWarningMessage('Spinlens: running a flow executes its code; trust this workspace first.');
    return undefined;
  }
  const uri = vscode.Uri.parse(target.uri, true);
  // A run is of the file on disk: unsaved edits would not be in it.
  const document = vscode.workspace.textDocuments?.find((d) => d.uri.toString() === uri.toString());
  if (document?.isDirty) await document.save();
  const listed = await server.execute(ServerCommand.flowParameters, { uri: target.uri, ...(target.flow ? { flow: target.flow } : {}) });
  const parameters = await askParameters(listed.flow, listed.parameters);
  if (parameters === undefined) return undefined;
  await logs.attach(server);
  const requestId = randomUUID();
  const out = runChannel(); // earlier runs stay above: each starts with its command line
  const options = Object.entries(parameters).flatMap(([name, value]) => [`--${name}`, value]);
  out.appendLine(`$ python ${uri.path.split('/').pop() ?? 'flow.py'} run ${options.join(' ')}`.trimEnd());
  out.show(true);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Spinlens: running ${listed.flow}`, cancellable: true },
    async (progress, token) => {
      const cancel = token.onCancellationRequested(() => {
        void server.execute(ServerCommand.cancel, { uri: target.uri, requestId }).catch(() => undefined);
      });
      const listening = logs.listen(requestId, ({ text }) => {
        out.append(text);
        const line = text.trim();
        if (line) progress.report({ message: clip(line, 120) });
      });
      try {
        return await server.execute(ServerCommand.runFlow, { uri: target.uri, flow: listed.flow, parameters, requestId });
      } finally {
        listening.dispose();
        cancel.dispose();
      }
    },
  );
  if (result.status === 'failed') {
    void vscode.window
      .showErrorMessage(`Spinlens: the run of ${listed.flow} failed: ${clip(result.error ?? 'failed', 300)}`, SHOW_OUTPUT)
      .then((choice) => {
        if (choice === SHOW_OUTPUT) out.show();
      });
  }
  return result;
}
