/**
 * Workspace Trust. A spin runs the workspace's code (the flow, its imports), and
 * so does starting the server in it, so in an untrusted workspace (Restricted
 * Mode) the extension starts no server and no kernel at all. Lenses then come
 * from here instead of the server: one above each `@step`, saying why nothing
 * spins and opening the Workspace Trust editor. Once the user trusts the
 * workspace, these lenses go and the server starts.
 */
import * as vscode from 'vscode';

export const MANAGE_TRUST_COMMAND = 'workbench.trust.manage';
export const TRUST_ACTION = 'Manage Workspace Trust';
export const UNTRUSTED_REASON =
  "Spinlens does not spin in an untrusted workspace (Restricted Mode): a spin runs the workspace's code. Trust this workspace to spin.";
export const UNTRUSTED_LENS = '$(shield) Restricted Mode: trust this workspace to spin';

/** Spinlens refused to run because the workspace is not trusted. */
export class UntrustedWorkspaceError extends Error {
  constructor() {
    super(UNTRUSTED_REASON);
  }
}

/**
 * 0-based lines of `@step` decorators in a file that imports Metaflow. A textual
 * scan: without a trusted workspace there is no server to analyse the flow, and
 * a misplaced lens here only says that nothing spins.
 */
export function stepDecoratorLines(text: string): number[] {
  if (!/\bmetaflow\b/.test(text)) return [];
  const lines: number[] = [];
  text.split('\n').forEach((line, i) => {
    if (/^\s*@step\b/.test(line)) lines.push(i);
  });
  return lines;
}

export class UntrustedLenses implements vscode.CodeLensProvider {
  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    return stepDecoratorLines(document.getText()).map((line) => {
      const at = new vscode.Position(line, 0);
      return {
        range: new vscode.Range(at, at),
        isResolved: true,
        command: { title: UNTRUSTED_LENS, tooltip: UNTRUSTED_REASON, command: MANAGE_TRUST_COMMAND },
      };
    });
  }
}

/** Says why nothing spins, with the Trust action. */
export async function explainUntrusted(): Promise<void> {
  const choice = await vscode.window.showWarningMessage(UNTRUSTED_REASON, TRUST_ACTION);
  if (choice === TRUST_ACTION) await vscode.commands.executeCommand(MANAGE_TRUST_COMMAND);
}

/**
 * While the workspace is untrusted: the lenses above; `onTrusted` once it is
 * trusted (VS Code reloads the window when trust is taken back).
 */
export function watchTrust(onTrusted: () => void): vscode.Disposable {
  if (vscode.workspace.isTrusted) return new vscode.Disposable(() => undefined);
  const lenses = vscode.languages.registerCodeLensProvider(
    { scheme: 'file', language: 'python' },
    new UntrustedLenses(),
  );
  const granted = vscode.workspace.onDidGrantWorkspaceTrust(() => {
    lenses.dispose();
    onTrusted();
  });
  return vscode.Disposable.from(lenses, granted);
}
