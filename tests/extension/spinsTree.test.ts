/**
 * The Spins view's logic (extension/src/spinsTree.ts) on a real SpinStore fed the
 * backend's fixture events: steps newest first, each spin's time, outcome and
 * changed count, and selecting a spin shows it in the panel.
 */
import { describe, expect, it, vi } from 'vitest';

vi.mock('vscode', async (importOriginal) => {
  const original = await importOriginal<Record<string, unknown>>();
  class TreeItem {
    description?: string;
    tooltip?: string;
    contextValue?: string;
    command?: unknown;
    constructor(
      readonly label: string,
      readonly collapsibleState: number,
    ) {}
  }
  const views: { id: string; options: unknown; selection: unknown[] }[] = [];
  const createTreeView = (id: string, options: unknown) => {
    const view = { id, options, selection: [] as unknown[], dispose: () => undefined };
    views.push(view);
    return view;
  };
  const window = { ...(original.window as object), createTreeView };
  return { ...original, window, views, TreeItem, TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 } };
});

import * as vscode from 'vscode';
import { compareTitle } from '../../extension/src/comparePanel';
import { type CompareArgs, type CompareResult, ServerCommand, type SpinEvent, normalizeEvent } from '../../extension/src/protocol';
import { type SpinRecord, SpinStore } from '../../extension/src/spins';
import {
  COMPARE_SPINS_COMMAND,
  COMPARE_WITH_SOURCE_COMMAND,
  SHOW_SPIN_COMMAND,
  type SpinItem,
  SpinsModel,
  SpinsTreeProvider,
  compareSpinsArgs,
  compareWithSourceArgs,
  outcomeText,
  registerSpinsTree,
  selectedSpins,
  spinRow,
} from '../../extension/src/spinsTree';
import { loadFixtures } from './fixtures';

const fixtures = loadFixtures();
const URI = 'file:///work/project/flow.py';

function events(name: keyof ReturnType<typeof loadFixtures>): SpinEvent[] {
  return fixtures[name].map((e) => normalizeEvent(e as unknown as SpinEvent));
}

/** A spin of the fixture's `train` that finishes ok, or one of `step` that fails before starting. */
function spin(store: SpinStore, step: string, outcome: 'ok' | 'failed'): SpinRecord {
  const record = store.begin(URI, step);
  if (outcome === 'ok') for (const e of events('ok')) store.route(URI, e);
  else store.complete(record, undefined, 'the server went away\nmore');
  return record;
}

describe('the Spins view', () => {
  it('groups spins by step, newest step and newest spin first, with outcome and changed count', () => {
    let now = Date.UTC(2026, 0, 1, 10, 0, 0);
    const store = new SpinStore(undefined, () => (now += 1000));
    const model = new SpinsModel();
    store.onDidChange(({ record }) => model.seen(record));
    const first = spin(store, 'train', 'ok');
    spin(store, 'start', 'failed');
    const groups = model.children();
    expect(groups.map((g) => spinRow(g, model.all()).label)).toEqual(['start', 'train']);
    expect(spinRow(groups[1] as (typeof groups)[number], model.all()).description).toBe('flow.py · 1 spin');
    const trainSpins = model.children(groups[1]);
    expect(trainSpins).toHaveLength(1);
    const row = spinRow(trainSpins[0] as SpinItem, model.all());
    expect(row.label).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(row.description).toBe('ok · 12 changed');
    expect((trainSpins[0] as SpinItem).record).toBe(first);
    const failed = spinRow(model.children(groups[0])[0] as SpinItem, model.all());
    expect(failed.description).toBe('failed: the server went away');
  });

  it('says a spin is queued or running until it ends', () => {
    const store = new SpinStore();
    const record = store.begin(URI, 'train');
    expect(outcomeText(record)).toBe('queued');
    store.route(URI, events('ok')[0] as SpinEvent);
    expect(['running', 'queued']).toContain(outcomeText(record));
  });

  it('shows a selected spin in the panel, and ignores anything else as the argument', () => {
    const store = new SpinStore();
    const shown: SpinRecord[] = [];
    const disposables = registerSpinsTree({ store, panel: { show: (record) => shown.push(record) }, ...compareContext().ctx });
    const record = spin(store, 'train', 'ok');
    const provider = new SpinsTreeProvider(new SpinsModel());
    expect(provider.getChildren()).toEqual([]);
    void vscode.commands.executeCommand(SHOW_SPIN_COMMAND, { kind: 'spin', record });
    void vscode.commands.executeCommand(SHOW_SPIN_COMMAND, { kind: 'spin', record: { ...record } });
    void vscode.commands.executeCommand(SHOW_SPIN_COMMAND, 'train');
    expect(shown).toEqual([record]);
    for (const d of disposables) d.dispose();
  });

  it('makes a spin row a leaf whose click runs the show command', () => {
    const store = new SpinStore();
    const model = new SpinsModel();
    store.onDidChange(({ record }) => model.seen(record));
    spin(store, 'train', 'ok');
    const provider = new SpinsTreeProvider(model);
    const [group] = provider.getChildren();
    const [item] = provider.getChildren(group);
    const treeItem = provider.getTreeItem(item as SpinItem) as unknown as { collapsibleState: number; command: { command: string } };
    expect(treeItem.collapsibleState).toBe(0);
    expect(treeItem.command.command).toBe(SHOW_SPIN_COMMAND);
  });

  it('compares two selected spins (older first) and a spin with its source task', async () => {
    let now = Date.UTC(2026, 0, 1, 10, 0, 0);
    const store = new SpinStore(undefined, () => (now += 1000));
    const { ctx, asked } = compareContext();
    const disposables = registerSpinsTree({ store, panel: { show: () => undefined }, ...ctx });
    const view = (vscode as unknown as { views: { id: string; options: { canSelectMany?: boolean }; selection: unknown[] }[] }).views.at(-1);
    expect(view?.options.canSelectMany).toBe(true);
    const older: SpinItem = { kind: 'spin', record: recordedSpin(store, `${HISTORY}/a1`) };
    const newer: SpinItem = { kind: 'spin', record: recordedSpin(store, `${HISTORY}/b2`) };
    // From the context menu: the clicked item and the selection, in any order.
    await vscode.commands.executeCommand(COMPARE_SPINS_COMMAND, newer, [newer, older]);
    expect(asked).toEqual([{ uri: URI, a: `${HISTORY}/a1`, b: `${HISTORY}/b2` }]);
    // From the view title: the view's selection.
    if (view) view.selection = [older, newer];
    await vscode.commands.executeCommand(COMPARE_SPINS_COMMAND);
    expect(asked[1]).toEqual(asked[0]);
    await vscode.commands.executeCommand(COMPARE_WITH_SOURCE_COMMAND, newer);
    expect(asked[2]).toEqual({ uri: URI, a: 'TrainingFlow/1795787965748688/train/3', b: `${HISTORY}/b2` });
    expect(compareTitle(asked[2]?.a ?? '', asked[2]?.b ?? '')).toBe('Compare 1795787965748688/train/3 ↔ spin b2 of train');
    for (const d of disposables) d.dispose();
  });

  it('compares nothing but two finished spins of the view', () => {
    const store = new SpinStore();
    const model = new SpinsModel();
    store.onDidChange(({ record }) => model.seen(record));
    const done: SpinItem = { kind: 'spin', record: recordedSpin(store, `${HISTORY}/a1`) };
    const failed: SpinItem = { kind: 'spin', record: spin(store, 'train', 'failed') };
    expect(compareSpinsArgs([done])).toMatch(/two spins/);
    expect(compareSpinsArgs([done, failed])).toMatch(/only finished spins/);
    expect(compareWithSourceArgs(failed)).toMatch(/only a finished spin/);
    const elsewhere = { ...done, record: { ...done.record, uri: 'file:///other.py' } };
    expect(compareSpinsArgs([done, elsewhere])).toMatch(/different flow files/);
    // A look-alike of a spin this view did not list is no argument.
    expect(selectedSpins(model, { ...done, record: { ...done.record } }, undefined, [])).toEqual([]);
    expect(selectedSpins(model, done, undefined, [])).toEqual([done]);
  });
});

const HISTORY = '/work/project/.spinlens/TrainingFlow/train';

/** A spin of the fixture's `train` that finishes ok, recorded in the history at `folder`. */
function recordedSpin(store: SpinStore, folder: string): SpinRecord {
  const record = store.begin(URI, 'train');
  const spinId = folder.split('/').pop() ?? folder; // events go to the spin with their id
  for (const e of events('ok')) store.route(URI, e.event === 'finished' ? { ...e, spin_id: spinId, record: folder } : { ...e, spin_id: spinId });
  return record;
}

/** A server that answers every compare (and records what it was asked). */
function compareContext(): { ctx: { server: { execute(c: unknown, a: CompareArgs): Promise<CompareResult> }; extensionUri: vscode.Uri }; asked: CompareArgs[] } {
  const asked: CompareArgs[] = [];
  const server = {
    execute: (command: unknown, args: CompareArgs): Promise<CompareResult> => {
      expect(command).toBe(ServerCommand.explorerCompare);
      asked.push(args);
      return Promise.resolve({ a: args.a, b: args.b, parameters: [], artifacts: [], metrics: [], truncated: false });
    },
  };
  return { ctx: { server, extensionUri: vscode.Uri.file('/ext') }, asked };
}
