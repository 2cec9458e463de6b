/**
 * Making sure the chosen interpreter has the Spinlens backend, and offering to
 * install the wheel shipped inside the VSIX (`bundled/spinlens-*.whl`) when it
 * does not. Processes are started with argument arrays (execFile/spawn, no
 * shell), so no path or setting is ever parsed by a shell.
 */
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

export type BackendCheck =
  | { status: 'ok' }
  | { status: 'no-interpreter'; detail: string }
  | { status: 'no-backend'; detail: string };

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

/** Whether `python` runs and can `import spinlens`. */
export async function checkBackend(python: string, exec: Exec = execProcess): Promise<BackendCheck> {
  const result = await exec(python, ['-c', 'import spinlens'], 30_000);
  if (result.spawnError !== undefined) {
    return { status: 'no-interpreter', detail: `${python}: ${result.spawnError}` };
  }
  if (result.code === 0) return { status: 'ok' };
  const detail = result.stderr.trim().split('\n').pop() ?? '';
  if (/No module named|ModuleNotFoundError|ImportError/.test(result.stderr)) {
    return { status: 'no-backend', detail };
  }
  // Ran but failed for another reason (a broken install): reinstalling is the fix too.
  return { status: 'no-backend', detail: detail || `exit code ${String(result.code)}` };
}

function versionKey(file: string): number[] {
  const version = /^spinlens-([^-]+)-/.exec(file)?.[1] ?? '0';
  return version.split(/[.+]/).map((part) => Number.parseInt(part, 10) || 0);
}

function compareVersions(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The newest `spinlens-*.whl` in `<extensionPath>/bundled`, if any. */
export function findBundledWheel(extensionPath: string): string | undefined {
  const folder = path.join(extensionPath, 'bundled');
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return undefined;
  }
  const wheels = names.filter((n) => /^spinlens-.+\.whl$/.test(n));
  wheels.sort((a, b) => compareVersions(versionKey(b), versionKey(a)));
  return wheels[0] === undefined ? undefined : path.join(folder, wheels[0]);
}

/** `python -m pip install <wheel>`, streaming its output to `log`. */
export function pipInstall(
  python: string,
  wheel: string,
  log: (text: string) => void,
  token?: vscode.CancellationToken,
): Promise<ExecResult> {
  return new Promise((resolve) => {
    const args = ['-m', 'pip', 'install', '--disable-pip-version-check', wheel];
    log(`> ${python} ${args.join(' ')}\n`);
    const child = spawn(python, args, { windowsHide: true, shell: false });
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

export interface EnsureBackendOptions {
  python: string;
  extensionPath: string;
  output: vscode.OutputChannel;
}

const INSTALL = 'Install';
const OPEN_SETTINGS = 'Choose Interpreter';
const SHOW_LOG = 'Show Log';

async function openPythonSetting(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.openSettings', 'spinlens.python');
}

/**
 * True when the interpreter has the backend (possibly after installing it with the
 * user's consent); false when the server cannot start (the user was told why).
 */
export async function ensureBackend({ python, extensionPath, output }: EnsureBackendOptions): Promise<boolean> {
  const check = await checkBackend(python);
  if (check.status === 'ok') return true;
  if (check.status === 'no-interpreter') {
    output.appendLine(`Python interpreter not found: ${check.detail}`);
    const choice = await vscode.window.showErrorMessage(
      `Spinlens: cannot run the Python interpreter "${python}". Set "spinlens.python" to a Python 3.10+ that has Metaflow.`,
      OPEN_SETTINGS,
    );
    if (choice === OPEN_SETTINGS) await openPythonSetting();
    return false;
  }
  output.appendLine(`The Spinlens backend is missing from ${python}: ${check.detail}`);
  const wheel = findBundledWheel(extensionPath);
  if (wheel === undefined) {
    const choice = await vscode.window.showErrorMessage(
      `Spinlens: "${python}" has no spinlens package. Install it there (pip install spinlens) or choose another interpreter.`,
      OPEN_SETTINGS,
    );
    if (choice === OPEN_SETTINGS) await openPythonSetting();
    return false;
  }
  const choice = await vscode.window.showInformationMessage(
    `Spinlens needs its Python backend in "${python}". Install it from the wheel bundled with the extension (${path.basename(wheel)}, with pip)?`,
    INSTALL,
    OPEN_SETTINGS,
  );
  if (choice === OPEN_SETTINGS) await openPythonSetting();
  if (choice !== INSTALL) return false;

  const result = await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Spinlens: installing ${path.basename(wheel)} into ${python}`,
      cancellable: true,
    },
    (_progress, token) => pipInstall(python, wheel, (text) => output.append(text), token),
  );
  if (result.code === 0 && (await checkBackend(python)).status === 'ok') {
    void vscode.window.showInformationMessage(
      `Spinlens: installed ${path.basename(wheel)} into ${python} (pip install). Starting the Spinlens server.`,
    );
    return true;
  }
  const reason =
    result.spawnError ?? (result.stderr.trim().split('\n').pop() || `exit code ${String(result.code)}`);
  const next = await vscode.window.showErrorMessage(
    `Spinlens: installing the backend into "${python}" failed: ${reason}`,
    SHOW_LOG,
    OPEN_SETTINGS,
  );
  if (next === SHOW_LOG) output.show(true);
  if (next === OPEN_SETTINGS) await openPythonSetting();
  return false;
}
