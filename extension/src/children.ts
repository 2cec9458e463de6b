/**
 * Foreach children: the picker over a step's split values (from
 * `spinlens.server.listTasks`), the choice handed to the server
 * (`setTask`: the server remembers it per step), and the values the picker saw,
 * so the results panel can say which child ran (`index 2 · alphas=0.01`).
 */
import * as vscode from 'vscode';
import { type ListTasksResult, ServerCommand, type TaskInfo } from './protocol';
import type { SpinlensServer } from './server';
import type { SpinRecord } from './spins';

/** `alphas=0.01`, or undefined when the task has no split value. */
export function childValue(task: TaskInfo): string | undefined {
  if (task.value === null) return undefined;
  return task.var ? `${task.var}=${task.value}` : task.value;
}

type ChildItem = vscode.QuickPickItem & { index: number };

/** `alphas=0.001 (index 1)`, one per split index; the server's choice marked current. */
export function taskPickItems(listed: ListTasksResult): ChildItem[] {
  const chosen = listed.chosen ?? 0;
  return listed.tasks
    .filter((t): t is TaskInfo & { index: number } => t.index !== null)
    .map((task) => ({
      label: `${childValue(task) ?? 'split'} (index ${task.index})`,
      description: `task ${task.taskId}${task.index === chosen ? ' · current' : ''}`,
      index: task.index,
    }));
}

/** What the picker learnt of each step's children, by document, step, run and index. */
export class ChildValues {
  private readonly values = new Map<string, string>();

  private static key(uri: string, step: string, runId: string, index: number): string {
    return JSON.stringify([uri, step, runId, index]);
  }

  remember(uri: string, step: string, listed: ListTasksResult): void {
    for (const task of listed.tasks) {
      const value = childValue(task);
      if (task.index !== null && value) this.values.set(ChildValues.key(uri, step, listed.runId, task.index), value);
    }
  }

  /** The value of the child a spin ran, from its `started` event; undefined if unknown. */
  of(record: SpinRecord): string | undefined {
    const started = record.events.find((e) => e.event === 'started');
    if (!started || started.event !== 'started' || started.source.index === null) return undefined;
    return this.values.get(ChildValues.key(record.uri, record.step, started.source.run_id, started.source.index));
  }
}

/** Shared by the picker and the results panel. */
export const childValues = new ChildValues();

export interface ChildTarget {
  uri: string;
  step: string;
  flow?: string;
}

/** Lists the step's children, lets the user pick one and tells the server; the index, or undefined. */
export async function pickChild(server: SpinlensServer, target: ChildTarget): Promise<number | undefined> {
  const args = { uri: target.uri, step: target.step, ...(target.flow ? { flow: target.flow } : {}) };
  let listed: ListTasksResult;
  try {
    listed = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: `Spinlens: listing the children of ${target.step}` },
      () => server.execute(ServerCommand.listTasks, args),
    );
  } catch (error) {
    void vscode.window.showErrorMessage(`Spinlens: cannot list the children of ${target.step}: ${String(error instanceof Error ? error.message : error)}`);
    return undefined;
  }
  childValues.remember(target.uri, target.step, listed);
  const items = taskPickItems(listed);
  if (items.length === 0) {
    void vscode.window.showInformationMessage(`Spinlens: ${target.step} is not inside a foreach in run ${listed.runId}.`);
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: `Spinlens: spin which child of ${target.step}? (run ${listed.runId})`,
    placeHolder: listed.truncated ? `The first ${items.length} children` : 'Split value of the foreach',
    matchOnDescription: true,
  });
  if (!picked) return undefined;
  await server.execute(ServerCommand.setTask, { ...args, index: picked.index });
  return picked.index;
}
