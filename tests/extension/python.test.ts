import * as os from 'node:os';
import { beforeEach, describe, expect, it } from 'vitest';
import type { Exec } from '../../extension/src/install';
import {
  type DiscoveryDeps,
  FALLBACK_PYTHON,
  chooseInterpreter,
  condaEnvironments,
  environmentsApi,
  environmentsFromPythonExtension,
  expandPath,
  findInterpreters,
  interpreterFromPythonExtension,
  resolveInterpreter,
  workspaceVenv,
} from '../../extension/src/python';
import { Uri, mock } from './mocks/vscode';

beforeEach(() => mock.reset());

describe('chooseInterpreter: setting > Python extension > python3', () => {
  it('takes the spinlens.python setting first, without asking the Python extension', async () => {
    let asked = false;
    const result = await chooseInterpreter({
      setting: () => '/opt/venv/bin/python',
      pythonExtension: () => {
        asked = true;
        return Promise.resolve('/ext/python');
      },
    });
    expect(result).toEqual({ python: '/opt/venv/bin/python', source: 'setting' });
    expect(asked).toBe(false);
  });

  it("then the Python extension's active environment", async () => {
    const result = await chooseInterpreter({ setting: () => '  ', pythonExtension: () => Promise.resolve('/ext/python') });
    expect(result).toEqual({ python: '/ext/python', source: 'python-extension' });
  });

  it('then python3 on PATH (extension absent, empty or failing)', async () => {
    for (const pythonExtension of [
      () => Promise.resolve(undefined),
      () => Promise.resolve(''),
      () => Promise.reject(new Error('boom')),
    ]) {
      expect(await chooseInterpreter({ setting: () => '', pythonExtension })).toEqual({
        python: FALLBACK_PYTHON,
        source: 'path',
      });
    }
    expect(FALLBACK_PYTHON).toBe('python3');
  });

  it('expands ${workspaceFolder}, ${userHome} and ~ in the setting', async () => {
    const result = await chooseInterpreter({
      setting: () => '${workspaceFolder}/.venv/bin/python',
      pythonExtension: () => Promise.resolve(undefined),
      workspaceFolder: '/work/project',
    });
    expect(result.python).toBe('/work/project/.venv/bin/python');
    expect(expandPath('~/venv/bin/python', undefined)).toBe(`${os.homedir()}/venv/bin/python`);
    expect(expandPath('${userHome}/x', undefined)).toBe(`${os.homedir()}/x`);
    expect(expandPath('/a/~b', undefined)).toBe('/a/~b');
  });
});

describe("the Python extension's API, used only if present", () => {
  it('checks the shape of its exports', () => {
    expect(environmentsApi(undefined)).toBeUndefined();
    expect(environmentsApi({})).toBeUndefined();
    expect(environmentsApi({ environments: {} })).toBeUndefined();
    expect(environmentsApi({ environments: { getActiveEnvironmentPath: 'no' } })).toBeUndefined();
    expect(environmentsApi({ environments: { getActiveEnvironmentPath: () => ({ id: 'x', path: '/p' }) } })).toBeDefined();
  });

  it('is skipped when ms-python.python is not installed (code-server, VSCodium)', async () => {
    expect(await interpreterFromPythonExtension()).toBeUndefined();
  });

  it('resolves the active environment to its executable', async () => {
    mock.extensions['ms-python.python'] = {
      isActive: true,
      exports: {
        environments: {
          getActiveEnvironmentPath: () => ({ id: 'conda-env', path: '/opt/conda/envs/x' }),
          resolveEnvironment: () => Promise.resolve({ executable: { uri: Uri.file('/opt/conda/envs/x/bin/python') } }),
        },
      },
    };
    expect(await interpreterFromPythonExtension()).toBe('/opt/conda/envs/x/bin/python');
  });

  it('activates the extension when needed and falls back to the environment path', async () => {
    let activated = false;
    mock.extensions['ms-python.python'] = {
      isActive: false,
      exports: undefined,
      activate: () => {
        activated = true;
        return Promise.resolve({ environments: { getActiveEnvironmentPath: () => ({ id: 'v', path: '/v/bin/python' }) } });
      },
    };
    expect(await interpreterFromPythonExtension()).toBe('/v/bin/python');
    expect(activated).toBe(true);
  });

  it('survives an extension that throws', async () => {
    mock.extensions['ms-python.python'] = {
      isActive: true,
      exports: { environments: { getActiveEnvironmentPath: () => { throw new Error('not ready'); } } },
    };
    expect(await interpreterFromPythonExtension()).toBeUndefined();
  });
});

describe('resolveInterpreter (VS Code wiring)', () => {
  it('uses the Python extension when the setting is empty, python3 without it', async () => {
    mock.workspaceFolders = [{ uri: Uri.file('/work/project'), name: 'project', index: 0 }];
    expect(await resolveInterpreter('')).toEqual({ python: 'python3', source: 'path' });
    mock.extensions['ms-python.python'] = {
      isActive: true,
      exports: { environments: { getActiveEnvironmentPath: () => ({ id: 'v', path: '/ext/bin/python' }) } },
    };
    expect(await resolveInterpreter('')).toEqual({ python: '/ext/bin/python', source: 'python-extension' });
    expect(await resolveInterpreter('${workspaceFolder}/.venv/bin/python')).toEqual({
      python: '/work/project/.venv/bin/python',
      source: 'setting',
    });
  });
});

describe('the workspace venv', () => {
  it('comes after the Python extension and before python3 on PATH', async () => {
    const venv = () => '/work/project/.venv/bin/python';
    expect(await chooseInterpreter({ setting: () => '', pythonExtension: () => Promise.resolve(undefined), workspaceVenv: venv })).toEqual({
      python: '/work/project/.venv/bin/python',
      source: 'workspace',
    });
    expect(
      await chooseInterpreter({ setting: () => '', pythonExtension: () => Promise.resolve('/ext/python'), workspaceVenv: venv }),
    ).toEqual({ python: '/ext/python', source: 'python-extension' });
  });

  it('is .venv, else venv, when its interpreter exists', () => {
    const have = (files: string[]) => (file: string) => files.includes(file);
    expect(workspaceVenv('/w', have(['/w/venv/bin/python', '/w/.venv/bin/python']))).toBe('/w/.venv/bin/python');
    expect(workspaceVenv('/w', have(['/w/venv/bin/python']))).toBe('/w/venv/bin/python');
    expect(workspaceVenv('/w', have([]))).toBeUndefined();
  });
});

describe('findInterpreters (the picker)', () => {
  const deps = (over: Partial<DiscoveryDeps> = {}): DiscoveryDeps => ({
    pythonExtension: () => Promise.resolve(['/ext/envs/a/bin/python']),
    workspaceFolders: ['/w'],
    conda: () => Promise.resolve(['/home/u/miniconda3', '/home/u/miniconda3/envs/ml']),
    pathDirs: ['/usr/local/bin', '/usr/bin'],
    exists: (file) => !file.includes('missing'),
    list: (folder) =>
      folder === '/usr/bin' ? ['python3', 'python3.11', 'python3-config', 'python', 'pythonw'] : folder === '/usr/local/bin' ? ['python3.12'] : [],
    ...over,
  });

  it('lists the Python extension, workspace venvs, conda environments and PATH, each path once', async () => {
    const found = await findInterpreters(deps());
    expect(found).toEqual([
      { python: '/ext/envs/a/bin/python', source: 'python-extension' },
      { python: '/w/.venv/bin/python', source: 'workspace' },
      { python: '/w/venv/bin/python', source: 'workspace' },
      { python: '/home/u/miniconda3/bin/python', source: 'conda' },
      { python: '/home/u/miniconda3/envs/ml/bin/python', source: 'conda' },
      { python: '/usr/local/bin/python3.12', source: 'path' },
      { python: '/usr/bin/python3', source: 'path' },
      { python: '/usr/bin/python3.11', source: 'path' },
    ]);
    const again = await findInterpreters(deps({ pythonExtension: () => Promise.resolve(['/w/.venv/bin/python']) }));
    expect(again.filter((c) => c.python === '/w/.venv/bin/python')).toEqual([{ python: '/w/.venv/bin/python', source: 'python-extension' }]);
  });

  it("reads conda's own list, else the folders its installers use", async () => {
    const listed: Exec = (file, args) => {
      expect(args).toEqual(['env', 'list', '--json']);
      return Promise.resolve({ code: 0, stdout: JSON.stringify({ envs: ['/opt/conda', '/opt/conda/envs/x'] }), stderr: '' });
    };
    expect(await condaEnvironments(listed, '/home/u')).toEqual(['/opt/conda', '/opt/conda/envs/x']);
    const absent: Exec = () => Promise.resolve({ code: null, stdout: '', stderr: '', spawnError: 'ENOENT' });
    const folders = await condaEnvironments(absent, '/home/u', (folder) => (folder === '/home/u/miniforge3/envs' ? ['geo'] : []));
    expect(folders).toContain('/home/u/miniforge3/envs/geo');
    expect(folders).toContain('/home/u/miniconda3');
    expect(folders).toContain('/opt/conda');
  });

  it("takes the Python extension's known environments, executables first", async () => {
    mock.extensions['ms-python.python'] = {
      isActive: true,
      exports: {
        environments: {
          getActiveEnvironmentPath: () => ({ id: 'a', path: '/a' }),
          known: [{ path: '/envs/a', executable: { uri: Uri.file('/envs/a/bin/python') } }, { path: '/envs/b/bin/python' }],
        },
      },
    };
    expect(await environmentsFromPythonExtension()).toEqual(['/envs/a/bin/python', '/envs/b/bin/python']);
    mock.extensions = {};
    expect(await environmentsFromPythonExtension()).toEqual([]);
  });
});
