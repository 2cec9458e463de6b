/**
 * The palette and CodeLens commands. Lenses pass `[uri, step, flow]` (uri as a
 * string); the palette passes nothing and the active editor is the target.
 */
import * as vscode from 'vscode';
import { pickChild } from './children';
import { clip, formatAge } from './format';
import type { ResultsPanel } from './panel';
import {
  ClientCommand,
  type ListRunsResult,
  type RunInfo,
  ServerCommand,
  type SpinArgs,
  type StepInfo,
  isObject,
} from './protocol';
import type { SpinlensServer } from './server';
import { type SpinRecord, type SpinStore, changedCount, isDone } from './spins';
import { RUN_THE_FLOW, runFlow } from './runFlow';
import { isStepName, orderStepsForCursor, stepAt } from './steps';

const SHOW_RESULTS = 'Show Results';
export const QUEUE = 'Queue';
export const CANCEL_AND_RESTART = 'Cancel and restart';

export interface CommandContext {
  server: SpinlensServer;
  store: SpinStore;
  panel: ResultsPanel;
  output: vscode.OutputChannel;
}

/** A target document from a lens argument (uri string or Uri) or the active Python editor. */
export function targetUri(arg: unknown): string | undefined {
  if (typeof arg === 'string' && arg.length > 0 && arg.length < 8192) {
    try {
      return vscode.Uri.parse(arg, true).toString();
    } catch {
      return undefined;
    }
  }
  if (arg instanceof vscode.Uri) return arg.toString();
  const document = vscode.window.activeTextEditor?.document;
  if (document && document.languageId === 'python') return document.uri.toString();
  return undefined;
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (isObject(error) && typeof error.message === 'string') return error.message;
  return String(error);
}

/** Quick pick items for a document's steps (from the server), the one at `line` first. */
export function stepPickItems(
  steps: readonly StepInfo[],
  line: number,
  store?: SpinStore,
  uri?: string,
): (vscode.QuickPickItem & { step: StepInfo })[] {
  const atCursor = stepAt(steps, line);
  const severalFlows = new Set(steps.map((s) => s.flow)).size > 1;
  return orderStepsForCursor(steps, line).map((step) => {
    const last = store && uri ? store.latest(uri, step.name) : undefined;
    const parts: string[] = [];
    if (severalFlows) parts.push(step.flow);
    if (step === atCursor) parts.push('at the cursor');
    if (last && isDone(last) && last.endedAt !== undefined) {
      const age = formatAge(last.endedAt / 1000);
      parts.push(last.state === 'ok' ? `spun ${age}: ${changedCount(last)} changed` : `${last.state} ${age}`);
    }
    return { label: step.name, description: parts.join(' · '), step };
  });
}

export interface SpinTarget {
  uri: string;
  step: string;
  /** The flow class, when a lens or the step list named it. */
  flow?: string;
}

async function pickStep(ctx: CommandContext): Promise<SpinTarget | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showInformationMessage('Spinlens: open a Metaflow flow file to spin one of its steps.');
    return undefined;
  }
  const uri = editor.document.uri.toString();
  const listed = await ctx.server.execute(ServerCommand.listSteps, { uri });
  const items = stepPickItems(listed.steps, editor.selection.active.line, ctx.store, uri);
  if (items.length === 0) {
    const why = listed.error === null ? 'this file has no @step' : `no steps to spin: ${clip(listed.error, 200)}`;
    void vscode.window.showInformationMessage(`Spinlens: ${why}.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Spinlens: spin which step?',
    placeHolder: 'Step to run against its inputs from the source run',
  });
  return picked ? { uri, step: picked.step.name, flow: picked.step.flow } : undefined;
}

async function resolveTarget(
  ctx: CommandContext,
  uriArg: unknown,
  stepArg: unknown,
  flowArg: unknown,
): Promise<SpinTarget | undefined> {
  if (uriArg !== undefined && isStepName(stepArg)) {
    const uri = targetUri(uriArg);
    if (uri === undefined) return undefined;
    return isStepName(flowArg) ? { uri, step: stepArg, flow: flowArg } : { uri, step: stepArg };
  }
  return pickStep(ctx);
}

/**
 * With a spin of the same file running: queue the new one behind it (the panel
 * keeps showing the running one and lists this one as queued), or cancel the
 * file's spins and run this one now. Undefined: the user chose neither.
 */
async function whileRunning(ctx: CommandContext, target: SpinTarget): Promise<'queue' | 'restart' | 'run' | undefined> {
  const running = ctx.store.running(target.uri);
  if (!running) return 'run';
  const choice = await vscode.window.showWarningMessage(
    `Spinlens: ${running.step} is still spinning.`,
    { modal: true, detail: `Queue ${target.step} to run after it, or cancel it and spin ${target.step} now.` },
    QUEUE,
    CANCEL_AND_RESTART,
  );
  if (choice === QUEUE) return 'queue';
  if (choice === CANCEL_AND_RESTART) {
    for (const record of ctx.store.active(target.uri)) cancelRecord(ctx, record);
    return 'restart';
  }
  return undefined;
}

/** The spin failed for want of a run: offer to run the flow, then spin again. */
async function offerRun(ctx: CommandContext, target: SpinTarget, record: SpinRecord): Promise<SpinRecord | undefined> {
  const flow = target.flow;
  const choice = await vscode.window.showInformationMessage(
    `Spinlens: ${flow ?? 'this flow'} has no successful run yet, so ${record.step} has no inputs to spin from.`,
    { modal: true, detail: 'Run the flow once (python flow.py run, with its Parameters), then spin the step.' },
    RUN_THE_FLOW,
  );
  if (choice !== RUN_THE_FLOW) return undefined;
  const ran = await runFlow(ctx.server, { uri: target.uri, ...(flow ? { flow } : {}) });
  return ran?.status === 'ok' ? runSpin(ctx, target) : undefined;
}

/**
 * Runs a spin (or a debug spin) of `step`, streaming its events to the panel
 * (`index`: the foreach child; without it the server uses the step's choice).
 * With a spin of the same file running, the user queues it or restarts.
 */
export async function runSpin(
  ctx: CommandContext,
  target: SpinTarget,
  debug = false,
  index?: number,
): Promise<SpinRecord | undefined> {
  const when = await whileRunning(ctx, target);
  if (when === undefined) return undefined;
  const record = ctx.store.begin(target.uri, target.step, debug);
  if (when === 'queue') ctx.panel.queue(record);
  else ctx.panel.show(record);
  const args: SpinArgs = { uri: target.uri, step: target.step, requestId: record.requestId };
  if (target.flow !== undefined) args.flow = target.flow;
  if (index !== undefined) args.index = index;
  try {
    ctx.store.complete(record, await ctx.server.execute(debug ? ServerCommand.debug : ServerCommand.spin, args));
  } catch (error) {
    ctx.store.complete(record, undefined, describeError(error));
  }
  if (record.terminal?.event === 'failed' && record.terminal.code === 'no-successful-run' && !debug) {
    return (await offerRun(ctx, target, record)) ?? record;
  }
  if (record.state === 'failed') {
    const error = record.terminal?.event === 'failed' ? record.terminal.error : 'failed';
    void vscode.window
      .showErrorMessage(`Spinlens: ${record.step} failed: ${clip(error, 300)}`, SHOW_RESULTS)
      .then((choice) => {
        if (choice === SHOW_RESULTS) ctx.panel.show(record, false);
      });
  }
  return record;
}

async function spinStep(ctx: CommandContext, uriArg?: unknown, stepArg?: unknown, flowArg?: unknown): Promise<void> {
  const target = await resolveTarget(ctx, uriArg, stepArg, flowArg);
  if (target) await runSpin(ctx, target);
}

async function debugStep(ctx: CommandContext, uriArg?: unknown, stepArg?: unknown, flowArg?: unknown): Promise<void> {
  const target = await resolveTarget(ctx, uriArg, stepArg, flowArg);
  if (!target) return;
  await ctx.server.ready();
  if (!ctx.server.hasCommand(ServerCommand.debug)) {
    void vscode.window.showErrorMessage(
      'Spinlens: this Spinlens server cannot debug. Update the spinlens package of the chosen Python.',
    );
    return;
  }
  // The debugger attaches on the spin's `debug` event (DebugSessions); once the
  // debug session is over, the results are what the user looks at next.
  const record = await runSpin(ctx, target, true);
  if (record) ctx.panel.show(record);
}

/** The lens over a step inside a foreach (or the palette): pick its child, then spin it. */
async function chooseTask(ctx: CommandContext, uriArg?: unknown, stepArg?: unknown, flowArg?: unknown): Promise<void> {
  const target = await resolveTarget(ctx, uriArg, stepArg, flowArg);
  if (!target) return;
  const index = await pickChild(ctx.server, target);
  if (index !== undefined) await runSpin(ctx, target, false, index);
}

/** The "no run yet" lens (or the palette): run the flow; then spin the step at the cursor, if any. */
async function runFlowCommand(ctx: CommandContext, uriArg?: unknown, flowArg?: unknown): Promise<void> {
  const uri = targetUri(uriArg);
  if (!uri) {
    void vscode.window.showInformationMessage('Spinlens: open a flow file to run it.');
    return;
  }
  const flow = isStepName(flowArg) ? flowArg : undefined;
  const ran = await runFlow(ctx.server, { uri, ...(flow ? { flow } : {}) });
  if (ran?.status !== 'ok') return;
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.toString() === uri) {
    const { steps } = await ctx.server.execute(ServerCommand.listSteps, { uri });
    const here = stepAt(steps, editor.selection.active.line);
    if (here && (flow === undefined || here.flow === flow)) {
      await runSpin(ctx, { uri, step: here.name, flow: here.flow });
      return;
    }
  }
  const run = ran.runId === undefined ? 'the run' : `run ${ran.runId}`;
  void vscode.window.showInformationMessage(`Spinlens: ${run} finished; spin a step from it.`);
}

/**
 * Quick pick items for the runs of a flow, "Latest successful run" first (the
 * `null` choice: the server's `defaultSourceRun` if set, else the latest
 * successful run); the server's current choice is marked `current`.
 */
export function runPickItems(
  listed: ListRunsResult,
  nowMs: number = Date.now(),
): (vscode.QuickPickItem & { runId: string | null })[] {
  const icons: Record<RunInfo['status'], string> = {
    ok: '$(pass)',
    failed: '$(error)',
    running: '$(sync)',
  };
  const { runs, chosen, defaultRun } = listed;
  const latest = runs.find((r) => r.status === 'ok');
  const fallback =
    defaultRun !== null
      ? `run ${defaultRun} (spinlens.defaultSourceRun)`
      : latest
        ? `now ${latest.runId}`
        : 'no successful run yet';
  return [
    {
      label: defaultRun !== null ? '$(history) Default run' : '$(history) Latest successful run',
      description: fallback,
      detail: chosen === null ? 'current' : undefined,
      runId: null,
    },
    ...runs.map((run) => ({
      label: `${icons[run.status]} ${run.runId}`,
      description: `${run.status} · ${formatAge(run.created, nowMs)}`,
      detail: chosen === run.runId ? 'current' : undefined,
      runId: run.runId,
    })),
  ];
}

async function chooseSourceRun(ctx: CommandContext, uriArg?: unknown): Promise<void> {
  const uri = targetUri(uriArg);
  if (!uri) {
    void vscode.window.showInformationMessage('Spinlens: open a flow file to choose the run its spins start from.');
    return;
  }
  let listed: ListRunsResult;
  try {
    listed = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: 'Spinlens: listing runs' },
      () => ctx.server.execute(ServerCommand.listRuns, { uri }),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`Spinlens: cannot list the runs: ${describeError(error)}`);
    return;
  }
  const picked = await vscode.window.showQuickPick(runPickItems(listed, Date.now()), {
    title: 'Spinlens: spin from which run?',
    placeHolder: listed.runs.length ? 'Source run of the inputs' : 'This flow has no runs yet',
    matchOnDescription: true,
  });
  if (!picked) return;
  try {
    const { runId } = await ctx.server.execute(ServerCommand.setSourceRun, { uri, runId: picked.runId });
    void vscode.window.showInformationMessage(
      runId !== null
        ? `Spinlens: spins of this flow use run ${runId}.`
        : listed.defaultRun !== null
          ? `Spinlens: spins of this flow use the default run ${listed.defaultRun}.`
          : 'Spinlens: spins of this flow use its latest successful run.',
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`Spinlens: cannot set the source run: ${describeError(error)}`);
  }
}

/** The spin shown in the panel if it has not ended, else the newest one running (of `uriArg`'s file). */
async function cancelSpin(ctx: CommandContext, uriArg?: unknown): Promise<void> {
  const active = uriArg === undefined ? undefined : targetUri(uriArg);
  const shown = ctx.panel.record;
  const target = shown && !isDone(shown) && (active === undefined || shown.uri === active) ? shown : ctx.store.running(active);
  if (!target) {
    void vscode.window.showInformationMessage('Spinlens: no spin is running.');
    return;
  }
  try {
    await ctx.server.execute(ServerCommand.cancel, { uri: target.uri, requestId: target.requestId });
  } catch (error) {
    void vscode.window.showErrorMessage(`Spinlens: cannot cancel: ${describeError(error)}`);
  }
}

async function restartKernel(ctx: CommandContext, uriArg?: unknown): Promise<void> {
  const uri = targetUri(uriArg) ?? ctx.store.last()?.uri;
  if (!uri) {
    void vscode.window.showInformationMessage('Spinlens: open the flow file whose kernel to restart.');
    return;
  }
  try {
    const { restarted } = await ctx.server.execute(ServerCommand.restartKernel, { uri });
    void vscode.window.showInformationMessage(
      restarted
        ? 'Spinlens: kernel restarted; the next spin loads its inputs afresh.'
        : 'Spinlens: this flow had no kernel running; the next spin starts one.',
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`Spinlens: cannot restart the kernel: ${describeError(error)}`);
  }
}

function showResults(ctx: CommandContext, uriArg?: unknown, stepArg?: unknown): void {
  if (uriArg !== undefined && isStepName(stepArg)) {
    const uri = targetUri(uriArg);
    const record = uri === undefined ? undefined : ctx.store.latest(uri, stepArg);
    if (!record) {
      void vscode.window.showInformationMessage(`Spinlens: no spin of ${stepArg} in this session yet.`);
    }
    ctx.panel.show(record, false);
    return;
  }
  ctx.panel.show(ctx.panel.record ?? ctx.store.last(), false);
}

/** Registers every contributed command. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const register = (name: string, handler: (...args: unknown[]) => unknown): vscode.Disposable =>
    vscode.commands.registerCommand(name, async (...args: unknown[]) => {
      try {
        await handler(...args);
      } catch (error) {
        ctx.output.appendLine(`[spinlens] ${name}: ${describeError(error)}`);
        void vscode.window.showErrorMessage(`Spinlens: ${describeError(error)}`);
      }
    });
  return [
    register(ClientCommand.spinStep, (uri, step, flow) => spinStep(ctx, uri, step, flow)),
    register(ClientCommand.debugStep, (uri, step, flow) => debugStep(ctx, uri, step, flow)),
    register(ClientCommand.chooseSourceRun, (uri) => chooseSourceRun(ctx, uri)),
    register(ClientCommand.cancelSpin, (uri) => cancelSpin(ctx, uri)),
    register(ClientCommand.restartKernel, (uri) => restartKernel(ctx, uri)),
    register(ClientCommand.showResults, (uri, step) => showResults(ctx, uri, step)),
    register(ClientCommand.runFlow, (uri, flow) => runFlowCommand(ctx, uri, flow)),
    register(ClientCommand.chooseTask, (uri, step, flow) => chooseTask(ctx, uri, step, flow)),
  ];
}

/** The webview's Cancel button, and a debug session that ended first: this spin only, queued or running. */
export function cancelRecord(ctx: Pick<CommandContext, 'server'>, record: SpinRecord): void {
  if (isDone(record)) return;
  // `uri` too: a server older than request ids ignores `requestId` and cancels the file's spins.
  const args = { uri: record.uri, requestId: record.requestId };
  void ctx.server.execute(ServerCommand.cancel, args).catch(() => undefined);
}
