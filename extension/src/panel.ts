/**
 * The results webview: one panel, revealed when it exists, showing one spin at
 * a time. The extension keeps the spins (SpinStore); the panel replays the one
 * on display whenever its script (re)announces itself with `ready`.
 */
import * as vscode from 'vscode';
import { childValues } from './children';
import type { FromWebview, ToWebview } from './messages';
import { isFileAllowed, parseWebviewMessage } from './webviewGate';
import type { PanelNote } from './panelNotes';
import { ROW_PAGE_ROWS } from '../webview/rowsValue';
import { type SpinChange, type SpinRecord, type SpinStore, isDone, queueItems } from './spins';
import { createStrictWebview } from './strictWebview';
import { cardMessages } from './cards';
import type { ValuePageResult } from './protocol';
import type { ValueRef } from './valueViewer';

export const VIEW_TYPE = 'spinlens.results';

export interface PanelActions {
  /** The webview's Cancel button. */
  cancel(record: SpinRecord): void;
  diffRows(): number;
  /** An expanded row's value (valueViewer.ts): one page, the viewer, the clipboard. */
  valuePage?(ref: ValueRef, limit: number): Promise<ValuePageResult>;
  openValue?(ref: ValueRef): unknown;
  copyValue?(ref: ValueRef): Promise<void>;
}

export class ResultsPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private displayed: SpinRecord | undefined;
  /** Spins queued while another was shown: the panel moves to each once the shown one is over. */
  private readonly followers = new Set<SpinRecord>();
  /** The queue as the webview last got it (it starts empty). */
  private postedQueue = '[]';
  private readonly disposables: vscode.Disposable[] = [];
  private readonly subscription: { dispose(): void };

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly store: SpinStore,
    private readonly actions: PanelActions,
    private readonly output: vscode.OutputChannel,
  ) {
    this.subscription = store.onDidChange((change) => this.onSpinChange(change));
  }

  /** The spin on display. */
  get record(): SpinRecord | undefined {
    return this.displayed;
  }

  get visible(): boolean {
    return this.panel?.visible ?? false;
  }

  /** Opens (or reveals) the panel; with a record, shows that spin from its start. */
  show(record?: SpinRecord, preserveFocus = true): void {
    if (!this.panel) this.create(preserveFocus);
    else this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, preserveFocus);
    if (record && record !== this.displayed) {
      this.followers.delete(record);
      this.displayed = record;
      this.replay();
    }
    this.updateTitle();
  }

  /**
   * A spin requested while the panel shows one still running: the running one
   * stays on display (its output kept) and this one is listed as queued; the
   * panel moves to it when it starts after the shown one is over.
   */
  queue(record: SpinRecord): void {
    const shown = this.displayed;
    if (!shown || isDone(shown) || !this.panel) {
      this.show(record);
      return;
    }
    this.followers.add(record);
    this.panel.reveal(this.panel.viewColumn ?? vscode.ViewColumn.Beside, true);
    this.postQueue();
  }

  private create(preserveFocus: boolean): void {
    const panel = createStrictWebview(this.extensionUri, {
      viewType: VIEW_TYPE,
      title: 'Spinlens',
      preserveFocus,
      script: 'panel.js',
      style: 'panel.css',
      findWidget: true,
    });
    this.panel = panel;
    this.ready = false;
    const webview = panel.webview;
    this.disposables.push(
      webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      panel.onDidDispose(() => {
        this.panel = undefined;
        this.ready = false;
        for (const d of this.disposables.splice(0)) d.dispose();
      }),
    );
  }

  private updateTitle(): void {
    if (this.panel && this.displayed) this.panel.title = `Spinlens: ${this.displayed.step}`;
  }

  private post(message: ToWebview | PanelNote): void {
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  /** Everything the webview needs to show the displayed spin from scratch. */
  private replay(): void {
    const record = this.displayed;
    if (!record) return;
    this.post({ type: 'spin', uri: record.uri, step: record.step });
    for (const event of record.events) this.post({ type: 'event', event });
    this.postCards(record);
    this.postChild();
    this.postQueue();
  }

  /** The shown spin's card previews: HTML from the paths its own Finished event named, never the webview's. */
  private postCards(record: SpinRecord): void {
    const finished = record.events.find((e) => e.event === 'finished');
    if (finished?.event !== 'finished' || !finished.cards.length || !this.ready) return;
    for (const message of cardMessages(finished)) this.post(message);
  }

  /** A queue item clicked: that spin, if it is one the queue lists now (nothing else the webview names). */
  private showListed(requestId: string): void {
    const listed = queueItems(this.store.active(), this.displayed).some((item) => item.requestId === requestId);
    const record = listed ? this.store.active().find((r) => r.requestId === requestId) : undefined;
    if (!record) {
      this.output.appendLine('[spinlens] the results panel asked for a spin it does not list');
      return;
    }
    this.switchTo(record);
  }

  private postQueue(): void {
    if (!this.panel || !this.ready) return;
    const items = queueItems(this.store.active(), this.displayed);
    const text = JSON.stringify(items);
    if (text === this.postedQueue) return;
    this.postedQueue = text;
    this.post({ type: 'queue', items });
  }

  private postChild(): void {
    const record = this.displayed;
    const text = record ? childValues.of(record) : undefined; // known when the picker chose it
    if (text) this.post({ type: 'child', text });
  }

  /** The queued spin to show next, once the shown one is over: the oldest that has begun. */
  private nextFollower(): SpinRecord | undefined {
    for (const record of this.followers) {
      if (record.events.length > 0) return record;
    }
    return undefined;
  }

  private switchTo(record: SpinRecord): void {
    this.followers.delete(record);
    this.displayed = record;
    this.replay();
    this.updateTitle();
  }

  sendSettings(): void {
    this.post({ type: 'settings', diffRows: this.actions.diffRows() });
  }

  private onSpinChange({ record, event }: SpinChange): void {
    const shown = this.displayed;
    if (record !== shown) {
      if (isDone(record)) this.followers.delete(record);
      const next = shown && isDone(shown) ? this.nextFollower() : undefined;
      if (next) this.switchTo(next);
      else if (!event || event.event !== 'log' || record.events.length === 1) this.postQueue(); // a state change
      return;
    }
    if (event) this.post({ type: 'event', event });
    if (event?.event === 'finished') this.postCards(record);
    if (event?.event === 'started') {
      this.updateTitle();
      this.postChild();
    }
    if (!event || isDone(record)) {
      const next = this.nextFollower();
      if (next) this.switchTo(next);
      else this.postQueue();
    }
  }

  private onMessage(raw: unknown): void {
    const message = parseWebviewMessage(raw);
    if (!message) {
      this.output.appendLine('[spinlens] ignored an unexpected message from the results panel');
      return;
    }
    void this.handle(message);
  }

  private async handle(message: FromWebview): Promise<void> {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        this.postedQueue = '[]';
        this.sendSettings();
        this.replay();
        return;
      case 'cancel':
        if (this.displayed) this.actions.cancel(this.displayed);
        return;
      case 'showSpin':
        this.showListed(message.requestId);
        return;
      case 'openFile':
        await this.openFile(message.file, message.line);
        return;
      case 'rowValue':
        await this.rowValue(message.action, message.requestId, message.name);
        return;
    }
  }

  /** An output of the spin on display, named by an expanded row: its page, the viewer or a copy. */
  private async rowValue(action: 'page' | 'open' | 'copy', requestId: number, name: string): Promise<void> {
    const record = this.displayed;
    const event = record?.events.find((e) => e.event === 'artifact' && e.name === name && !e.internal && !e.partial);
    if (!record || !event) {
      this.output.appendLine(`[spinlens] no artifact ${name} in the spin on display`);
      return;
    }
    const ref: ValueRef = { uri: record.uri, name, spinId: event.spin_id };
    if (action === 'open') {
      this.actions.openValue?.(ref);
    } else if (action === 'copy') {
      await this.actions.copyValue?.(ref);
    } else if (this.actions.valuePage) {
      let reply: ToWebview;
      try {
        const { page } = await this.actions.valuePage(ref, ROW_PAGE_ROWS);
        reply = { type: 'rowPage', requestId, page, error: null };
      } catch (error) {
        reply = { type: 'rowPage', requestId, page: null, error: error instanceof Error ? error.message : String(error) };
      }
      if (this.displayed === record) this.post(reply);
    }
  }

  private allowedFiles(): string[] {
    const files: string[] = [];
    const record = this.displayed;
    if (record?.flowFile) files.push(record.flowFile);
    if (record) {
      const uri = vscode.Uri.parse(record.uri);
      if (uri.scheme === 'file') files.push(uri.fsPath);
    }
    return files;
  }

  private async openFile(file: string, line: number | null): Promise<void> {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    if (!isFileAllowed(file, roots, this.allowedFiles())) {
      this.output.appendLine(`[spinlens] not opening ${file}: outside the workspace`);
      return;
    }
    const position = new vscode.Position(Math.max(0, (line ?? 1) - 1), 0);
    try {
      await vscode.window.showTextDocument(vscode.Uri.file(file), {
        viewColumn: vscode.ViewColumn.One,
        selection: new vscode.Range(position, position),
        preserveFocus: false,
      });
    } catch (error) {
      void vscode.window.showWarningMessage(`Spinlens: cannot open ${file}: ${String(error)}`);
    }
  }

  dispose(): void {
    this.subscription.dispose();
    this.panel?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
