/**
 * The Spins view of the Spinlens container: this window's spins, per step (newest
 * step first), each with its time, outcome and how many artifacts changed against
 * the source run; selecting one shows it in the results panel. It follows the
 * SpinStore's changes (it keeps its own list of the records it has seen, at most
 * MAX_RECORDS, as the store does).
 */
import * as vscode from 'vscode';
import { plural } from './format';
import { ClientCommand } from './protocol';
import { MAX_RECORDS, type SpinRecord, type SpinStore, changedCount, isDone } from './spins';

export const SPINS_VIEW = 'spinlens.spins';
export const SHOW_SPIN_COMMAND = ClientCommand.spinsShow;

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

export function registerSpinsTree(ctx: {
  store: SpinStore;
  panel: { show(record: SpinRecord, preserveFocus?: boolean): void };
}): vscode.Disposable[] {
  const model = new SpinsModel();
  const view = vscode.window.createTreeView(SPINS_VIEW, { treeDataProvider: new SpinsTreeProvider(model) });
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
  ];
}
