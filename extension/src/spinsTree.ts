/**
 * The Spins view of the Spinlens container: this window's spins, per step (newest
 * step first), each with its time, outcome and how many artifacts changed against
 * the source run; selecting one shows it in the results panel, and two selected
 * compare (as "Compare with source task" compares one with the task it was spun
 * from), through the server's `explorer.compare` on the spins' history records.
 * It follows the SpinStore's changes (it keeps its own list of the records it has
 * seen, at most MAX_RECORDS, as the store does).
 */
import * as vscode from 'vscode';
import { showComparison } from './comparePanel';
import { plural } from './format';
import { ClientCommand, type CompareArgs, type CompareResult, ServerCommand } from './protocol';
import { MAX_RECORDS, type SpinRecord, type SpinStore, changedCount, isDone } from './spins';

export const SPINS_VIEW = 'spinlens.spins';
export const SHOW_SPIN_COMMAND = ClientCommand.spinsShow;
export const COMPARE_SPINS_COMMAND = ClientCommand.spinsCompare;
export const COMPARE_WITH_SOURCE_COMMAND = ClientCommand.spinsCompareWithSource;

export interface StepGroup {
  kind: 'step';
  uri: string;
  step: string;
}
export interface SpinItem {
  kind: 'spin';
  record: SpinRecord;
}
export type SpinsNode = StepGroup | SpinItem;

export interface SpinRow {
  label: string;
  description: string;
  tooltip?: string;
  expandable: boolean;
}

function fileName(uri: string): string {
  const last = uri.split('/').pop() ?? uri;
  try {
    return decodeURIComponent(last);
  } catch {
    return last;
  }
}

function clock(ms: number): string {
  const d = new Date(ms);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** What a spin came to: `ok · 3 changed`, `failed: <error>`, `running`. */
export function outcomeText(record: SpinRecord): string {
  if (!isDone(record)) return record.state === 'pending' ? 'queued' : 'running';
  if (record.state === 'ok') return `ok · ${changedCount(record)} changed`;
  if (record.state === 'cancelled') return 'cancelled';
  const error = record.terminal?.event === 'failed' ? record.terminal.error : '';
  return error ? `failed: ${error.split('\n')[0]}` : 'failed';
}

export function spinRow(node: SpinsNode, records: readonly SpinRecord[]): SpinRow {
  if (node.kind === 'step') {
    const count = records.filter((r) => r.uri === node.uri && r.step === node.step).length;
    return { label: node.step, description: `${fileName(node.uri)} · ${plural(count, 'spin')}`, expandable: true };
  }
  const r = node.record;
  const seconds = r.endedAt !== undefined ? ` in ${((r.endedAt - r.startedAt) / 1000).toFixed(1)} s` : '';
  return {
    label: clock(r.startedAt),
    description: outcomeText(r),
    tooltip: `${r.step}${r.debug ? ' (debug)' : ''}, ${r.spinId ?? 'no spin id yet'}: ${outcomeText(r)}${seconds}`,
    expandable: false,
  };
}

/** A finished spin's record folder in the history: its side of a comparison. */
export function recordFolder(record: SpinRecord): string | undefined {
  const terminal = record.terminal;
  return terminal?.event === 'finished' && terminal.record ? terminal.record : undefined;
}

/** The task a spin was spun from (`Flow/run/step/task`), from its `started` event. */
export function sourceTask(record: SpinRecord): string | undefined {
  for (const event of record.events) {
    if (event.event !== 'started') continue;
    const { flow, run_id: run, step, task_id: task } = event.source;
    return task === null ? undefined : `${flow}/${run}/${step}/${task}`;
  }
  return undefined;
}

/** The `explorer.compare` of two spins (the older is `a`), or why they cannot be compared. */
export function compareSpinsArgs(items: readonly SpinItem[]): CompareArgs | string {
  if (items.length !== 2) return 'select two spins to compare.';
  const [older, newer] = [...items].sort((x, y) => x.record.startedAt - y.record.startedAt || x.record.id - y.record.id) as [
    SpinItem,
    SpinItem,
  ];
  if (older.record.uri !== newer.record.uri) return 'the two spins are of different flow files.';
  const a = recordFolder(older.record);
  const b = recordFolder(newer.record);
  if (a === undefined || b === undefined) return 'only finished spins recorded in the history can be compared.';
  return { uri: newer.record.uri, a, b };
}

/** The `explorer.compare` of a spin's source task (`a`) and the spin (`b`), or why not. */
export function compareWithSourceArgs(item: SpinItem): CompareArgs | string {
  const b = recordFolder(item.record);
  if (b === undefined) return 'only a finished spin recorded in the history can be compared.';
  const a = sourceTask(item.record);
  if (a === undefined) return 'this spin has no source task (the step never ran in its source run).';
  return { uri: item.record.uri, a, b };
}

/** The records seen, and the tree over them. */
export class SpinsModel {
  private records: SpinRecord[] = [];
  private readonly groups = new Map<string, StepGroup>();
  readonly changed = new vscode.EventEmitter<SpinsNode | undefined>();

  /** A record began or moved on. */
  seen(record: SpinRecord): void {
    if (!this.records.includes(record)) {
      this.records.push(record);
      if (this.records.length > MAX_RECORDS) this.records.splice(0, this.records.length - MAX_RECORDS);
    }
    this.changed.fire(undefined);
  }

  all(): readonly SpinRecord[] {
    return this.records;
  }

  children(node?: SpinsNode): SpinsNode[] {
    if (node === undefined) {
      const order: StepGroup[] = [];
      for (let i = this.records.length - 1; i >= 0; i--) {
        const r = this.records[i] as SpinRecord;
        const key = `${r.uri}\u0000${r.step}`;
        let group = this.groups.get(key);
        if (!group) {
          group = { kind: 'step', uri: r.uri, step: r.step };
          this.groups.set(key, group);
        }
        if (!order.includes(group)) order.push(group);
      }
      return order;
    }
    if (node.kind === 'spin') return [];
    return this.records
      .filter((r) => r.uri === node.uri && r.step === node.step)
      .reverse()
      .map((record) => ({ kind: 'spin', record }));
  }

  /** Whether a command argument is a spin this view listed. */
  isSpin(value: unknown): value is SpinItem {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as SpinItem).kind === 'spin' &&
      this.records.includes((value as SpinItem).record)
    );
  }
}

export class SpinsTreeProvider implements vscode.TreeDataProvider<SpinsNode> {
  readonly onDidChangeTreeData: vscode.Event<SpinsNode | undefined>;

  constructor(readonly model: SpinsModel) {
    this.onDidChangeTreeData = model.changed.event;
  }

  getTreeItem(node: SpinsNode): vscode.TreeItem {
    const row = spinRow(node, this.model.all());
    const item = new vscode.TreeItem(
      row.label,
      row.expandable ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.description = row.description;
    if (row.tooltip !== undefined) item.tooltip = row.tooltip;
    if (node.kind === 'spin') {
      item.contextValue = 'spinlens.spin';
      item.command = { command: SHOW_SPIN_COMMAND, title: 'Show results', arguments: [node] };
    }
    return item;
  }

  getChildren(node?: SpinsNode): SpinsNode[] {
    return this.model.children(node);
  }
}

export interface SpinsTreeContext {
  store: SpinStore;
  panel: { show(record: SpinRecord, preserveFocus?: boolean): void };
  server: { execute(command: typeof ServerCommand.explorerCompare, args: CompareArgs): Promise<CompareResult> };
  extensionUri: vscode.Uri;
}

/**
 * The spins a compare command means: the selection it was given (a context menu
 * passes the clicked item and the selected ones), else the view's selection.
 */
export function selectedSpins(model: SpinsModel, clicked: unknown, selected: unknown, current: readonly SpinsNode[]): SpinItem[] {
  const given = Array.isArray(selected) && selected.length ? (selected as unknown[]) : clicked !== undefined ? [clicked] : [...current];
  return given.filter((node): node is SpinItem => model.isSpin(node));
}

export function registerSpinsTree(ctx: SpinsTreeContext): vscode.Disposable[] {
  const model = new SpinsModel();
  const view = vscode.window.createTreeView(SPINS_VIEW, { treeDataProvider: new SpinsTreeProvider(model), canSelectMany: true });
  const compare = (args: CompareArgs | string): void => {
    if (typeof args === 'string') {
      void vscode.window.showInformationMessage(`Spinlens: ${args[0]?.toUpperCase()}${args.slice(1)}`);
      return;
    }
    showComparison(ctx.extensionUri, args.a, args.b, ctx.server.execute(ServerCommand.explorerCompare, args));
  };
  return [
    view,
    model.changed,
    ctx.store.onDidChange(({ record, event }) => {
      // Log lines do not change a row: only a new spin, a state change or the end.
      if (event === undefined || event.event === 'started' || event.event === 'finished' || event.event === 'failed') {
        model.seen(record);
      }
    }),
    vscode.commands.registerCommand(SHOW_SPIN_COMMAND, (arg: unknown) => {
      if (model.isSpin(arg)) ctx.panel.show(arg.record, false);
    }),
    vscode.commands.registerCommand(COMPARE_SPINS_COMMAND, (clicked: unknown, selected: unknown) =>
      compare(compareSpinsArgs(selectedSpins(model, clicked, selected, view.selection))),
    ),
    vscode.commands.registerCommand(COMPARE_WITH_SOURCE_COMMAND, (clicked: unknown) => {
      const [item] = selectedSpins(model, clicked, undefined, view.selection);
      compare(item ? compareWithSourceArgs(item) : 'select a spin to compare with its source task.');
    }),
  ];
}
