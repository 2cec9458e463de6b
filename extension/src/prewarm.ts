/**
 * Prewarm: when a flow file's editor opens, or its cursor rests in a step for
 * ~500 ms, the server is asked (`spinlens.server.prewarm`) to load that step's
 * inputs into the file's kernel, so the first click on "Spin" is warm. Moving to
 * another step asks again, and the server cuts the earlier prewarm short.
 * Nothing is sent in an untrusted workspace (there is no server there either),
 * or with `spinlens.prewarmMemoryMB` 0.
 */
import * as vscode from 'vscode';
import { ServerCommand } from './protocol';
import type { SpinlensServer } from './server';
import { getSettings } from './settings';
import { stepDecoratorLines } from './trust';

export const PREWARM_DELAY_MS = 500;

export interface PrewarmDeps {
  isTrusted: () => boolean;
  /** Prewarm wanted for this file (the setting is not 0). */
  enabled: (uri: string) => boolean;
  send: (uri: string, line: number) => Promise<unknown>;
  delayMs?: number;
}

export interface CursorAt {
  uri: string;
  languageId: string;
  text: string;
  line: number;
}

/** Which step (its decorator line) holds `line`; -1 above every step. */
export function stepKey(text: string, line: number): number {
  let found = -1;
  for (const decorator of stepDecoratorLines(text)) {
    if (decorator > line) break;
    found = decorator;
  }
  return found;
}

/** Debounces cursor positions into one prewarm per (file, step). */
export class Prewarmer implements vscode.Disposable {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastSent: string | undefined;

  constructor(private readonly deps: PrewarmDeps) {}

  /** The cursor is here now (an editor opened, or its selection moved). */
  cursorAt(at: CursorAt): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (at.languageId !== 'python' || !at.uri.startsWith('file:')) return;
    if (stepDecoratorLines(at.text).length === 0) return; // not a flow file
    const key = `${at.uri}#${stepKey(at.text, at.line)}`;
    if (key === this.lastSent) return; // the same step: nothing new to load
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.deps.isTrusted() || !this.deps.enabled(at.uri)) return;
      this.lastSent = key;
      this.deps.send(at.uri, at.line).catch(() => {
        this.lastSent = undefined; // failed: a later rest here may try again
      });
    }, this.deps.delayMs ?? PREWARM_DELAY_MS);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function cursorOf(editor: vscode.TextEditor | undefined): CursorAt | undefined {
  if (!editor) return undefined;
  const { document } = editor;
  return {
    uri: document.uri.toString(),
    languageId: document.languageId,
    text: document.getText(),
    line: editor.selection.active.line,
  };
}

export function registerPrewarm(server: SpinlensServer, output: vscode.OutputChannel): vscode.Disposable[] {
  const prewarmer = new Prewarmer({
    isTrusted: () => vscode.workspace.isTrusted,
    enabled: (uri) => getSettings(vscode.Uri.parse(uri)).prewarmMemoryMB > 0,
    send: async (uri, line) => {
      const result = await server.execute(ServerCommand.prewarm, { uri, line });
      if (result.status === 'failed') output.appendLine(`prewarm of ${result.step ?? uri}: ${result.error ?? ''}`);
      return result;
    },
  });
  const onCursor = (editor: vscode.TextEditor | undefined): void => {
    const at = cursorOf(editor);
    if (at) prewarmer.cursorAt(at);
  };
  onCursor(vscode.window.activeTextEditor);
  return [
    prewarmer,
    vscode.window.onDidChangeActiveTextEditor(onCursor),
    vscode.window.onDidChangeTextEditorSelection((change) => onCursor(change.textEditor)),
  ];
}
