/**
 * The Runs view of the Spinlens container: flows of the workspace -> runs ->
 * steps -> tasks -> artifacts, read lazily and in pages from the server (which
 * reads Metaflow's Client; the extension host never does). A "Load more…" row
 * ends a page that has more. The pure part (`RunsModel`: nodes, labels, paging)
 * is what the unit tests drive; `RunsTreeProvider` only maps it onto VS Code.
 */
import * as vscode from 'vscode';
import { showCards } from './cardView';
import { type CommandContext, runSpin } from './commands';
import { showComparison } from './comparePanel';
import { clip, formatAge, formatSize, shortType } from './format';
import {
  ClientCommand,
  type ExplorerArtifact,
  type ExplorerFlow,
  type ExplorerRun,
  type ExplorerRunsResult,
  type ExplorerStep,
  type ExplorerTask,
  type ExplorerTasksResult,
  RunsChangedNotification,
  ServerCommand,
} from './protocol';
import type { SpinlensServer } from './server';

export const RUNS_VIEW = 'spinlens.runs';
export const PAGE_SIZE = 50;
const DESCRIPTION_CHARS = 80;

/** What the tree reads; `explorerSource` implements it with the server's commands. */
export interface RunsSource {
  flows(): Promise<ExplorerFlow[]>;
  runs(flow: ExplorerFlow, offset: number, limit: number): Promise<ExplorerRunsResult>;
  steps(flow: ExplorerFlow, runId: string): Promise<ExplorerStep[]>;
  tasks(flow: ExplorerFlow, runId: string, step: string, offset: number, limit: number): Promise<ExplorerTasksResult>;
  artifacts(flow: ExplorerFlow, pathspec: string): Promise<ExplorerArtifact[]>;
}

export interface FlowNode {
  kind: 'flow';
  flow: ExplorerFlow;
}
export interface RunNode {
  kind: 'run';
  flow: ExplorerFlow;
  run: ExplorerRun;
}
export interface StepNode {
  kind: 'step';
  flow: ExplorerFlow;
  runId: string;
  step: string;
}
export interface TaskNode {
  kind: 'task';
  flow: ExplorerFlow;
  runId: string;
  step: string;
  task: ExplorerTask;
}
export interface ArtifactNode {
  kind: 'artifact';
  flow: ExplorerFlow;
  /** The task's Flow/run/step/task. */
  pathspec: string;
  artifact: ExplorerArtifact;
}
export interface MoreNode {
  kind: 'more';
  parent: FlowNode | StepNode;
}
export interface MessageNode {
  kind: 'message';
  text: string;
}
export type RunsNode = FlowNode | RunNode | StepNode | TaskNode | ArtifactNode | MoreNode | MessageNode;

/** A node's row, independent of VS Code's TreeItem (so the tests read it plainly). */
export interface Row {
  label: string;
  description?: string;
  tooltip?: string;
  /** For `view/item/context` menus: `spinlens.run`, `spinlens.task`, ... */
  contextValue?: string;
  expandable: boolean;
  /** The command a click runs, with the node as its argument. */
  command?: string;
}

export const LOAD_MORE_COMMAND = ClientCommand.runsLoadMore;
export const OPEN_ARTIFACT_COMMAND = ClientCommand.runsOpenArtifact;

export function taskPathspec(node: TaskNode): string {
  return `${node.flow.flow}/${node.runId}/${node.step}/${node.task.taskId}`;
}

export function runPathspec(node: RunNode): string {
  return `${node.flow.flow}/${node.run.runId}`;
}

/** One line for a run: status, age, user. */
export function runDescription(run: ExplorerRun, nowMs: number): string {
  return [run.status, formatAge(run.created, nowMs), run.user].filter((p): p is string => !!p).join(' · ');
}

export function runTooltip(run: ExplorerRun): string {
  const parameters = Object.entries(run.parameters).map(([name, value]) => `  ${name} = ${value}`);
  return [
    `run ${run.runId} (${run.status})`,
    run.user ? `user: ${run.user}` : undefined,
    parameters.length ? `parameters:\n${parameters.join('\n')}` : 'no parameters',
    run.tags.length ? `tags: ${run.tags.join(', ')}` : undefined,
  ]
    .filter((p): p is string => p !== undefined)
    .join('\n');
}

export function taskLabel(task: ExplorerTask): string {
  if (task.index === null) return `task ${task.taskId}`;
  const value = task.value !== null ? `${task.var ?? 'value'}=${task.value}` : `${task.var ?? 'index'}`;
  return `[${task.index}] ${value}`;
}

/** An artifact's one-line summary: type, size and the short value (first line). */
export function artifactDescription(artifact: ExplorerArtifact): string {
  const parts = [shortType(artifact.type), formatSize(artifact.size)];
  const value = artifact.value === null ? '(too large to show here)' : artifact.value.split('\n')[0] ?? '';
  return clip([...parts, value].filter((p) => p !== '').join(' · '), DESCRIPTION_CHARS);
}

export function rowOf(node: RunsNode, nowMs: number = Date.now()): Row {
  switch (node.kind) {
    case 'flow':
      return { label: node.flow.flow, tooltip: node.flow.path, contextValue: 'spinlens.flow', expandable: true };
    case 'run':
      return {
        label: `run ${node.run.runId}`,
        description: runDescription(node.run, nowMs),
        tooltip: runTooltip(node.run),
        contextValue: 'spinlens.run',
        expandable: true,
      };
    case 'step':
      return { label: node.step, contextValue: 'spinlens.step', expandable: true };
    case 'task':
      return {
        label: taskLabel(node.task),
        description: `task ${node.task.taskId} · ${node.task.status}`,
        tooltip: taskPathspec(node),
        contextValue: 'spinlens.task',
        expandable: true,
      };
    case 'artifact':
      return {
        label: node.artifact.name,
        description: artifactDescription(node.artifact),
        tooltip: `${node.artifact.name}: ${node.artifact.type}, ${formatSize(node.artifact.size)}\n${
          node.artifact.value ?? '(too large to show here)'
        }`,
        contextValue: 'spinlens.artifact',
        expandable: false,
        command: OPEN_ARTIFACT_COMMAND,
      };
    case 'more':
      return { label: 'Load more…', contextValue: 'spinlens.more', expandable: false, command: LOAD_MORE_COMMAND };
    case 'message':
      return { label: node.text, expandable: false };
  }
}

interface Paged {
  items: RunsNode[];
  offset: number;
  more: boolean;
}

/** The tree's nodes and pages; `changed` fires with the node whose children changed. */
export class RunsModel {
  private readonly pages = new Map<FlowNode | StepNode, Paged>();
  private readonly known = new WeakSet<RunsNode>();
  private flowNodes: FlowNode[] | undefined;
  readonly changed = new vscode.EventEmitter<RunsNode | undefined>();

  constructor(
    private readonly source: RunsSource,
    private readonly pageSize: number = PAGE_SIZE,
  ) {}

  /** Whether `value` is a node this model made (command arguments are checked). */
  owns(value: unknown): value is RunsNode {
    return typeof value === 'object' && value !== null && this.known.has(value as RunsNode);
  }

  private keep<T extends RunsNode>(node: T): T {
    this.known.add(node);
    return node;
  }

  async children(node?: RunsNode): Promise<RunsNode[]> {
    try {
      return await this.read(node);
    } catch (error) {
      return [this.keep({ kind: 'message', text: `Cannot read: ${error instanceof Error ? error.message : String(error)}` })];
    }
  }

  private async read(node?: RunsNode): Promise<RunsNode[]> {
    if (node === undefined) {
      const flows = await this.source.flows();
      this.flowNodes = flows.map((flow) => this.keep({ kind: 'flow', flow }));
      if (!this.flowNodes.length) return [this.keep({ kind: 'message', text: 'No Metaflow flows in this workspace' })];
      return this.flowNodes;
    }
    switch (node.kind) {
      case 'flow':
      case 'step':
        return this.paged(node);
      case 'run': {
        const steps = await this.source.steps(node.flow, node.run.runId);
        return steps.map((s) => this.keep({ kind: 'step', flow: node.flow, runId: node.run.runId, step: s.name }));
      }
      case 'task': {
        const pathspec = taskPathspec(node);
        const artifacts = await this.source.artifacts(node.flow, pathspec);
        if (!artifacts.length) return [this.keep({ kind: 'message', text: 'No artifacts' })];
        return artifacts.map((artifact) => this.keep({ kind: 'artifact', flow: node.flow, pathspec, artifact }));
      }
      default:
        return [];
    }
  }

  private async paged(node: FlowNode | StepNode): Promise<RunsNode[]> {
    let page = this.pages.get(node);
    if (page === undefined) {
      page = { items: [], offset: 0, more: true };
      this.pages.set(node, page);
      await this.fetchPage(node, page);
    }
    const rows = [...page.items];
    if (page.more) rows.push(this.keep({ kind: 'more', parent: node }));
    if (!rows.length) rows.push(this.keep({ kind: 'message', text: node.kind === 'flow' ? 'No runs yet' : 'No tasks' }));
    return rows;
  }

  private async fetchPage(node: FlowNode | StepNode, page: Paged): Promise<void> {
    if (node.kind === 'flow') {
      const found = await this.source.runs(node.flow, page.offset, this.pageSize);
      page.items.push(...found.runs.map((run) => this.keep({ kind: 'run' as const, flow: node.flow, run })));
      page.offset += found.runs.length;
      page.more = found.more && found.runs.length > 0;
    } else {
      const found = await this.source.tasks(node.flow, node.runId, node.step, page.offset, this.pageSize);
      page.items.push(
        ...found.tasks.map((task) =>
          this.keep({ kind: 'task' as const, flow: node.flow, runId: node.runId, step: node.step, task }),
        ),
      );
      page.offset += found.tasks.length;
      page.more = found.more && found.tasks.length > 0;
    }
  }

  /** The "Load more…" row's action: the next page is appended to its parent. */
  async loadMore(node: MoreNode): Promise<void> {
    const page = this.pages.get(node.parent);
    if (page === undefined || !page.more) return;
    await this.fetchPage(node.parent, page);
    this.changed.fire(node.parent);
  }

  /** The runs of `flowName` again (a new run appeared), or everything. */
  refresh(flowName?: string): void {
    if (flowName === undefined) {
      this.pages.clear();
      this.flowNodes = undefined;
      this.changed.fire(undefined);
      return;
    }
    const node = this.flowNodes?.find((f) => f.flow.flow === flowName);
    if (!node) return;
    this.pages.delete(node);
    this.changed.fire(node);
  }

  /** Every run of the flow listed so far (the choices of "Compare with…"). */
  listedRuns(flow: ExplorerFlow): RunNode[] {
    const node = this.flowNodes?.find((f) => f.flow.flow === flow.flow);
    const page = node ? this.pages.get(node) : undefined;
    return (page?.items ?? []).filter((n): n is RunNode => n.kind === 'run');
  }

  /** Every task of the step listed so far. */
  listedTasks(node: TaskNode): TaskNode[] {
    for (const [parent, page] of this.pages) {
      if (parent.kind === 'step' && parent.runId === node.runId && parent.step === node.step && parent.flow.flow === node.flow.flow) {
        return page.items.filter((n): n is TaskNode => n.kind === 'task');
      }
    }
    return [];
  }
}

/** The VS Code side: rows become TreeItems. */
export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode> {
  readonly onDidChangeTreeData: vscode.Event<RunsNode | undefined>;

  constructor(readonly model: RunsModel) {
    this.onDidChangeTreeData = model.changed.event;
  }

  getTreeItem(node: RunsNode): vscode.TreeItem {
    const row = rowOf(node);
    const item = new vscode.TreeItem(
      row.label,
      row.expandable ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    if (row.description !== undefined) item.description = row.description;
    if (row.tooltip !== undefined) item.tooltip = row.tooltip;
    if (row.contextValue !== undefined) item.contextValue = row.contextValue;
    if (row.command !== undefined) item.command = { command: row.command, title: row.label, arguments: [node] };
    return item;
  }

  getChildren(node?: RunsNode): Promise<RunsNode[]> {
    return this.model.children(node);
  }
}

// ---------------------------------------------------------------------------
// Registration: the view, its actions, and refreshes on `spinlens/runsChanged`
// ---------------------------------------------------------------------------

export const REFRESH_COMMAND = ClientCommand.runsRefresh;
export const USE_AS_SOURCE_COMMAND = ClientCommand.runsUseAsSourceRun;
export const SPIN_TASK_COMMAND = ClientCommand.runsSpinTask;
export const COMPARE_COMMAND = ClientCommand.runsCompareWith;
export const SHOW_CARDS_COMMAND = ClientCommand.runsShowCards;
/** The value viewer's command (valueViewer.ts), used for an artifact when it is there. */
export const OPEN_VALUE_COMMAND = ClientCommand.openValue;
const VALUE_SCHEME = 'spinlens-artifact';

/** The server's explorer commands as a RunsSource. */
export function explorerSource(server: Pick<SpinlensServer, 'execute'>): RunsSource {
  return {
    flows: async () => (await server.execute(ServerCommand.explorerFlows, {})).flows,
    runs: (flow, offset, limit) => server.execute(ServerCommand.explorerRuns, { uri: flow.uri, flow: flow.flow, offset, limit }),
    steps: async (flow, run) => (await server.execute(ServerCommand.explorerSteps, { uri: flow.uri, flow: flow.flow, run })).steps,
    tasks: (flow, run, step, offset, limit) =>
      server.execute(ServerCommand.explorerTasks, { uri: flow.uri, flow: flow.flow, run, step, offset, limit }),
    artifacts: async (flow, pathspec) =>
      (await server.execute(ServerCommand.explorerArtifacts, { uri: flow.uri, pathspec })).artifacts,
  };
}

/** What the actions need; `commands.ts`'s context plus the extension's folder. */
export interface RunsTreeContext extends CommandContext {
  extensionUri: vscode.Uri;
}

/**
 * The hook for selecting an artifact: the value viewer (`spinlens.openValue`
 * with `{uri, name, task}`) when it is registered, else the bounded text the
 * tree holds, in a read-only editor.
 */
export async function openArtifactValue(node: ArtifactNode, texts: Map<string, string>): Promise<void> {
  const commands = await vscode.commands.getCommands(true);
  if (commands.includes(OPEN_VALUE_COMMAND)) {
    await vscode.commands.executeCommand(OPEN_VALUE_COMMAND, { uri: node.flow.uri, name: node.artifact.name, task: node.pathspec });
    return;
  }
  const uri = vscode.Uri.parse(`${VALUE_SCHEME}:/${encodeURIComponent(`${node.pathspec}/${node.artifact.name}`)}.txt`);
  texts.set(uri.toString(), `${node.pathspec} ${node.artifact.name}\n${rowOf(node).tooltip ?? ''}\n`);
  await vscode.window.showTextDocument(uri, { preview: true });
}

/** The choices of "Compare with…": the other runs listed, or the step's other tasks. */
export function compareChoices(model: RunsModel, node: RunNode | TaskNode): { label: string; description: string; pathspec: string }[] {
  if (node.kind === 'run') {
    return model
      .listedRuns(node.flow)
      .filter((other) => other.run.runId !== node.run.runId)
      .map((other) => ({ label: `run ${other.run.runId}`, description: runDescription(other.run, Date.now()), pathspec: runPathspec(other) }));
  }
  return model
    .listedTasks(node)
    .filter((other) => other.task.taskId !== node.task.taskId)
    .map((other) => ({ label: taskLabel(other.task), description: `task ${other.task.taskId}`, pathspec: taskPathspec(other) }));
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function registerRunsTree(ctx: RunsTreeContext): vscode.Disposable[] {
  const model = new RunsModel(explorerSource(ctx.server));
  const provider = new RunsTreeProvider(model);
  const texts = new Map<string, string>();
  const view = vscode.window.createTreeView(RUNS_VIEW, { treeDataProvider: provider, showCollapseAll: true });
  // The notification is registered on each new language client (a restart makes one).
  let listening: unknown;
  const listen = async (): Promise<void> => {
    const client = await ctx.server.ready();
    if (!client || client === listening) return;
    listening = client;
    client.onNotification(RunsChangedNotification.method, (raw: unknown) => {
      const params = RunsChangedNotification.parse(raw);
      if (params) model.refresh(params.flow);
    });
  };
  const spinTask = async (node: TaskNode): Promise<void> => {
    const uri = node.flow.uri;
    try {
      await ctx.server.execute(ServerCommand.setSourceRun, { uri, runId: node.runId });
      if (node.task.index !== null) {
        await ctx.server.execute(ServerCommand.setTask, { uri, step: node.step, flow: node.flow.flow, index: node.task.index });
      }
    } catch (error) {
      void vscode.window.showErrorMessage(`Spinlens: cannot spin this task: ${errorText(error)}`);
      return;
    }
    await runSpin(ctx, { uri, step: node.step, flow: node.flow.flow }, false, node.task.index ?? undefined);
  };
  const compareWith = async (node: RunNode | TaskNode): Promise<void> => {
    const choices = compareChoices(model, node);
    if (!choices.length) {
      void vscode.window.showInformationMessage(
        node.kind === 'run' ? 'Spinlens: no other run of this flow is listed.' : 'Spinlens: no other task of this step is listed.',
      );
      return;
    }
    const picked = await vscode.window.showQuickPick(choices, { title: 'Spinlens: compare with…', matchOnDescription: true });
    if (!picked) return;
    const a = node.kind === 'run' ? runPathspec(node) : taskPathspec(node);
    showComparison(ctx.extensionUri, a, picked.pathspec, ctx.server.execute(ServerCommand.explorerCompare, { uri: node.flow.uri, a, b: picked.pathspec }));
  };
  const onNode = <K extends RunsNode['kind']>(kinds: K[], action: (node: Extract<RunsNode, { kind: K }>) => unknown) =>
    (arg: unknown): void => {
      if (model.owns(arg) && (kinds as string[]).includes(arg.kind)) void action(arg as Extract<RunsNode, { kind: K }>);
    };
  void listen();
  return [
    view,
    model.changed,
    ctx.server.onState((state) => {
      if (state === 'running') void listen();
    }),
    vscode.workspace.registerTextDocumentContentProvider(VALUE_SCHEME, {
      provideTextDocumentContent: (uri) => texts.get(uri.toString()) ?? '',
    }),
    vscode.commands.registerCommand(REFRESH_COMMAND, () => model.refresh()),
    vscode.commands.registerCommand(LOAD_MORE_COMMAND, onNode(['more'], (node) => model.loadMore(node))),
    vscode.commands.registerCommand(OPEN_ARTIFACT_COMMAND, onNode(['artifact'], (node) => openArtifactValue(node, texts))),
    vscode.commands.registerCommand(
      USE_AS_SOURCE_COMMAND,
      onNode(['run'], async (node) => {
        try {
          await ctx.server.execute(ServerCommand.setSourceRun, { uri: node.flow.uri, runId: node.run.runId });
          void vscode.window.showInformationMessage(`Spinlens: spins of ${node.flow.flow} use run ${node.run.runId}.`);
        } catch (error) {
          void vscode.window.showErrorMessage(`Spinlens: cannot set the source run: ${errorText(error)}`);
        }
      }),
    ),
    vscode.commands.registerCommand(SPIN_TASK_COMMAND, onNode(['task'], spinTask)),
    vscode.commands.registerCommand(COMPARE_COMMAND, onNode(['run', 'task'], compareWith)),
    vscode.commands.registerCommand(
      SHOW_CARDS_COMMAND,
      onNode(['task'], (node) => {
        const pathspec = taskPathspec(node);
        showCards(ctx.extensionUri, pathspec, ctx.server.execute(ServerCommand.explorerCards, { uri: node.flow.uri, pathspec }));
      }),
    ),
  ];
}
