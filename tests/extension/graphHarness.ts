/**
 * What the flow graph tests share: graphs made by the real backend
 * (`spinlens.flow_graph` on the repository's fixture flows, one Python run per
 * test file), and the graph webview's script run in jsdom as the webview runs it
 * (bundled in memory with the options `npm run build` uses for media/graph.js).
 */
import { execFileSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import { JSDOM } from 'jsdom';
import { afterEach } from 'vitest';
import { graphOptions } from '../../esbuild.mjs';
import type { FileGraph, FlowGraph } from '../../extension/src/graphMessages';
import { backendPython, repoFile } from './fixtures';

export const GRAPH_FLOWS = {
  graph: 'tests/python/flows/graph_flow.py',
  conditionals: 'tests/python/compat/conditionals/flow.py',
  recursion: 'tests/python/compat/recursion/flow.py',
  nested: 'tests/python/compat/nested_foreach/flow.py',
  base: 'tests/python/compat/base_flow/flow.py',
} as const;

export type GraphName = keyof typeof GRAPH_FLOWS;

const DUMP = `
import json, sys
from spinlens.flow_graph import flow_graph
out = {}
for name, path in zip(sys.argv[1::2], sys.argv[2::2]):
    with open(path, encoding="utf-8") as f:
        out[name] = flow_graph(f.read(), path).to_dict()
print(json.dumps(out))
`;

/** The wire payload of each fixture flow, exactly as the server builds it (unchecked). */
export function backendGraphs(): Record<GraphName, unknown> {
  const args = Object.entries(GRAPH_FLOWS).flatMap(([name, file]) => [name, repoFile(file)]);
  const text = execFileSync(backendPython(), ['-c', DUMP, ...args], { encoding: 'utf8', timeout: 60_000 });
  return JSON.parse(text) as Record<GraphName, unknown>;
}

export function onlyFlow(graph: FileGraph): FlowGraph {
  const [flow, ...more] = graph.flows;
  if (!flow || more.length) throw new Error(`expected one flow in ${graph.filename}`);
  return flow;
}

function bundle(): string {
  const result = esbuild.buildSync({ ...graphOptions, write: false, logLevel: 'silent' });
  const [output, ...more] = result.outputFiles;
  if (!output || more.length) throw new Error(`expected one bundle, got ${result.outputFiles.length} files`);
  return output.text;
}

let script: string | undefined;

export interface GraphHarness {
  dom: JSDOM;
  doc: Document;
  app: HTMLElement;
  posted: unknown[];
  /** Sends a message the view should draw, and resolves once it has (ELK lays out asynchronously). */
  send(message: unknown): Promise<void>;
  /** Sends a message without waiting for anything (one the view should ignore). */
  dispatch(message: unknown): void;
  q(testid: string, root?: ParentNode): Element;
  all(testid: string, root?: ParentNode): Element[];
  node(step: string): SVGGElement;
  click(target: Element): void;
}

const open: JSDOM[] = [];
afterEach(() => {
  for (const dom of open.splice(0)) dom.window.close();
});

export function loadGraphView(): GraphHarness {
  script ??= bundle();
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>', {
    runScripts: 'outside-only',
    url: 'https://webview.example/index.html',
  });
  open.push(dom);
  const posted: unknown[] = [];
  const win = dom.window as unknown as Record<string, unknown>;
  win.acquireVsCodeApi = () => ({ postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))) });
  dom.window.eval(script);
  const doc = dom.window.document;
  const app = doc.getElementById('app');
  if (!app) throw new Error('no #app');
  const all = (testid: string, root: ParentNode = doc): Element[] =>
    Array.from(root.querySelectorAll(`[data-testid="${testid}"]`));
  const q = (testid: string, root: ParentNode = doc): Element => {
    const found = root.querySelector(`[data-testid="${testid}"]`);
    if (!found) throw new Error(`no [data-testid="${testid}"]`);
    return found;
  };
  const dispatch = (message: unknown): void => {
    // The webview gets a structured clone, made in its own realm: so here (elkjs tells arrays by realm).
    const data: unknown = message === undefined ? undefined : dom.window.JSON.parse(JSON.stringify(message));
    dom.window.dispatchEvent(new dom.window.MessageEvent('message', { data }));
  };
  return {
    dom,
    doc,
    app,
    posted,
    send(message) {
      const drawnOnce = new Promise<void>((resolve) =>
        app.addEventListener('spinlens-graph-rendered', () => resolve(), { once: true }),
      );
      dispatch(message);
      return drawnOnce;
    },
    dispatch,
    q,
    all,
    node(step) {
      const found = doc.querySelector(`[data-testid="node"][data-step="${step}"]`);
      if (!found) throw new Error(`no node ${step}`);
      return found as SVGGElement;
    },
    click(target) {
      target.dispatchEvent(new dom.window.MouseEvent('click', { bubbles: true }));
    },
  };
}
