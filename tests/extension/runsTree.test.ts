/**
 * The Runs tree's logic (extension/src/runsTree.ts): its levels, the rows'
 * labels (run id, step name, artifact name and value summary), "Load more…"
 * paging, the "Compare with…" choices, and the VS Code mapping of a row.
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
  return { ...original, TreeItem, TreeItemCollapsibleState: { None: 0, Collapsed: 1, Expanded: 2 } };
});

import * as vscode from 'vscode';
import { mock } from './mocks/vscode';
import type {
  ExplorerArtifact,
  ExplorerCardsResult,
  ExplorerFlow,
  ExplorerRun,
  ExplorerTask,
} from '../../extension/src/protocol';
import {
  type ArtifactNode,
  type MoreNode,
  type RunNode,
  type RunsNode,
  type RunsSource,
  type TaskNode,
  LOAD_MORE_COMMAND,
  OPEN_ARTIFACT_COMMAND,
  SHOW_CARDS_COMMAND,
  RunsModel,
  RunsTreeProvider,
  artifactDescription,
  compareChoices,
  explorerSource,
  registerRunsTree,
  rowOf,
  runTooltip,
  taskLabel,
} from '../../extension/src/runsTree';

const FLOW: ExplorerFlow = { flow: 'ParamFlow', uri: 'file:///w/param_flow.py', path: '/w/param_flow.py' };
const NOW = 1_800_000_000_000;

function run(id: number, alpha = '0.5'): ExplorerRun {
  return {
    runId: String(id),
    status: 'ok',
    created: NOW / 1000 - 120,
    user: 'ana',
    tags: ['nightly'],
    parameters: { alpha },
  };
}

function task(id: number, index: number | null, value: string | null = null): ExplorerTask {
  return { taskId: String(id), status: 'ok', index, var: index === null ? null : 'items', value };
}

/** A fake server with `runs` runs and `tasks` tasks in the step, recording what was asked. */
function source(runs = 3, tasks = 5): RunsSource & { calls: string[] } {
  const calls: string[] = [];
  const allRuns = Array.from({ length: runs }, (_, i) => run(100 - i, String(i / 10)));
  const allTasks = Array.from({ length: tasks }, (_, i) => task(i + 2, i, `v${i}`));
  const artifacts: ExplorerArtifact[] = [
    { name: 'score', type: 'float', size: 20, value: '5.0' },
    { name: 'table', type: 'pandas.core.frame.DataFrame', size: 4_000_000, value: null },
  ];
  return {
    calls,
    flows: () => {
      calls.push('flows');
      return Promise.resolve([FLOW]);
    },
    runs: (_flow, offset, limit) => {
      calls.push(`runs ${offset} ${limit}`);
      const page = allRuns.slice(offset, offset + limit);
      return Promise.resolve({ runs: page, total: allRuns.length, more: offset + page.length < allRuns.length });
    },
    steps: (_flow, runId) => {
      calls.push(`steps ${runId}`);
      return Promise.resolve(['start', 'fan', 'end'].map((name, i) => ({ name, created: i })));
    },
    tasks: (_flow, runId, step, offset, limit) => {
      calls.push(`tasks ${runId} ${step} ${offset} ${limit}`);
      const page = allTasks.slice(offset, offset + limit);
      return Promise.resolve({ tasks: page, total: allTasks.length, more: offset + page.length < allTasks.length });
    },
    artifacts: (_flow, pathspec) => {
      calls.push(`artifacts ${pathspec}`);
      return Promise.resolve(artifacts);
    },
  };
}

const labels = (nodes: RunsNode[]): string[] => nodes.map((n) => rowOf(n, NOW).label);

async function walk(model: RunsModel): Promise<{ flow: RunsNode; runNode: RunNode; step: RunsNode; taskNode: TaskNode; artifacts: RunsNode[] }> {
  const [flow] = await model.children();
  const runs = await model.children(flow);
  const runNode = runs[0] as RunNode;
  const steps = await model.children(runNode);
  const step = steps[1] as RunsNode;
  const tasks = await model.children(step);
  const taskNode = tasks[0] as TaskNode;
  const artifacts = await model.children(taskNode);
  return { flow: flow as RunsNode, runNode, step, taskNode, artifacts };
}

describe('the Runs tree', () => {
  it('goes flows -> runs -> steps -> tasks -> artifacts, with the ids and names in the labels', async () => {
    const fake = source();
    const model = new RunsModel(fake);
    const { flow, runNode, step, taskNode, artifacts } = await walk(model);
    expect(rowOf(flow).label).toBe('ParamFlow');
    expect(rowOf(runNode, NOW).label).toContain('100');
    expect(rowOf(runNode, NOW).description).toBe('ok · 2 min ago · ana');
    expect(rowOf(runNode, NOW).contextValue).toBe('spinlens.run');
    expect(rowOf(step).label).toBe('fan');
    expect(rowOf(taskNode).label).toBe('[0] items=v0');
    expect(rowOf(taskNode).contextValue).toBe('spinlens.task');
    expect(labels(artifacts)).toEqual(['score', 'table']);
    const score = rowOf(artifacts[0] as ArtifactNode);
    expect(score.description).toContain('float');
    expect(score.description).toContain('5.0');
    expect(score.command).toBe(OPEN_ARTIFACT_COMMAND);
    expect(rowOf(artifacts[1] as ArtifactNode).description).toContain('too large');
    expect(fake.calls).toEqual([
      'flows',
      'runs 0 50',
      'steps 100',
      'tasks 100 fan 0 50',
      'artifacts ParamFlow/100/fan/2',
    ]);
  });

  it('ends a page with "Load more…", which appends the next page', async () => {
    const fake = source(5, 0);
    const model = new RunsModel(fake, 2);
    const [flow] = await model.children();
    let rows = await model.children(flow);
    expect(labels(rows)).toEqual(['run 100', 'run 99', 'Load more…']);
    const more = rows[2] as MoreNode;
    expect(rowOf(more).command).toBe(LOAD_MORE_COMMAND);
    const fired: unknown[] = [];
    model.changed.event((node) => fired.push(node));
    await model.loadMore(more);
    expect(fired).toEqual([flow]);
    rows = await model.children(flow);
    expect(labels(rows)).toEqual(['run 100', 'run 99', 'run 98', 'run 97', 'Load more…']);
    await model.loadMore(rows[4] as MoreNode);
    rows = await model.children(flow);
    expect(labels(rows)).toEqual(['run 100', 'run 99', 'run 98', 'run 97', 'run 96']);
    expect(fake.calls.filter((c) => c.startsWith('runs'))).toEqual(['runs 0 2', 'runs 2 2', 'runs 4 2']);
  });

  it('pages a step with many tasks the same way', async () => {
    const fake = source(1, 7);
    const model = new RunsModel(fake, 3);
    const { step } = await walk(model);
    const rows = await model.children(step);
    expect(labels(rows)).toEqual(['[0] items=v0', '[1] items=v1', '[2] items=v2', 'Load more…']);
    await model.loadMore(rows[3] as MoreNode);
    expect(labels(await model.children(step))).toHaveLength(7); // 6 tasks and Load more
  });

  it('refreshes one flow on runsChanged: its runs are read again', async () => {
    const fake = source();
    const model = new RunsModel(fake);
    const [flow] = await model.children();
    await model.children(flow);
    await model.children(flow); // cached
    const fired: unknown[] = [];
    model.changed.event((node) => fired.push(node));
    model.refresh('ParamFlow');
    model.refresh('OtherFlow'); // not listed: nothing
    expect(fired).toEqual([flow]);
    await model.children(flow);
    expect(fake.calls.filter((c) => c.startsWith('runs'))).toHaveLength(2);
  });

  it('shows an error as a row, and an empty workspace says so', async () => {
    const failing: RunsSource = { ...source(), runs: () => Promise.reject(new Error('no Metaflow here')) };
    const model = new RunsModel(failing);
    const [flow] = await model.children();
    expect(labels(await model.children(flow))).toEqual(['Cannot read: no Metaflow here']);
    const empty = new RunsModel({ ...source(), flows: () => Promise.resolve([]) });
    expect(labels(await empty.children())).toEqual(['No Metaflow flows in this workspace']);
  });

  it('accepts as command arguments only the nodes it made', async () => {
    const model = new RunsModel(source());
    const [flow] = await model.children();
    expect(model.owns(flow)).toBe(true);
    expect(model.owns({ kind: 'flow', flow: FLOW })).toBe(false);
    expect(model.owns('run 100')).toBe(false);
  });

  it('offers the other listed runs, or the other tasks of the step, to compare with', async () => {
    const model = new RunsModel(source(3, 3));
    const { runNode, taskNode } = await walk(model);
    expect(compareChoices(model, runNode).map((c) => c.pathspec)).toEqual(['ParamFlow/99', 'ParamFlow/98']);
    expect(compareChoices(model, taskNode).map((c) => [c.label, c.pathspec])).toEqual([
      ['[1] items=v1', 'ParamFlow/100/fan/3'],
      ['[2] items=v2', 'ParamFlow/100/fan/4'],
    ]);
  });

  it('puts parameters and tags in the run tooltip, and reads plain tasks by id', () => {
    const tooltip = runTooltip(run(7, '0.9'));
    expect(tooltip).toContain('alpha = 0.9');
    expect(tooltip).toContain('tags: nightly');
    expect(taskLabel(task(12, null))).toBe('task 12');
    expect(artifactDescription({ name: 'x', type: 'str', size: 10, value: "'a'\n'b'" })).toBe("str · 10 B · 'a'");
  });

  it('maps rows onto TreeItems: collapsible levels, a leaf artifact that opens its value', async () => {
    const model = new RunsModel(source());
    const provider = new RunsTreeProvider(model);
    const { runNode, artifacts } = await walk(model);
    const runItem = provider.getTreeItem(runNode) as unknown as { collapsibleState: number; contextValue: string };
    expect(runItem.collapsibleState).toBe(1);
    expect(runItem.contextValue).toBe('spinlens.run');
    const artifactItem = provider.getTreeItem(artifacts[0] as RunsNode) as unknown as {
      collapsibleState: number;
      command: { command: string; arguments: unknown[] };
    };
    expect(artifactItem.collapsibleState).toBe(0);
    expect(artifactItem.command.command).toBe(OPEN_ARTIFACT_COMMAND);
    expect(artifactItem.command.arguments).toEqual([artifacts[0]]);
  });

  it('reads through the server commands with the flow file and paging arguments', async () => {
    const asked: [string, unknown][] = [];
    const server = {
      execute: (command: { name: string }, args: unknown) => {
        asked.push([command.name, args]);
        return Promise.resolve({ runs: [], total: 0, more: false, flows: [], steps: [], tasks: [], artifacts: [] });
      },
    } as unknown as Parameters<typeof explorerSource>[0];
    const s = explorerSource(server);
    await s.runs(FLOW, 50, 25);
    await s.tasks(FLOW, '100', 'fan', 0, 10);
    expect(asked).toEqual([
      ['spinlens.server.explorer.runs', { uri: FLOW.uri, flow: 'ParamFlow', offset: 50, limit: 25 }],
      ['spinlens.server.explorer.tasks', { uri: FLOW.uri, flow: 'ParamFlow', run: '100', step: 'fan', offset: 0, limit: 10 }],
    ]);
  });

  it('opens a task\'s cards from the server in a strict webview that accepts only ready', async () => {
    mock.reset();
    const cards: ExplorerCardsResult = {
      pathspec: 'ParamFlow/100/start/2',
      cards: [{ type: 'blank', id: null, html: '<p>report</p>', size: 13, note: null }],
      truncated: false,
    };
    const asked: [string, unknown][] = [];
    const fake = source();
    const server = {
      execute: (command: { name: string }, args: { pathspec?: string }) => {
        asked.push([command.name, args]);
        if (command.name === 'spinlens.server.explorer.cards') return Promise.resolve({ ...cards, pathspec: args.pathspec });
        if (command.name === 'spinlens.server.explorer.flows') return Promise.resolve({ flows: [FLOW] });
        if (command.name === 'spinlens.server.explorer.runs') return fake.runs(FLOW, 0, 50);
        if (command.name === 'spinlens.server.explorer.steps') return Promise.resolve({ steps: [{ name: 'start', created: 0 }] });
        return fake.tasks(FLOW, '100', 'start', 0, 50);
      },
      ready: () => Promise.resolve(undefined),
      onState: () => ({ dispose: () => undefined }),
    };
    let provider: RunsTreeProvider | undefined;
    vi.spyOn(vscode.window, 'createTreeView').mockImplementation((_id, options) => {
      provider = (options as { treeDataProvider: RunsTreeProvider }).treeDataProvider;
      return { dispose: () => undefined } as unknown as vscode.TreeView<unknown>;
    });
    const ctx = { server, extensionUri: vscode.Uri.file('/ext') } as unknown as Parameters<typeof registerRunsTree>[0];
    const disposables = registerRunsTree(ctx);
    const [flow] = await (provider as RunsTreeProvider).getChildren();
    const [runNode] = await (provider as RunsTreeProvider).getChildren(flow);
    const [step] = await (provider as RunsTreeProvider).getChildren(runNode);
    const [taskNode] = (await (provider as RunsTreeProvider).getChildren(step)) as TaskNode[];
    // Only a node the tree made is an argument.
    await vscode.commands.executeCommand(SHOW_CARDS_COMMAND, { ...taskNode });
    expect(mock.panels).toHaveLength(0);
    await vscode.commands.executeCommand(SHOW_CARDS_COMMAND, taskNode);
    const pathspec = `ParamFlow/${taskNode?.runId}/start/${taskNode?.task.taskId}`;
    expect(asked.at(-1)).toEqual(['spinlens.server.explorer.cards', { uri: FLOW.uri, pathspec }]);
    const [panel] = mock.panels;
    expect(panel?.viewType).toBe('spinlens.cards');
    expect(panel?.title).toBe(`Cards of ${pathspec.split('/').slice(1).join('/')}`);
    expect(panel?.webview.html).toContain('cardView.js');
    expect(panel?.webview.html).toMatch(/script-src 'nonce-/);
    await Promise.resolve();
    panel?.webview.receive({ type: 'openFile', path: '/etc/passwd' }); // forged: ignored
    expect(panel?.webview.posted).toEqual([]);
    panel?.webview.receive({ type: 'ready' });
    expect(panel?.webview.posted).toEqual([{ type: 'cards', pathspec, cards: cards.cards, truncated: false }]);
    panel?.webview.receive({ type: 'ready' }); // once
    expect(panel?.webview.posted).toHaveLength(1);
    for (const d of disposables) d.dispose();
  });
});
