/** The status bar item: idle / spinning <step>… / the last result. */
import * as vscode from 'vscode';
import { ClientCommand } from './protocol';
import { type SpinRecord, type SpinStore, changedCount, userArtifacts } from './spins';
import { clip, formatDuration, plural } from './format';
import { MANAGE_TRUST_COMMAND, UNTRUSTED_REASON } from './trust';

export type ServerState = 'starting' | 'running' | 'stopped' | 'unavailable' | 'untrusted';

export interface StatusView {
  text: string;
  tooltip: string;
  command: string | undefined;
  /** Show with the error background. */
  error: boolean;
}

/** Internal command (no palette entry) behind the status bar when the server is down. */
export const START_SERVER_COMMAND = 'spinlens.startServer';

/**
 * What the item shows for the last spin and the server's state (pure,
 * unit-tested); `python` is the interpreter the server runs (or failed) with.
 */
export function describeStatus(record: SpinRecord | undefined, server: ServerState, python?: string): StatusView {
  if (server === 'untrusted') {
    return {
      text: '$(shield) Spinlens',
      tooltip: `${UNTRUSTED_REASON} Click to manage Workspace Trust.`,
      command: MANAGE_TRUST_COMMAND,
      error: false,
    };
  }
  if (record && (record.state === 'pending' || record.state === 'running')) {
    return {
      text: `$(sync~spin) Spinning ${record.step}…`,
      tooltip: `Spinlens: spinning ${record.step}. Click to cancel.`,
      command: ClientCommand.cancelSpin,
      error: false,
    };
  }
  if (server === 'unavailable' || server === 'stopped') {
    const using = python === undefined ? '' : ` with ${python}`;
    return {
      text: '$(warning) Spinlens',
      tooltip: `Spinlens: the server is not running${using} (see the Spinlens output). Click to start it.`,
      command: START_SERVER_COMMAND,
      error: true,
    };
  }
  if (server === 'starting' && !record) {
    return {
      text: '$(loading~spin) Spinlens',
      tooltip: `Spinlens: starting the server${python === undefined ? '' : ` with ${python}`}…`,
      command: undefined,
      error: false,
    };
  }
  if (!record) {
    return {
      text: '$(debug-start) Spinlens',
      tooltip: 'Spinlens: idle. Use "Spin this step" above a @step.',
      command: ClientCommand.showResults,
      error: false,
    };
  }
  const terminal = record.terminal;
  const total = terminal ? totalSeconds(terminal.timings) : undefined;
  const took = total === undefined ? '' : ` in ${formatDuration(total)}`;
  if (record.state === 'ok') {
    const changed = changedCount(record);
    return {
      text: `$(check) ${record.step}: ${changed} changed`,
      tooltip: `Spinlens: ${record.step} spun${took}; ${plural(userArtifacts(record).length, 'artifact')}, ${changed} changed vs the source run. Click to show the results.`,
      command: ClientCommand.showResults,
      error: false,
    };
  }
  if (record.state === 'cancelled') {
    return {
      text: `$(circle-slash) ${record.step}: cancelled`,
      tooltip: `Spinlens: the spin of ${record.step} was cancelled. Click to show the results.`,
      command: ClientCommand.showResults,
      error: false,
    };
  }
  const error = terminal?.event === 'failed' ? terminal.error : 'failed';
  return {
    text: `$(error) ${record.step}: failed`,
    tooltip: `Spinlens: ${record.step} failed: ${clip(error, 200)}. Click to show the results.`,
    command: ClientCommand.showResults,
    error: true,
  };
}

function totalSeconds(timings: Record<string, number | undefined>): number | undefined {
  if (typeof timings.total_s === 'number') return timings.total_s;
  const parts = ['prepare_s', 'load_s', 'step_s', 'outputs_s']
    .map((k) => timings[k])
    .filter((v): v is number => typeof v === 'number');
  return parts.length ? parts.reduce((a, b) => a + b, 0) : undefined;
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private server: ServerState = 'starting';
  private python: string | undefined;
  private record: SpinRecord | undefined;
  private readonly subscription: { dispose(): void };

  constructor(store: SpinStore) {
    this.item = vscode.window.createStatusBarItem('spinlens.status', vscode.StatusBarAlignment.Left, 50);
    this.item.name = 'Spinlens';
    this.subscription = store.onDidChange(({ record }) => {
      this.record = record;
      this.render();
    });
    this.render();
    this.item.show();
  }

  setServerState(state: ServerState, python?: string): void {
    this.server = state;
    this.python = python;
    this.render();
  }

  private render(): void {
    const view = describeStatus(this.record, this.server, this.python);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    const args =
      this.record && view.command === ClientCommand.showResults
        ? [this.record.uri, this.record.step]
        : [];
    this.item.command =
      view.command === undefined
        ? undefined
        : { title: 'Spinlens', command: view.command, arguments: args };
    this.item.backgroundColor = view.error
      ? new vscode.ThemeColor('statusBarItem.errorBackground')
      : undefined;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
