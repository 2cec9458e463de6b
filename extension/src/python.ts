/**
 * Which Python runs the Spinlens server: the `spinlens.python` setting, else the
 * Microsoft Python extension's active environment when that extension is
 * installed (it is absent from code-server and VSCodium, so it is never
 * required), else `python3` on PATH.
 */
import * as os from 'node:os';
import * as vscode from 'vscode';

export const PYTHON_EXTENSION_ID = 'ms-python.python';
export const FALLBACK_PYTHON = process.platform === 'win32' ? 'python' : 'python3';

export type InterpreterSource = 'setting' | 'python-extension' | 'path';

export interface Interpreter {
  /** Executable path or command name. */
  python: string;
  source: InterpreterSource;
}

export interface InterpreterProviders {
  /** The `spinlens.python` setting ('' when unset). */
  setting: () => string;
  /** The Python extension's active interpreter, undefined when unavailable. */
  pythonExtension: () => Promise<string | undefined>;
  /** Folder used to resolve `${workspaceFolder}` and relative paths. */
  workspaceFolder?: string;
}

/** Expands `${workspaceFolder}`, `${userHome}` and a leading `~`. */
export function expandPath(value: string, workspaceFolder: string | undefined): string {
  let result = value.trim();
  const home = os.homedir();
  result = result.replace(/\$\{userHome\}/g, home);
  if (workspaceFolder !== undefined) {
    result = result.replace(/\$\{workspaceFolder\}/g, workspaceFolder);
  }
  if (result === '~' || result.startsWith('~/')) result = home + result.slice(1);
  return result;
}

/** The interpreter, in the order setting > Python extension > python3. */
export async function chooseInterpreter(providers: InterpreterProviders): Promise<Interpreter> {
  const configured = providers.setting().trim();
  if (configured !== '') {
    return { python: expandPath(configured, providers.workspaceFolder), source: 'setting' };
  }
  let fromExtension: string | undefined;
  try {
    fromExtension = await providers.pythonExtension();
  } catch {
    fromExtension = undefined;
  }
  if (fromExtension !== undefined && fromExtension.trim() !== '') {
    return { python: fromExtension, source: 'python-extension' };
  }
  return { python: FALLBACK_PYTHON, source: 'path' };
}

// --- the Microsoft Python extension's API, used only if present ----------------------

interface EnvironmentPath {
  id: string;
  path: string;
}

interface ResolvedEnvironment {
  executable: { uri?: vscode.Uri };
}

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
  resolveEnvironment?(environment: EnvironmentPath | string): Promise<ResolvedEnvironment | undefined>;
  onDidChangeActiveEnvironmentPath?: vscode.Event<unknown>;
}

function isFunction(value: unknown): value is (...args: never[]) => unknown {
  return typeof value === 'function';
}

/** The `environments` part of the Python extension's exports, if it has the expected shape. */
export function environmentsApi(exports: unknown): PythonEnvironmentsApi | undefined {
  if (typeof exports !== 'object' || exports === null) return undefined;
  const environments: unknown = (exports as { environments?: unknown }).environments;
  if (typeof environments !== 'object' || environments === null) return undefined;
  const api = environments as Record<string, unknown>;
  if (!isFunction(api.getActiveEnvironmentPath)) return undefined;
  return environments as PythonEnvironmentsApi;
}

async function pythonExtensionApi(): Promise<PythonEnvironmentsApi | undefined> {
  const extension = vscode.extensions.getExtension<unknown>(PYTHON_EXTENSION_ID);
  if (!extension) return undefined;
  const exports: unknown = extension.isActive ? extension.exports : await extension.activate();
  return environmentsApi(exports);
}

/** The active interpreter of the Python extension, or undefined (absent, no env, error). */
export async function interpreterFromPythonExtension(
  resource?: vscode.Uri,
): Promise<string | undefined> {
  try {
    const api = await pythonExtensionApi();
    if (!api) return undefined;
    const active = api.getActiveEnvironmentPath(resource);
    if (typeof active !== 'object' || active === null) return undefined;
    if (isFunction(api.resolveEnvironment)) {
      const resolved = await api.resolveEnvironment(active);
      const fsPath = resolved?.executable?.uri?.fsPath;
      if (typeof fsPath === 'string' && fsPath !== '') return fsPath;
    }
    return typeof active.path === 'string' && active.path !== '' ? active.path : undefined;
  } catch {
    return undefined;
  }
}

/** Calls `listener` when the Python extension's active environment changes (if it is present). */
export async function onPythonEnvironmentChange(
  listener: () => void,
): Promise<vscode.Disposable | undefined> {
  try {
    const api = await pythonExtensionApi();
    const event = api?.onDidChangeActiveEnvironmentPath;
    return isFunction(event) ? event(() => listener()) : undefined;
  } catch {
    return undefined;
  }
}

/** The interpreter for this window, from the settings and the environment. */
export async function resolveInterpreter(
  setting: string,
  resource?: vscode.Uri,
): Promise<Interpreter> {
  const folder = resource
    ? vscode.workspace.getWorkspaceFolder(resource)
    : vscode.workspace.workspaceFolders?.[0];
  return chooseInterpreter({
    setting: () => setting,
    pythonExtension: () => interpreterFromPythonExtension(resource ?? folder?.uri),
    workspaceFolder: folder?.uri.fsPath,
  });
}
