/**
 * The flow graph view: a toolbar (flow picker, fit), a problem line, and the SVG
 * drawing of one flow at a time. Each `graph` message redraws; layouts are cached
 * by their ELK input, so an edit that leaves the graph as it was (or a new
 * outcome) redraws without laying out again, and each flow keeps its pan and zoom.
 *
 * While the text does not parse, the last graph stays up under a problem line.
 */
import { type FileGraph, type FlowGraph, type FromGraphView, type StepOutcome, parseToGraphView } from '../src/graphMessages';
import { type FlowLayout, type Layouter, layoutFlow, layoutKey } from './layout';
import { PanZoom, type Transform } from './panZoom';
import { arrowDefs, renderFlow } from './render';
import { svg } from './svg';

/** Fired on the root element after each drawing (tests and tools wait for it). */
export const RENDERED_EVENT = 'spinlens-graph-rendered';
const MAX_LAYOUTS = 8;

export interface GraphView {
  handleMessage(raw: unknown): void;
}

function html<K extends keyof HTMLElementTagNameMap>(tag: K, testid: string, className: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  node.setAttribute('data-testid', testid);
  return node;
}

function problemText(graph: FileGraph, stale: boolean): string {
  const error = graph.error;
  if (!error) return '';
  const where = `line ${error.line + 1}: ${error.message}`;
  return stale ? `The file does not parse (${where}); showing the graph before the edit.` : `The file does not parse (${where}).`;
}

export function createGraphView(root: HTMLElement, post: (message: FromGraphView) => void, layouter: Layouter): GraphView {
  const toolbar = html('div', 'toolbar', 'toolbar');
  const picker = html('select', 'flow-select', 'flow-select');
  picker.setAttribute('aria-label', 'Flow');
  const fitButton = html('button', 'fit', 'fit');
  fitButton.type = 'button';
  fitButton.textContent = 'Fit';
  fitButton.title = 'Show the whole flow';
  const file = html('span', 'file', 'file');
  toolbar.append(picker, fitButton, file);
  const problem = html('div', 'problem', 'problem');
  problem.setAttribute('role', 'status');
  const empty = html('div', 'empty', 'empty');
  const surface = svg('svg', { class: 'graph', 'data-testid': 'graph', role: 'group', 'aria-label': 'Flow graph' });
  const viewport = svg('g', { class: 'viewport' });
  surface.append(arrowDefs(), viewport);
  root.append(toolbar, problem, empty, surface);
  const panZoom = new PanZoom(surface, viewport);

  let shown: FileGraph | undefined; // the last graph that had flows
  let outcomes: StepOutcome[] = [];
  let selected: string | undefined;
  const transforms = new Map<string, Transform>();
  let drawnFlow: string | undefined;
  const layouts = new Map<string, FlowLayout>(); // by layoutKey, the last few
  let drawn: FlowLayout | undefined;
  let seq = 0;
  let pending: Promise<void> = Promise.resolve();

  function currentFlow(): FlowGraph | undefined {
    return shown?.flows.find((f) => f.name === selected);
  }

  function fillPicker(graph: FileGraph): void {
    const names = graph.flows.map((f) => f.name);
    const existing = Array.from(picker.options).map((o) => o.value);
    if (names.join('\n') !== existing.join('\n')) {
      picker.replaceChildren(
        ...names.map((name) => {
          const option = document.createElement('option');
          option.value = name;
          option.textContent = name;
          return option;
        }),
      );
    }
    picker.hidden = names.length < 2;
    if (selected !== undefined) picker.value = selected;
  }

  function update(graph: FileGraph, nextOutcomes: StepOutcome[]): void {
    outcomes = nextOutcomes;
    const stale = graph.flows.length === 0 && graph.error !== null && shown !== undefined;
    problem.textContent = problemText(graph, stale);
    problem.hidden = graph.error === null;
    if (!stale) {
      shown = graph.flows.length ? graph : undefined;
      if (!graph.flows.some((f) => f.name === selected)) selected = graph.defaultFlow ?? graph.flows[0]?.name;
    }
    // A left-to-right mark first: in the right-to-left box (the ellipsis cuts the
    // path's start) a leading `/` would otherwise be drawn at the end.
    file.textContent = `\u200e${graph.filename}`;
    file.title = graph.filename;
    empty.textContent = shown || graph.error ? '' : 'No flow in this file: define a class deriving from FlowSpec.';
    empty.hidden = shown !== undefined || graph.error !== null;
    if (shown) fillPicker(shown);
    else picker.hidden = true;
    fitButton.disabled = !shown;
    surface.classList.toggle('is-hidden', !shown);
    schedule();
  }

  /** Draws the selected flow after any drawing under way (layouts are asynchronous). */
  function schedule(): void {
    const ticket = ++seq;
    pending = pending.then(() => draw(ticket)).catch((error: unknown) => {
      problem.hidden = false;
      problem.textContent = `Cannot lay out the flow: ${String(error)}`;
    });
  }

  async function draw(ticket: number): Promise<void> {
    if (ticket !== seq) return; // a newer message came: draw that one instead
    const flow = currentFlow();
    if (!flow) {
      viewport.replaceChildren();
      drawnFlow = undefined;
      drawn = undefined;
      finish(ticket);
      return;
    }
    const key = layoutKey(flow);
    let layout = layouts.get(key);
    if (!layout) {
      layout = await layoutFlow(flow, layouter);
      if (ticket !== seq) return;
      layouts.set(key, layout);
      for (const old of layouts.keys()) if (layouts.size > MAX_LAYOUTS) layouts.delete(old);
    }
    if (drawnFlow !== undefined) transforms.set(drawnFlow, panZoom.current);
    viewport.replaceChildren(renderFlow(layout, outcomes));
    const kept = transforms.get(flow.name);
    if (kept) panZoom.set(kept);
    else panZoom.fit(layout.width, layout.height);
    drawnFlow = flow.name;
    drawn = layout;
    finish(ticket);
  }

  function finish(ticket: number): void {
    root.dataset.rendered = String(ticket);
    root.dispatchEvent(new CustomEvent(RENDERED_EVENT, { detail: { flow: drawnFlow } }));
  }

  function act(target: EventTarget | null): boolean {
    if (!(target instanceof Element)) return false;
    const flow = drawnFlow;
    if (flow === undefined) return false;
    const action = target.closest<SVGElement>('[data-action]');
    const kind = action?.dataset.action;
    const step = action?.dataset.step;
    if (step && (kind === 'spin' || kind === 'debug')) {
      post({ type: kind, flow, step });
      return true;
    }
    const node = target.closest<SVGElement>('[data-testid="node"]');
    const nodeStep = node?.dataset.step;
    if (nodeStep) {
      post({ type: 'openStep', flow, step: nodeStep });
      return true;
    }
    return false;
  }

  surface.addEventListener('click', (event) => {
    if (panZoom.consumeDrag()) return;
    act(event.target);
  });
  surface.addEventListener('keydown', (event) => {
    if ((event.key === 'Enter' || event.key === ' ') && act(event.target)) event.preventDefault();
  });
  picker.addEventListener('change', () => {
    selected = picker.value;
    schedule();
  });
  fitButton.addEventListener('click', () => {
    if (drawn) panZoom.fit(drawn.width, drawn.height);
  });

  return {
    handleMessage(raw) {
      const message = parseToGraphView(raw);
      if (message) update(message.graph, message.outcomes);
    },
  };
}
