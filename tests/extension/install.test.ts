import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as vscode from 'vscode';
import {
  type Exec,
  checkBackend,
  ensureBackend,
  execProcess,
  findBundledWheel,
  pipInstall,
} from '../../extension/src/install';
import { repoFile } from './fixtures';
import { mock, window } from './mocks/vscode';

let dir: string;
beforeEach(() => {
  mock.reset();
  dir = mkdtempSync(path.join(os.tmpdir(), 'spinlens-install-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const output = (): vscode.OutputChannel => window.createOutputChannel('Spinlens') as unknown as vscode.OutputChannel;

/** A stand-in interpreter: `-c` fails until `-m pip install` ran; pip echoes its arguments. */
function fakePython(pipExit = 0): string {
  const file = path.join(dir, 'fake python');
  writeFileSync(
    file,
    `#!/bin/sh
MARK="$(dirname "$0")/installed"
if [ "$1" = "-c" ]; then
  [ -f "$MARK" ] && exit 0
  echo "ModuleNotFoundError: No module named 'spinlens'" >&2
  exit 1
fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  for a in "$@"; do printf 'ARG:%s\\n' "$a"; done
  if [ ${pipExit} -ne 0 ]; then echo "error: externally-managed-environment" >&2; exit ${pipExit}; fi
  touch "$MARK"
  exit 0
fi
exit 3
`,
  );
  chmodSync(file, 0o755);
  return file;
}

function bundle(...names: string[]): string {
  const extension = path.join(dir, 'extension');
  mkdirSync(path.join(extension, 'bundled'), { recursive: true });
  for (const name of names) writeFileSync(path.join(extension, 'bundled', name), '');
  return extension;
}

describe('checkBackend', () => {
  const exec = (result: Awaited<ReturnType<Exec>>): Exec => (file, args) => {
    expect(args).toEqual(['-c', 'import spinlens']);
    return Promise.resolve(result);
  };

  it('runs `<python> -c "import spinlens"`', async () => {
    expect(await checkBackend('py', exec({ code: 0, stdout: '', stderr: '' }))).toEqual({ status: 'ok' });
    expect(
      await checkBackend('py', exec({ code: 1, stdout: '', stderr: "ModuleNotFoundError: No module named 'spinlens'\n" })),
    ).toEqual({ status: 'no-backend', detail: "ModuleNotFoundError: No module named 'spinlens'" });
    expect(await checkBackend('py', exec({ code: null, stdout: '', stderr: '', spawnError: 'ENOENT' }))).toEqual({
      status: 'no-interpreter',
      detail: 'py: ENOENT',
    });
  });

  it('tells a missing interpreter from a missing package with real processes', async () => {
    expect((await checkBackend(path.join(dir, 'no-such-python'), execProcess)).status).toBe('no-interpreter');
    expect((await checkBackend(fakePython(), execProcess)).status).toBe('no-backend');
    const venv = repoFile('.venv/bin/python');
    if (existsSync(venv)) expect((await checkBackend(venv, execProcess)).status).toBe('ok');
  });
});

describe('findBundledWheel', () => {
  it('picks the newest spinlens wheel in bundled/', () => {
    const extension = bundle(
      'spinlens-0.1.0-py3-none-any.whl',
      'spinlens-0.10.0-py3-none-any.whl',
      'spinlens-0.9.1-py3-none-any.whl',
      'other-9.0.0-py3-none-any.whl',
      'spinlens-notes.txt',
    );
    expect(findBundledWheel(extension)).toBe(path.join(extension, 'bundled', 'spinlens-0.10.0-py3-none-any.whl'));
  });

  it('is undefined without a bundled folder or wheel', () => {
    expect(findBundledWheel(path.join(dir, 'nowhere'))).toBeUndefined();
    expect(findBundledWheel(bundle('README.txt'))).toBeUndefined();
  });
});

describe('pipInstall', () => {
  it('passes the wheel as one argument, never through a shell', async () => {
    const python = fakePython();
    const wheel = path.join(dir, 'odd $(touch pwned); name', 'spinlens-0.1.0-py3-none-any.whl');
    let logged = '';
    const result = await pipInstall(python, wheel, (t) => {
      logged += t;
    });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual([
      'ARG:-m',
      'ARG:pip',
      'ARG:install',
      'ARG:--disable-pip-version-check',
      `ARG:${wheel}`,
    ]);
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    expect(existsSync(path.join(process.cwd(), 'pwned'))).toBe(false);
    expect(logged).toContain('pip install');
  });

  it('reports an interpreter that cannot start', async () => {
    const result = await pipInstall(path.join(dir, 'missing'), 'w.whl', () => undefined);
    expect(result.spawnError).toBe('ENOENT');
  });
});

describe('ensureBackend', () => {
  it('offers the bundled wheel, installs it with consent and says so', async () => {
    const python = fakePython();
    const extensionPath = bundle('spinlens-0.1.0-py3-none-any.whl');
    mock.messageAnswer = 'Install';
    expect(await ensureBackend({ python, extensionPath, output: output() })).toBe(true);
    expect(mock.messages[0]).toMatchObject({ level: 'info', items: ['Install', 'Choose Interpreter'] });
    expect(mock.messages[0]?.text).toContain('spinlens-0.1.0-py3-none-any.whl');
    expect(mock.messages.at(-1)?.text).toMatch(/installed spinlens-0.1.0-py3-none-any.whl into .*pip install/);
    expect(existsSync(path.join(dir, 'installed'))).toBe(true);
  });

  it('does nothing without consent', async () => {
    const python = fakePython();
    expect(await ensureBackend({ python, extensionPath: bundle('spinlens-0.1.0-py3-none-any.whl'), output: output() })).toBe(false);
    expect(existsSync(path.join(dir, 'installed'))).toBe(false);
  });

  it('explains a failed install', async () => {
    const python = fakePython(1);
    mock.messageAnswer = 'Install';
    expect(await ensureBackend({ python, extensionPath: bundle('spinlens-0.1.0-py3-none-any.whl'), output: output() })).toBe(false);
    expect(mock.messages.at(-1)).toMatchObject({ level: 'error' });
    expect(mock.messages.at(-1)?.text).toContain('externally-managed-environment');
  });

  it('says so when the interpreter does not exist or there is no wheel', async () => {
    expect(await ensureBackend({ python: path.join(dir, 'nope'), extensionPath: dir, output: output() })).toBe(false);
    expect(mock.messages.at(-1)?.text).toContain('cannot run the Python interpreter');
    expect(await ensureBackend({ python: fakePython(), extensionPath: dir, output: output() })).toBe(false);
    expect(mock.messages.at(-1)?.text).toContain('has no spinlens package');
  });

  it('passes straight through when the backend is there', async () => {
    const python = fakePython();
    writeFileSync(path.join(dir, 'installed'), '');
    expect(await ensureBackend({ python, extensionPath: dir, output: output() })).toBe(true);
    expect(mock.messages).toEqual([]);
  });
});
