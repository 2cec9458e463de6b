/**
 * "Spinlens: Spin step at cursor" (Ctrl+Alt+S / Cmd+Alt+S in a Python editor):
 * spins the step the cursor is in, without a picker; outside any step it opens
 * the "Spin step" picker.
 */
import * as vscode from 'vscode';
import { type CommandContext, runSpin } from './commands';
import { ClientCommand, ServerCommand } from './protocol';
import { stepAt } from './steps';
import { UntrustedWorkspaceError, explainUntrusted } from './trust';

export const SPIN_AT_CURSOR_COMMAND = 'spinlens.spinStepAtCursor';

export async function spinAtCursor(ctx: CommandContext): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.document.languageId !== 'python') {
    void vscode.window.showInformationMessage('Spinlens: open a Metaflow flow file and put the cursor in a step.');
    return;
  }
  const uri = editor.document.uri.toString();
  try {
    const { steps } = await ctx.server.execute(ServerCommand.listSteps, { uri });
    const step = stepAt(steps, editor.selection.active.line);
    if (!step) {
      await vscode.commands.executeCommand(ClientCommand.spinStep);
      return;
    }
    await runSpin(ctx, { uri, step: step.name, flow: step.flow });
  } catch (error) {
    if (error instanceof UntrustedWorkspaceError) {
      await explainUntrusted();
      return;
    }
    void vscode.window.showErrorMessage(`Spinlens: ${error instanceof Error ? error.message : String(error)}`);
  }
}
