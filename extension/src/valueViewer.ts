/**
 * The value viewer's host side: one webview panel showing one value at a time,
 * a spin's output or a source-run artifact, read page by page from the server
 * (`spinlens.server.valuePage`). The webview is untrusted: it may only ask for
 * pages of the value on display (viewer/messages.parseFromViewer); which value
 * that is stays here. Every page from the server is checked
 * (protocol.parseValuePageResult) before the webview gets it.
 */
import * as vscode from 'vscode';
import { type FromViewer, type ToViewer, parseFromViewer } from '../viewer/messages';
import { ClientCommand, ServerCommand, type ValuePageArgs, type ValuePageResult } from './protocol';
import type { SpinlensServer } from './server';
import { createStrictWebview } from './strictWebview';

export const VIEWER_VIEW_TYPE = 'spinlens.valueViewer';
export const OPEN_VALUE_COMMAND = ClientCommand.openValue;
/** What "Copy value" puts on the clipboard at most (the server bounds it too). */
export const COPY_LIMIT = 1 << 20;

/** Which value: a spin's output (`spinId`) or an artifact of a source-run task (`task`). */
export interface ValueRef {
  uri: string;
  name: string;
  spinId?: string;
  task?: string;
}

const MAX_REF = 4096;

/** The reference if the `spinlens.openValue` argument is one, else undefined. */
export function parseValueRef(raw: unknown): ValueRef | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const { uri, name, spinId, task } = raw as Record<string, unknown>;
  const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_REF;
  if (!text(uri) || !text(name)) return undefined;
  if (spinId !== undefined && !text(spinId)) return undefined;
  if (task !== undefined && !text(task)) return undefined;
  if ((spinId === undefined) === (task === undefined)) return undefined;
  return spinId !== undefined ? { uri, name, spinId } : { uri, name, task: task as string };
}

export type FetchPage = (args: ValuePageArgs) => Promise<ValuePageResult>;

/** The server's arguments for one page of `ref`. */
export function pageArgs(ref: ValueRef, ask: Omit<Extract<FromViewer, { type: 'page' }>, 'type' | 'requestId'>): ValuePageArgs {
  const args: ValuePageArgs = { uri: ref.uri, name: ref.name, path: ask.path, offset: ask.offset, limit: ask.limit };
  if (ref.spinId !== undefined) args.spinId = ref.spinId;
  if (ref.task !== undefined) args.task = ref.task;
  if (ask.sort !== null) {
    args.sort = ask.sort;
    args.descending = ask.descending;
  }
  return args;
}

function describe(ref: ValueRef): string {
  return ref.spinId !== undefined ? `spin ${ref.spinId}` : ref.task ?? '';
}

export class ValueViewer implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private ref: ValueRef | undefined;
  /** Bumped per value shown: a page of the value before is dropped. */
  private generation = 0;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly fetchPage: FetchPage,
    private readonly output: vscode.OutputChannel,
  ) {}

  /** The value on display, while the panel is open. */
  get shown(): ValueRef | undefined {
    return this.panel ? this.ref : undefined;
  }

  open(ref: ValueRef): void {
    if (!this.panel) this.create();
    else this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, false);
    this.ref = ref;
    this.generation++;
    if (this.panel) this.panel.title = `Value: ${ref.name}`;
    this.postValue();
  }

  private create(): void {
    const panel = createStrictWebview(this.extensionUri, {
      viewType: VIEWER_VIEW_TYPE,
      title: 'Value',
      preserveFocus: false,
      script: 'viewer.js',
      style: 'viewer.css',
      findWidget: true,
    });
    this.panel = panel;
    this.ready = false;
    this.disposables.push(
      panel.webview.onDidReceiveMessage((raw: unknown) => void this.onMessage(raw)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        this.generation++;
        for (const d of this.disposables.splice(0)) d.dispose();
      }),
    );
  }

  private post(message: ToViewer): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  private postValue(): void {
    if (this.ref) this.post({ type: 'value', name: this.ref.name, source: describe(this.ref) });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const message = parseFromViewer(raw);
    if (!message) {
      this.output.appendLine('[spinlens] ignored an unexpected message from the value viewer');
      return;
    }
    if (message.type === 'ready') {
      this.ready = true;
      this.postValue();
      return;
    }
    const ref = this.ref;
    if (!ref) return;
    const generation = this.generation;
    let reply: ToViewer;
    try {
      const { page } = await this.fetchPage(pageArgs(ref, message));
      reply = { type: 'page', requestId: message.requestId, page };
    } catch (error) {
      reply = { type: 'error', requestId: message.requestId, error: errorText(error) };
    }
    if (generation === this.generation) this.post(reply);
  }

  dispose(): void {
    this.panel?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** An error's message as the user reads it (a JSON-RPC error's, without its class). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** "Copy value": the whole repr (bounded), on the clipboard. */
export async function copyValue(fetchPage: FetchPage, ref: ValueRef): Promise<void> {
  try {
    const { page } = await fetchPage({ ...pageArgs(ref, { path: [], offset: 0, limit: 1, sort: null, descending: false }), asText: true });
    const text = 'text' in page ? page.text : '';
    await vscode.env.clipboard.writeText(text.slice(0, COPY_LIMIT));
    void vscode.window.setStatusBarMessage(`Spinlens: copied ${ref.name}`, 3000);
  } catch (error) {
    void vscode.window.showWarningMessage(`Spinlens: cannot copy ${ref.name}: ${errorText(error)}`);
  }
}

export interface ValueViewerContext {
  extensionUri: vscode.Uri;
  server: Pick<SpinlensServer, 'execute'>;
  output: vscode.OutputChannel;
}

/** The viewer and its `spinlens.openValue` command (not in the palette: it takes a value reference). */
export function registerValueViewer(ctx: ValueViewerContext): { viewer: ValueViewer; fetchPage: FetchPage; disposables: vscode.Disposable[] } {
  const fetchPage: FetchPage = (args) => ctx.server.execute(ServerCommand.valuePage, args);
  const viewer = new ValueViewer(ctx.extensionUri, fetchPage, ctx.output);
  const command = vscode.commands.registerCommand(OPEN_VALUE_COMMAND, (arg?: unknown) => {
    const ref = parseValueRef(arg);
    if (!ref) {
      ctx.output.appendLine('[spinlens] spinlens.openValue needs {uri, name, spinId | task}');
      return;
    }
    viewer.open(ref);
  });
  return { viewer, fetchPage, disposables: [viewer, command] };
}
