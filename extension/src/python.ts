/**
 * Which Python runs the Spinlens server: the `spinlens.python` setting, else the
 * Microsoft Python extension's active environment when that extension is
 * installed (it is absent from code-server and VSCodium, so it is never
 * required), else the workspace's `.venv`/`venv`, else `python3` on PATH. And
 * the interpreters the picker offers: those, conda's environments, PATH's.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { type Exec, execProcess, venvPython } from './install';

export const PYTHON_EXTENSION_ID = 'ms-python.python';
export const FALLBACK_PYTHON = process.platform === 'win32' ? 'python' : 'python3';

export type InterpreterSource = 'setting' | 'python-extension' | 'workspace' | 'path';

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
  /** The workspace's `.venv`/`venv` interpreter, if there is one. */
  workspaceVenv?: () => string | undefined;
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

/** The interpreter, in the order setting > Python extension > workspace venv > python3. */
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
  const venv = providers.workspaceVenv?.();
  if (venv !== undefined) return { python: venv, source: 'workspace' };
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

interface KnownEnvironment {
  path: string;
  executable?: { uri?: vscode.Uri };
}

interface PythonEnvironmentsApi {
  getActiveEnvironmentPath(resource?: vscode.Uri): EnvironmentPath;
  known?: readonly KnownEnvironment[];
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

/** Every environment the Python extension knows of (empty when it is absent). */
export async function environmentsFromPythonExtension(): Promise<string[]> {
  try {
    const known = (await pythonExtensionApi())?.known;
    if (!Array.isArray(known)) return [];
    return known
      .map((env: KnownEnvironment) => env.executable?.uri?.fsPath ?? env.path)
      .filter((p): p is string => typeof p === 'string' && p !== '');
  } catch {
    return [];
  }
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** `<folder>/.venv` or `<folder>/venv`'s interpreter, if it exists. */
export function workspaceVenv(folder: string, exists: (file: string) => boolean = isExecutable): string | undefined {
  return ['.venv', 'venv'].map((name) => venvPython(path.join(folder, name))).find(exists);
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
    workspaceVenv: () => (folder ? workspaceVenv(folder.uri.fsPath) : undefined),
  });
}

// --- every interpreter found, for the picker ---------------------------------------

export type CandidateSource = 'python-extension' | 'workspace' | 'conda' | 'path';

export interface Candidate {
  python: string;
  source: CandidateSource;
}

export interface DiscoveryDeps {
  pythonExtension: () => Promise<string[]>;
  workspaceFolders: readonly string[];
  /** Prefixes of conda environments (`conda env list --json`, else the usual folders). */
  conda: () => Promise<string[]>;
  /** The folders of PATH. */
  pathDirs: readonly string[];
  exists: (file: string) => boolean;
  list: (folder: string) => string[];
}

const PATH_PYTHON = process.platform === 'win32' ? /^python(3(\.\d+)?)?\.exe$/i : /^python3(\.\d+)?$/;

/** The interpreters found, in the picker's order, each path once. */
export async function findInterpreters(deps: DiscoveryDeps): Promise<Candidate[]> {
  const found: Candidate[] = [];
  const add = (python: string, source: CandidateSource): void => {
    if (!found.some((c) => c.python === python)) found.push({ python, source });
  };
  for (const python of await deps.pythonExtension()) add(python, 'python-extension');
  for (const folder of deps.workspaceFolders) {
    for (const name of ['.venv', 'venv']) {
      const python = venvPython(path.join(folder, name));
      if (deps.exists(python)) add(python, 'workspace');
    }
  }
  for (const prefix of await deps.conda()) {
    const python = process.platform === 'win32' ? path.join(prefix, 'python.exe') : path.join(prefix, 'bin', 'python');
    if (deps.exists(python)) add(python, 'conda');
  }
  for (const folder of deps.pathDirs) {
    for (const name of deps.list(folder).filter((n) => PATH_PYTHON.test(n)).sort()) {
      const python = path.join(folder, name);
      if (deps.exists(python)) add(python, 'path');
    }
  }
  return found;
}

/** conda's environments: `conda env list --json`, else the folders conda installers use. */
export async function condaEnvironments(
  exec: Exec = execProcess,
  home: string = os.homedir(),
  list: (folder: string) => string[] = listFolder,
): Promise<string[]> {
  const conda = process.env.CONDA_EXE || 'conda';
  const result = await exec(conda, ['env', 'list', '--json'], 15_000);
  if (result.code === 0) {
    try {
      const envs: unknown = (JSON.parse(result.stdout) as { envs?: unknown }).envs;
      if (Array.isArray(envs)) return envs.filter((e): e is string => typeof e === 'string');
    } catch {
      // not JSON: look in the usual folders
    }
  }
  const bases = ['miniconda3', 'anaconda3', 'miniforge3', 'mambaforge', 'micromamba']
    .map((name) => path.join(home, name))
    .concat(['/opt/conda']);
  return bases.flatMap((base) => [base, ...list(path.join(base, 'envs')).map((name) => path.join(base, 'envs', name))]);
}

function listFolder(folder: string): string[] {
  try {
    return fs.readdirSync(folder);
  } catch {
    return [];
  }
}

/** The discovery of this machine and window. */
export function systemDiscovery(): DiscoveryDeps {
  return {
    pythonExtension: environmentsFromPythonExtension,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    conda: () => condaEnvironments(),
    pathDirs: (process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    exists: isExecutable,
    list: listFolder,
  };
}

/** Saves `python` as the spinlens.python setting of the workspace (user settings without one). */
export async function saveInterpreterSetting(python: string): Promise<void> {
  const target = vscode.workspace.workspaceFolders?.length
    ? vscode.ConfigurationTarget.Workspace
    : vscode.ConfigurationTarget.Global;
  await vscode.workspace.getConfiguration('spinlens').update('python', python, target);
}
