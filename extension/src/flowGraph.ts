/**
 * "Spinlens: Show Flow Graph": the FlowGraphPanel (graphPanel.ts) wired to the
 * server (`spinlens.server.flowGraph`), the spins (node outcomes) and the
 * existing lens commands (a node's spin and debug buttons run exactly what the
 * lenses run).
 */
import * as vscode from 'vscode';
import { targetUri } from './commands';
import { FlowGraphPanel, type OutcomeSource, type StepLocation, type StepTarget } from './graphPanel';
import { ClientCommand, ServerCommand } from './protocol';
import type { SpinlensServer } from './server';

/** The palette's and the editor title's (not a lens command: the server never names it). */
export const SHOW_FLOW_GRAPH_COMMAND = 'spinlens.showFlowGraph';

export interface FlowGraphContext {
  extensionUri: vscode.Uri;
  server: Pick<SpinlensServer, 'execute'>;
  spins: OutcomeSource;
  output: vscode.OutputChannel;
}

/** Moves (or opens) an editor on the step's `def` line, in the column already showing its file. */
export async function openStep(location: StepLocation): Promise<void> {
  const file = location.file.toString();
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === file);
  const at = new vscode.Position(location.line, 0);
  // A selection is revealed as the editor opens (as Go to Definition does).
  await vscode.window.showTextDocument(location.file, {
    viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One,
    selection: new vscode.Range(at, at),
    preserveFocus: false,
  });
}

function lensArgs(target: StepTarget): [string, string, string] {
  return [target.uri, target.step, target.flow];
}

/** The panel, its command, and (once it has been shown) the edits that redraw it. */
export function registerFlowGraph(ctx: FlowGraphContext): vscode.Disposable[] {
  const panel = new FlowGraphPanel(ctx.extensionUri, ctx.spins, {
    fetchGraph: (uri) => ctx.server.execute(ServerCommand.flowGraph, { uri }),
    openStep,
    spin: (target) => vscode.commands.executeCommand(ClientCommand.spinStep, ...lensArgs(target)),
    debug: (target) => vscode.commands.executeCommand(ClientCommand.debugStep, ...lensArgs(target)),
  }, ctx.output);
  // Subscribed on first use: a window that never opens the graph pays nothing per keystroke.
  let edits: vscode.Disposable | undefined;
  const show = async (arg?: unknown): Promise<void> => {
    const uri = targetUri(arg) ?? panel.uri;
    if (uri === undefined) {
      void vscode.window.showInformationMessage('Spinlens: open a Metaflow flow file to see its graph.');
      return;
    }
    edits ??= vscode.workspace.onDidChangeTextDocument((change) => {
      if (change.contentChanges.length) panel.documentChanged(change.document.uri.toString());
    });
    await panel.show(uri);
  };
  const command = vscode.commands.registerCommand(SHOW_FLOW_GRAPH_COMMAND, async (arg?: unknown) => {
    try {
      await show(arg);
    } catch (error) {
      ctx.output.appendLine(`[spinlens] ${SHOW_FLOW_GRAPH_COMMAND}: ${String(error)}`);
      void vscode.window.showErrorMessage(`Spinlens: cannot show the flow graph: ${String(error)}`);
    }
  });
  return [panel, command, { dispose: () => edits?.dispose() }];
}
