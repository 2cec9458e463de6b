/**
 * "Spinlens: Show Flow Graph" (extension/src/flowGraph.ts) on the fake `vscode`
 * module: the command fetches the target document's graph from the server,
 * edits of that document (only once the graph was shown) fetch it again, and a
 * node's buttons run the lens commands.
 */
import type * as vscode from 'vscode';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SHOW_FLOW_GRAPH_COMMAND, registerFlowGraph } from '../../extension/src/flowGraph';
import { GRAPH_DEBOUNCE_MS } from '../../extension/src/graphPanel';
import { ClientCommand, type FileGraph, ServerCommand } from '../../extension/src/protocol';
import { SpinStore } from '../../extension/src/spins';
import { Uri, mock, window, workspace } from './mocks/vscode';

const URI = 'file:///work/flows/graph_flow.py';

const GRAPH: FileGraph = {
  filename: '/work/flows/graph_flow.py',
  flows: [
    {
      name: 'GraphFlow',
      line: 3,
      nodes: ['start', 'end'].map((step, i) => ({
        step,
        kind: i === 0 ? ('start' as const) : ('end' as const),
        line: 5 + 5 * i,
        defLine: 6 + 5 * i,
        endLine: 8 + 5 * i,
        file: null,
        decorators: [],
        missing: [],
      })),
      edges: [{ from: 'start', to: 'end', kind: 'normal', foreach: null, condition: null, key: null, line: 8 }],
    },
  ],
  defaultFlow: 'GraphFlow',
  error: null,
};

type ChangeListener = (change: { document: { uri: Uri }; contentChanges: unknown[] }) => void;

function setup() {
  mock.reset();
  const listeners: ChangeListener[] = [];
  Object.assign(workspace, {
    onDidChangeTextDocument: (listener: ChangeListener) => {
      listeners.push(listener);
      return { dispose: () => listeners.splice(listeners.indexOf(listener), 1) };
    },
  });
  Object.assign(window, { visibleTextEditors: [] });
  const executed: { name: string; args: unknown }[] = [];
  const server = {
    execute: (command: { name: string }, args: unknown) => {
      executed.push({ name: command.name, args });
      return Promise.resolve(GRAPH);
    },
  };
  const spinCalls: unknown[][] = [];
  mock.commands.set(ClientCommand.spinStep, (...args: unknown[]) => spinCalls.push(['spin', ...args]));
  mock.commands.set(ClientCommand.debugStep, (...args: unknown[]) => spinCalls.push(['debug', ...args]));
  const disposables = registerFlowGraph({
    extensionUri: Uri.file('/ext') as unknown as vscode.Uri,
    server: server as unknown as Parameters<typeof registerFlowGraph>[0]['server'],
    spins: new SpinStore(),
    output: window.createOutputChannel('Spinlens') as unknown as vscode.OutputChannel,
  });
  const edit = (uri: string) => {
    for (const listener of [...listeners]) listener({ document: { uri: Uri.parse(uri) }, contentChanges: [{}] });
  };
  return { executed, spinCalls, disposables, listeners, edit };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Spinlens: Show Flow Graph', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });
  afterEach(() => {
    vi.useRealTimers();
    for (const d of t.disposables) d.dispose();
  });

  it('fetches the graph of the document it is given and listens to edits only from then on', async () => {
    expect(t.listeners).toHaveLength(0);
    await mock.commands.get(SHOW_FLOW_GRAPH_COMMAND)?.(Uri.parse(URI));
    expect(t.executed).toEqual([{ name: ServerCommand.flowGraph.name, args: { uri: URI } }]);
    expect(t.listeners).toHaveLength(1);
    expect(mock.panels).toHaveLength(1);

    vi.useFakeTimers();
    t.edit('file:///work/flows/other.py');
    t.edit(URI);
    t.edit(URI);
    await vi.advanceTimersByTimeAsync(GRAPH_DEBOUNCE_MS + 10);
    expect(t.executed).toHaveLength(2); // one fetch for the two edits, none for the other file
  });

  it('says what to do without a flow file, and fetches nothing', async () => {
    await mock.commands.get(SHOW_FLOW_GRAPH_COMMAND)?.();
    expect(t.executed).toEqual([]);
    expect(mock.panels).toHaveLength(0);
    expect(JSON.stringify(mock.messages)).toContain('open a Metaflow flow file');
  });

  it("runs the lenses' commands for a node's spin and debug buttons, and opens its step", async () => {
    await mock.commands.get(SHOW_FLOW_GRAPH_COMMAND)?.(URI);
    const webview = mock.panels[0]?.webview;
    webview?.receive({ type: 'ready' });
    webview?.receive({ type: 'spin', flow: 'GraphFlow', step: 'end' });
    webview?.receive({ type: 'debug', flow: 'GraphFlow', step: 'start' });
    webview?.receive({ type: 'openStep', flow: 'GraphFlow', step: 'end' });
    webview?.receive({ type: 'spin', flow: 'GraphFlow', step: 'nosuchstep' }); // not on display: ignored
    await flush();
    expect(t.spinCalls).toEqual([
      ['spin', URI, 'end', 'GraphFlow'],
      ['debug', URI, 'start', 'GraphFlow'],
    ]);
    expect(mock.opened).toHaveLength(1);
    const opened = mock.opened[0];
    expect(opened?.uri.toString()).toBe(URI);
    expect(opened?.options).toMatchObject({ selection: { start: { line: 11, character: 0 } }, preserveFocus: false });
  });
});
