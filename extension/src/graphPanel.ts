/**
 * The flow graph view's host side: one webview panel drawing the DAG of one flow
 * document, from the server's static analysis of its current text.
 *
 * The registration code passes in how to fetch the graph and what "go to step",
 * "spin" and "debug" do, and calls `documentChanged` on every edit: the panel
 * debounces those, fetches again, and drops replies that a newer request
 * overtook. The webview is untrusted: it may only name a step of the graph on
 * display (graphMessages.parseFromGraphView, then a lookup here), and what a
 * step opens comes from the graph, never from the message.
 */
import * as vscode from 'vscode';
import {
  type FileGraph,
  type FromGraphView,
  type GraphNode,
  type StepOutcome,
  type ToGraphView,
  parseFileGraph,
  parseFromGraphView,
} from './graphMessages';
import { type SpinChange, type SpinRecord, changedCount } from './spins';
import { createStrictWebview } from './strictWebview';

export const GRAPH_VIEW_TYPE = 'spinlens.flowGraph';
/** Edits closer together than this make one request. */
export const GRAPH_DEBOUNCE_MS = 300;

/** A step of the document on display. */
export interface StepTarget {
  uri: string;
  flow: string;
  step: string;
}

/** Where a step is written: the document, or the module of a base flow. */
export interface StepLocation extends StepTarget {
  file: vscode.Uri;
  /** 0-based line of its `def`. */
  line: number;
}

export interface GraphPanelActions {
  /** The server's graph of the document's current text (checked here before use). */
  fetchGraph(uri: string): Promise<unknown>;
  openStep(location: StepLocation): unknown;
  spin(target: StepTarget): unknown;
  debug(target: StepTarget): unknown;
}

/** What the panel reads of the spins (SpinStore has it). */
export interface OutcomeSource {
  latest(uri: string, step?: string): SpinRecord | undefined;
  onDidChange(listener: (change: SpinChange) => void): { dispose(): void };
}

/** A spin as its step's node shows it; before its `started` event its flow is unknown (null: any flow's step). */
export function stepOutcome(record: SpinRecord): StepOutcome {
  const terminal = record.terminal;
  const status = record.state === 'pending' || record.state === 'running' ? 'running' : record.state;
  const started = record.events.find((e) => e.event === 'started');
  return {
    flow: started?.event === 'started' ? started.flow : null,
    step: record.step,
    status,
    changed: status === 'ok' ? changedCount(record) : 0,
    error: terminal?.event === 'failed' ? terminal.error : null,
  };
}

/** One spelling per document (as SpinStore's records and document URIs have it). */
function normalize(uri: string): string {
  try {
    return vscode.Uri.parse(uri, true).toString();
  } catch {
    return uri;
  }
}

export class FlowGraphPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private shownUri: string | undefined;
  private graph: FileGraph | undefined;
  private outcomes: StepOutcome[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Bumped per request (and per document switch): only the newest reply is shown. */
  private requests = 0;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly spins: OutcomeSource,
    private readonly actions: GraphPanelActions,
    private readonly output: vscode.OutputChannel,
    private readonly debounceMs = GRAPH_DEBOUNCE_MS,
  ) {
    this.subscription = spins.onDidChange((change) => this.onSpinChange(change));
  }

  /** The document on display, while the panel is open. */
  get uri(): string | undefined {
    return this.panel ? this.shownUri : undefined;
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Opens (or reveals) the panel on `uri`'s flows and fetches its graph now. */
  async show(documentUri: string, preserveFocus = true): Promise<void> {
    const uri = normalize(documentUri);
    if (!this.panel) this.create(preserveFocus);
    else this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, preserveFocus);
    if (uri !== this.shownUri) {
      this.shownUri = uri;
      this.graph = undefined;
      this.outcomes = [];
      this.updateTitle();
    }
    await this.refresh();
  }

  /** The text of `uri` changed: fetch its graph once the edits pause (if it is on display). */
  documentChanged(uri: string): void {
    if (!this.panel || normalize(uri) !== this.shownUri) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refresh();
    }, this.debounceMs);
  }

  /** Fetches the graph of the document on display now, and shows it unless overtaken. */
  async refresh(): Promise<void> {
    const uri = this.shownUri;
    if (!this.panel || uri === undefined) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const request = ++this.requests;
    let raw: unknown;
    try {
      raw = await this.actions.fetchGraph(uri);
    } catch (error) {
      if (request === this.requests) this.output.appendLine(`[spinlens] flow graph of ${uri}: ${String(error)}`);
      return;
    }
    if (request !== this.requests || uri !== this.shownUri || !this.panel) return;
    const graph = parseFileGraph(raw);
    if (!graph) {
      this.output.appendLine('[spinlens] ignored a malformed flow graph from the server');
      return;
    }
    this.update(graph, this.currentOutcomes(graph));
  }

  /** Shows `graph` with `outcomes` (posted once the webview's script is ready). */
  update(graph: FileGraph, outcomes: StepOutcome[]): void {
    this.graph = graph;
    this.outcomes = outcomes;
    this.post();
  }

  private create(preserveFocus: boolean): void {
    const panel = createStrictWebview(this.extensionUri, {
      viewType: GRAPH_VIEW_TYPE,
      title: 'Flow graph',
      preserveFocus,
      script: 'graph.js',
      style: 'graph.css',
      findWidget: false,
    });
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      panel.onDidDispose(() => this.closed()),
    );
  }

  private closed(): void {
    this.panel = undefined;
    this.ready = false;
    this.shownUri = undefined;
    this.graph = undefined;
    this.requests++; // a reply still on its way has nowhere to go
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private updateTitle(): void {
    if (!this.panel || this.shownUri === undefined) return;
    const name = vscode.Uri.parse(this.shownUri).path.split('/').pop() || this.shownUri;
    this.panel.title = `Flow graph: ${name}`;
  }

  private post(): void {
    if (!this.panel || !this.ready || !this.graph) return;
    const message: ToGraphView = { type: 'graph', graph: this.graph, outcomes: this.outcomes };
    void this.panel.webview.postMessage(message);
  }

  private currentOutcomes(graph: FileGraph): StepOutcome[] {
    const uri = this.shownUri;
    if (uri === undefined) return [];
    const steps = new Set(graph.flows.flatMap((f) => f.nodes.map((n) => n.step)));
    const outcomes: StepOutcome[] = [];
    for (const step of steps) {
      const record = this.spins.latest(uri, step);
      if (record) outcomes.push(stepOutcome(record));
    }
    return outcomes;
  }

  /** A spin of the document on display began or ended: redraw its node (no new fetch). */
  private onSpinChange({ record, event }: SpinChange): void {
    if (!this.graph || record.uri !== this.shownUri) return;
    if (event && event.event !== 'started' && event.event !== 'finished' && event.event !== 'failed') return;
    this.update(this.graph, this.currentOutcomes(this.graph));
  }

  private onMessage(raw: unknown): void {
    const message = parseFromGraphView(raw);
    if (!message) {
      this.output.appendLine('[spinlens] ignored an unexpected message from the flow graph');
      return;
    }
    void this.handle(message);
  }

  private async handle(message: FromGraphView): Promise<void> {
    if (message.type === 'ready') {
      this.ready = true;
      this.post();
      return;
    }
    const uri = this.shownUri;
    const node = this.node(message.flow, message.step);
    if (uri === undefined || !node) {
      this.output.appendLine(`[spinlens] the flow graph named ${message.flow}.${message.step}, which it does not show`);
      return;
    }
    const target: StepTarget = { uri, flow: message.flow, step: message.step };
    try {
      switch (message.type) {
        case 'openStep': {
          const file = node.file === null ? vscode.Uri.parse(uri) : vscode.Uri.file(node.file);
          await this.actions.openStep({ ...target, file, line: node.defLine });
          return;
        }
        case 'spin':
          await this.actions.spin(target);
          return;
        case 'debug':
          await this.actions.debug(target);
          return;
      }
    } catch (error) {
      this.output.appendLine(`[spinlens] flow graph ${message.type} ${message.step}: ${String(error)}`);
    }
  }

  private node(flow: string, step: string): GraphNode | undefined {
    return this.graph?.flows.find((f) => f.name === flow)?.nodes.find((n) => n.step === step);
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel?.dispose();
    this.closed();
  }
}
