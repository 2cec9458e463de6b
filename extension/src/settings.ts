/** The `spinlens.*` settings, read with defaults and sanity checks. */
import * as vscode from 'vscode';
import type { ServerOptions } from './protocol';

export const SECTION = 'spinlens';

export interface Settings extends ServerOptions {
  /** Interpreter path; empty: automatic. */
  python: string;
}

function nonNegativeInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
    ? Math.floor(value)
    : fallback;
}

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 1
    ? Math.floor(value)
    : fallback;
}

/** Settings from a raw configuration getter (testable without VS Code). */
export function readSettings(get: (key: string) => unknown): Settings {
  const python = get('python');
  const run = get('defaultSourceRun');
  return {
    python: typeof python === 'string' ? python.trim() : '',
    defaultSourceRun: typeof run === 'string' && run.trim() !== '' ? run.trim() : null,
    // 0 keeps no history (docs/protocol.md).
    historySize: nonNegativeInteger(get('historySize'), 10),
    diffRows: positiveInteger(get('diffRows'), 20),
    memoryLimitMB: nonNegativeInteger(get('memoryLimitMB'), 0),
    inlayHints: get('inlayHints') === true,
    prewarmMemoryMB: nonNegativeInteger(get('prewarmMemoryMB'), 2048),
  };
}

export function getSettings(scope?: vscode.ConfigurationScope): Settings {
  const config = vscode.workspace.getConfiguration(SECTION, scope);
  return readSettings((key) => config.get<unknown>(key));
}

/** What the server receives as `initializationOptions` (and on configuration changes). */
export function serverOptions(settings: Settings): ServerOptions {
  return {
    defaultSourceRun: settings.defaultSourceRun,
    historySize: settings.historySize,
    diffRows: settings.diffRows,
    memoryLimitMB: settings.memoryLimitMB,
    inlayHints: settings.inlayHints,
    prewarmMemoryMB: settings.prewarmMemoryMB,
  };
}
