/**
 * What the chosen interpreter needs, and helping the user get it. The VSIX
 * carries the backend's own libraries (`bundled/`, see scripts/bundle_libs.py),
 * so an interpreter needs only Python 3.10+ and Metaflow, which the user's flows
 * need anyway; nothing is installed into it. Without a bundle (running from the
 * repository) it needs the spinlens package too.
 *
 * Every message names the interpreter's path. Processes are started with
 * argument arrays (execFile/spawn, no shell), so no path is parsed by a shell.
 */
import { execFile, spawn } from 'node:child_process';
import * as path from 'node:path';
import * as vscode from 'vscode';

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  spawnError?: string;
}

export type Exec = (file: string, args: readonly string[], timeoutMs: number) => Promise<ExecResult>;

export const execProcess: Exec = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      const spawnError =
        error && typeof (error as NodeJS.ErrnoException).code === 'string'
          ? String((error as NodeJS.ErrnoException).code)
          : undefined;
      const exitCode = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code: exitCode, stdout: String(stdout), stderr: String(stderr), spawnError });
    });
  });

/** What one run of an interpreter says about itself (`PROBE`). */
export interface InterpreterFacts {
  executable: string;
  prefix: string;
  version: number[];
  /** Metaflow's version, 'unknown' when it has no metadata, null when it is absent. */
  metaflow: string | null;
  spinlens: boolean;
  pip: boolean;
  /** PEP 668: a system Python whose pip refuses to install (and not a venv). */
  externallyManaged: boolean;
}

// Runs on any Python 3 (it must report an old one, not fail on it); no imports of
// the modules it looks for, so it is quick and has no side effects.
export const PROBE = [
  'import json, os, sys, sysconfig',
  'from importlib.util import find_spec',
  'def has(name):',
  '    try:',
  '        return find_spec(name) is not None',
  '    except Exception:',
  '        return False',
  'def version(name):',
  '    try:',
  '        from importlib.metadata import version',
  '        return version(name)',
  '    except Exception:',
  '        return "unknown"',
  'venv = sys.prefix != getattr(sys, "base_prefix", sys.prefix)',
  'marker = os.path.join(sysconfig.get_path("stdlib") or "", "EXTERNALLY-MANAGED")',
  'print(json.dumps({"executable": sys.executable, "prefix": sys.prefix,',
  '    "version": list(sys.version_info[:3]),',
  '    "metaflow": version("metaflow") if has("metaflow") else None,',
  '    "spinlens": has("spinlens"), "pip": has("pip"),',
  '    "externallyManaged": not venv and os.path.isfile(marker)}))',
].join('\n');

export const MIN_PYTHON = [3, 10];
export const MIN_METAFLOW = [2, 19];

export type BackendCheck =
  | { status: 'ok'; facts: InterpreterFacts }
  | { status: 'no-interpreter'; detail: string }
  | { status: 'broken'; detail: string }
  | { status: 'too-old'; facts: InterpreterFacts }
  | { status: 'no-metaflow'; facts: InterpreterFacts }
  | { status: 'old-metaflow'; facts: InterpreterFacts }
  | { status: 'no-backend'; facts: InterpreterFacts };

function parseFacts(stdout: string): InterpreterFacts | undefined {
  const line = stdout.trim().split('\n').pop() ?? '';
  try {
    const raw: unknown = JSON.parse(line);
    if (typeof raw !== 'object' || raw === null) return undefined;
    const facts = raw as Partial<InterpreterFacts>;
    const ok =
      typeof facts.executable === 'string' &&
      typeof facts.prefix === 'string' &&
      Array.isArray(facts.version) &&
      facts.version.every((n) => typeof n === 'number') &&
      (facts.metaflow === null || typeof facts.metaflow === 'string') &&
      typeof facts.spinlens === 'boolean' &&
      typeof facts.pip === 'boolean' &&
      typeof facts.externallyManaged === 'boolean';
    return ok ? (facts as InterpreterFacts) : undefined;
  } catch {
    return undefined;
  }
}

function atLeast(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i++) {
    const part = version[i] ?? 0;
    const need = minimum[i] ?? 0;
    if (part !== need) return part > need;
  }
  return true;
}

function versionParts(text: string): number[] {
  return text.split('.').map((part) => Number.parseInt(part, 10) || 0);
}

/** The interesting lines of a failed command's output (not pip's trailing hints). */
export function failureSummary(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(hint:|note:|\[notice\])/i.test(l));
  const errors = lines.filter((l) => /^(error\b|ERROR:|\w+Error\b)|not available|No matching distribution/.test(l));
  const picked = errors.length > 0 ? errors.slice(0, 2) : lines.slice(-2);
  return picked.join(' ').slice(0, 400);
}

/** What `python` lacks to run Spinlens (with the bundled libraries when `bundled`). */
export async function checkBackend(python: string, bundled: boolean, exec: Exec = execProcess): Promise<BackendCheck> {
  const result = await exec(python, ['-c', PROBE], 30_000);
  if (result.spawnError !== undefined) return { status: 'no-interpreter', detail: result.spawnError };
  const facts = result.code === 0 ? parseFacts(result.stdout) : undefined;
  if (!facts) {
    const detail = failureSummary(result.stderr) || `exit code ${String(result.code)}`;
    return { status: 'broken', detail };
  }
  if (!atLeast(facts.version, MIN_PYTHON)) return { status: 'too-old', facts };
  if (facts.metaflow === null) return { status: 'no-metaflow', facts };
  if (facts.metaflow !== 'unknown' && !atLeast(versionParts(facts.metaflow), MIN_METAFLOW)) {
    return { status: 'old-metaflow', facts };
  }
  if (!bundled && !facts.spinlens) return { status: 'no-backend', facts };
  return { status: 'ok', facts };
}

/** `Python 3.11.7 · Metaflow 2.19.3`, or why it cannot run Spinlens. */
export function describeCheck(check: BackendCheck): string {
  if (check.status === 'no-interpreter') return `does not run (${check.detail})`;
  if (check.status === 'broken') return `does not run: ${check.detail}`;
  const python = `Python ${check.facts.version.join('.')}`;
  switch (check.status) {
    case 'too-old':
      return `${python}: too old, Spinlens needs 3.10+`;
    case 'no-metaflow':
      return `${python} · no Metaflow`;
    case 'old-metaflow':
      return `${python} · Metaflow ${check.facts.metaflow ?? ''}: too old, needs 2.19+`;
    default:
      return `${python} · Metaflow ${check.facts.metaflow ?? ''}`;
  }
}

/** The command that installs `what` with `python` (quoted when the path has spaces). */
export function pipCommand(python: string, what: string): string {
  const exe = /\s/.test(python) ? `"${python}"` : python;
  return `${exe} -m pip install ${what}`;
}

/** The message and actions for a check that is not ok (undefined when it is). */
export function onboardingMessage(
  python: string,
  check: BackendCheck,
): { text: string; actions: string[] } | undefined {
  switch (check.status) {
    case 'ok':
      return undefined;
    case 'no-interpreter':
      return {
        text: `Spinlens: cannot run the Python interpreter "${python}" (${check.detail}). Choose a Python 3.10+ that has Metaflow.`,
        actions: [CHOOSE],
      };
    case 'broken':
      return { text: `Spinlens: "${python}" did not run: ${check.detail}`, actions: [CHOOSE, SHOW_LOG] };
    case 'too-old':
      return {
        text: `Spinlens: "${python}" is Python ${check.facts.version.join('.')}; Spinlens needs Python 3.10 or newer.`,
        actions: [CHOOSE],
      };
    case 'no-metaflow':
      if (check.facts.externallyManaged) {
        return {
          text: `Spinlens: Metaflow is not installed in "${python}", and that Python is managed by the system (PEP 668: its pip refuses to install packages). Create a virtual environment for this workspace (.venv, with Metaflow) or choose another interpreter.`,
          actions: [CREATE_VENV, CHOOSE],
        };
      }
      return {
        text: `Spinlens: Metaflow is not installed in "${python}". Install it with: ${pipCommand(python, 'metaflow')}${check.facts.pip ? '' : ` (that Python has no pip: run "${python} -m ensurepip" first)`}. Or choose another interpreter.`,
        actions: [CHOOSE, COPY],
      };
    case 'old-metaflow':
      return {
        text: `Spinlens: "${python}" has Metaflow ${check.facts.metaflow ?? ''}; spinning needs Metaflow 2.19 or newer: ${pipCommand(python, '--upgrade metaflow')}`,
        actions: [CHOOSE, COPY],
      };
    case 'no-backend':
      return {
        text: `Spinlens: "${python}" has no spinlens package, and this build of the extension bundles none. Install it there (${pipCommand(python, '-e .')} in the Spinlens repository) or choose another interpreter.`,
        actions: [CHOOSE],
      };
  }
}

export const CHOOSE = 'Choose Interpreter';
export const CREATE_VENV = 'Create .venv';
export const COPY = 'Copy Command';
export const SHOW_LOG = 'Show Log';

/** The command in a message, for Copy Command. */
function commandIn(python: string, check: BackendCheck): string {
  return check.status === 'old-metaflow' ? pipCommand(python, '--upgrade metaflow') : pipCommand(python, 'metaflow');
}

// --- creating a workspace .venv with Metaflow -------------------------------------

/** Runs a process, streaming its output to `log`; cancelled with `token`. */
export function runStreaming(
  file: string,
  args: readonly string[],
  log: (text: string) => void,
  token?: vscode.CancellationToken,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    log(`> ${file} ${args.join(' ')}\n`);
    const child = spawn(file, [...args], { windowsHide: true, shell: false });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stdout += text;
      log(text);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr += text;
      log(text);
    });
    const cancel = token?.onCancellationRequested(() => child.kill());
    child.on('error', (error: NodeJS.ErrnoException) => {
      cancel?.dispose();
      resolve({ code: null, stdout, stderr, spawnError: error.code ?? error.message });
    });
    child.on('close', (code) => {
      cancel?.dispose();
      resolve({ code, stdout, stderr });
    });
  });
}

export function venvPython(venv: string): string {
  return process.platform === 'win32' ? path.join(venv, 'Scripts', 'python.exe') : path.join(venv, 'bin', 'python');
}

export type VenvResult = { ok: true; python: string } | { ok: false; reason: string };

/** `<python> -m venv <folder>/.venv`, then Metaflow into it with its pip, with progress. */
export async function createVenv(
  python: string,
  folder: string,
  output: vscode.OutputChannel,
): Promise<VenvResult> {
  const venv = path.join(folder, '.venv');
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Spinlens: creating ${venv} with ${python}`,
      cancellable: true,
    },
    async (progress, token): Promise<VenvResult> => {
      const log = (text: string): void => {
        output.append(text);
        const last = text.trim().split('\n').pop();
        if (last) progress.report({ message: last.slice(0, 120) });
      };
      progress.report({ message: 'python -m venv .venv' });
      const made = await runStreaming(python, ['-m', 'venv', venv], log, token);
      if (made.code !== 0) {
        const why = made.spawnError ?? failureSummary(made.stderr + made.stdout);
        return { ok: false, reason: `"${python} -m venv ${venv}" failed: ${why}` };
      }
      const created = venvPython(venv);
      progress.report({ message: 'pip install metaflow' });
      const args = ['-m', 'pip', 'install', '--disable-pip-version-check', 'metaflow'];
      const installed = await runStreaming(created, args, log, token);
      if (installed.code !== 0) {
        const why = installed.spawnError ?? failureSummary(installed.stderr + installed.stdout);
        return { ok: false, reason: `"${pipCommand(created, 'metaflow')}" failed: ${why}` };
      }
      return { ok: true, python: created };
    },
  );
}

// --- the check at server start ------------------------------------------------------

export interface EnsureBackendOptions {
  python: string;
  /** Whether the VSIX bundles the backend's libraries (the interpreter needs only Metaflow). */
  bundled: boolean;
  output: vscode.OutputChannel;
  /** The workspace folder a .venv would be created in. */
  workspaceFolder: string | undefined;
  /** Runs the interpreter picker. */
  chooseInterpreter: () => Promise<unknown>;
  /** Saves an interpreter as the spinlens.python setting (restarting the server). */
  saveInterpreter: (python: string) => Promise<void>;
  exec?: Exec;
}

/**
 * True when the interpreter can run Spinlens; false when it cannot (the user was
 * told why, with the way forward: another interpreter, the command, a .venv).
 */
export async function ensureBackend(options: EnsureBackendOptions): Promise<boolean> {
  const { python, output } = options;
  const check = await checkBackend(python, options.bundled, options.exec);
  const message = onboardingMessage(python, check);
  if (!message) {
    if (check.status === 'ok') output.appendLine(`[spinlens] ${python}: ${describeCheck(check)}`);
    return true;
  }
  output.appendLine(`[spinlens] ${message.text}`);
  const actions = message.actions.filter((a) => a !== CREATE_VENV || options.workspaceFolder !== undefined);
  const choice = await vscode.window.showErrorMessage(message.text, ...actions);
  if (choice === CHOOSE) await options.chooseInterpreter();
  else if (choice === SHOW_LOG) output.show(true);
  else if (choice === COPY) await vscode.env.clipboard.writeText(commandIn(python, check));
  else if (choice === CREATE_VENV && options.workspaceFolder !== undefined) {
    const made = await createVenv(python, options.workspaceFolder, output);
    if (made.ok) {
      void vscode.window.showInformationMessage(
        `Spinlens: created ${made.python} with Metaflow; Spinlens uses it for this workspace.`,
      );
      await options.saveInterpreter(made.python);
    } else {
      const next = await vscode.window.showErrorMessage(`Spinlens: ${made.reason}`, SHOW_LOG, CHOOSE);
      if (next === SHOW_LOG) output.show(true);
      if (next === CHOOSE) await options.chooseInterpreter();
    }
  }
  return false;
}
