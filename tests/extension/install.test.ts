import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type * as vscode from 'vscode';
import {
  type BackendCheck,
  type Exec,
  type InterpreterFacts,
  PROBE,
  checkBackend,
  describeCheck,
  ensureBackend,
  execProcess,
  failureSummary,
  onboardingMessage,
  runStreaming,
} from '../../extension/src/install';
import { repoFile } from './fixtures';
import { mock, window } from './mocks/vscode';

let dir: string;
beforeEach(() => {
  mock.reset();
  dir = mkdtempSync(path.join(os.tmpdir(), 'spinlens-install-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const output = (): vscode.OutputChannel & { lines: string[] } =>
  window.createOutputChannel('Spinlens') as unknown as vscode.OutputChannel & { lines: string[] };

const FACTS: InterpreterFacts = {
  executable: '/env/bin/python',
  prefix: '/env',
  version: [3, 11, 7],
  metaflow: '2.19.3',
  spinlens: false,
  pip: true,
  externallyManaged: false,
};

const answering =
  (facts: Partial<InterpreterFacts>): Exec =>
  (_file, args) => {
    expect(args).toEqual(['-c', PROBE]);
    return Promise.resolve({ code: 0, stdout: `${JSON.stringify({ ...FACTS, ...facts })}\n`, stderr: '' });
  };

/**
 * A stand-in interpreter (a shell script): answers the probe from marker files
 * beside it, makes a venv (a copy of itself) and "installs" Metaflow with pip.
 */
function fakePython(options: { managed?: boolean; pipError?: string } = {}): string {
  const folder = path.join(dir, 'odd dir $(touch pwned)');
  const file = path.join(folder, 'python');
  mkdirSync(folder, { recursive: true });
  for (const [name, metaflow] of [['missing', null], ['installed', '2.19.3']] as const) {
    const facts = { ...FACTS, executable: file, metaflow, externallyManaged: options.managed ?? false };
    writeFileSync(path.join(folder, `facts-${name}.json`), JSON.stringify(facts));
  }
  const pip = options.pipError
    ? `printf '%s\\n' '${options.pipError.replace(/\n/g, "' '")}' >&2; exit 1`
    : 'touch "$HERE/metaflow-installed"; exit 0';
  writeFileSync(
    file,
    `#!/bin/sh
HERE="$(cd "$(dirname "$0")" && pwd)"
if [ "$1" = "-c" ]; then
  if [ -f "$HERE/metaflow-installed" ]; then cat "$HERE/facts-installed.json"; else cat "$HERE/facts-missing.json"; fi
  exit 0
fi
if [ "$1" = "-m" ] && [ "$2" = "venv" ]; then
  mkdir -p "$3/bin" && cp "$0" "$HERE"/facts-*.json "$3/bin/" && echo "created $3"
  exit 0
fi
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then
  for a in "$@"; do printf 'ARG:%s\\n' "$a"; done
  ${pip}
fi
exit 3
`,
  );
  chmodSync(file, 0o755);
  return file;
}

describe('checkBackend: Python 3.10+ and Metaflow (and spinlens without a bundle)', () => {
  it('reads what the probe reports', async () => {
    const check = async (facts: Partial<InterpreterFacts>, bundled = true) =>
      (await checkBackend('py', bundled, answering(facts))).status;
    expect(await check({})).toBe('ok');
    expect(await check({ version: [3, 9, 18] })).toBe('too-old');
    expect(await check({ metaflow: null })).toBe('no-metaflow');
    expect(await check({ metaflow: '2.18.4' })).toBe('old-metaflow');
    expect(await check({ metaflow: 'unknown' })).toBe('ok');
    expect(await check({}, false)).toBe('no-backend');
    expect(await check({ spinlens: true }, false)).toBe('ok');
  });

  it('tells an interpreter that does not start from one that fails', async () => {
    const missing: Exec = () => Promise.resolve({ code: null, stdout: '', stderr: '', spawnError: 'ENOENT' });
    expect(await checkBackend('py', true, missing)).toEqual({ status: 'no-interpreter', detail: 'ENOENT' });
    const fails: Exec = () => Promise.resolve({ code: 1, stdout: '', stderr: 'SyntaxError: invalid syntax\n' });
    expect(await checkBackend('py', true, fails)).toEqual({ status: 'broken', detail: 'SyntaxError: invalid syntax' });
  });

  it('runs the probe in real interpreters', async () => {
    expect((await checkBackend(path.join(dir, 'no-such-python'), true, execProcess)).status).toBe('no-interpreter');
    expect((await checkBackend(fakePython(), true, execProcess)).status).toBe('no-metaflow');
    const venv = repoFile('.venv/bin/python');
    if (!existsSync(venv)) return;
    const check = await checkBackend(venv, false, execProcess);
    expect(check.status).toBe('ok');
    expect(describeCheck(check)).toMatch(/^Python 3\.\d+\.\d+ · Metaflow 2\.\d+/);
  });
});

describe('onboardingMessage', () => {
  const message = (check: BackendCheck) => onboardingMessage('/opt/py/bin/python3', check);

  it('names the interpreter and the exact command for a Python without Metaflow', () => {
    const m = message({ status: 'no-metaflow', facts: { ...FACTS, metaflow: null } });
    expect(m?.text).toContain('"/opt/py/bin/python3"');
    expect(m?.text).toContain('/opt/py/bin/python3 -m pip install metaflow');
    expect(m?.actions).toEqual(['Choose Interpreter', 'Copy Command']);
    const noPip = message({ status: 'no-metaflow', facts: { ...FACTS, metaflow: null, pip: false } });
    expect(noPip?.text).toContain('-m ensurepip');
  });

  it('offers a .venv for an externally managed Python (PEP 668)', () => {
    const m = message({ status: 'no-metaflow', facts: { ...FACTS, metaflow: null, externallyManaged: true } });
    expect(m?.text).toContain('PEP 668');
    expect(m?.text).toContain('"/opt/py/bin/python3"');
    expect(m?.actions).toEqual(['Create .venv', 'Choose Interpreter']);
  });

  it('names the interpreter in every other message too', () => {
    const checks: BackendCheck[] = [
      { status: 'no-interpreter', detail: 'ENOENT' },
      { status: 'broken', detail: 'boom' },
      { status: 'too-old', facts: { ...FACTS, version: [3, 8, 10] } },
      { status: 'old-metaflow', facts: { ...FACTS, metaflow: '2.18.0' } },
      { status: 'no-backend', facts: FACTS },
    ];
    for (const check of checks) expect(message(check)?.text).toContain('/opt/py/bin/python3');
    expect(message({ status: 'too-old', facts: { ...FACTS, version: [3, 8, 10] } })?.text).toContain('3.8.10');
    expect(message({ status: 'ok', facts: FACTS })).toBeUndefined();
  });
});

describe('failureSummary', () => {
  it("keeps pip's error, not its trailing hint", () => {
    const pep668 = [
      'error: externally-managed-environment',
      '',
      '× This environment is externally managed',
      '╰─> To install Python packages system-wide, try apt install',
      '    python3-xyz, where xyz is the package you are trying to',
      'note: If you believe this is a mistake, please contact your Python installation or OS distribution provider.',
      'hint: See PEP 668 for the detailed specification.',
    ].join('\n');
    expect(failureSummary(pep668)).toBe('error: externally-managed-environment');
    const offline = 'ERROR: Could not find a version that satisfies the requirement metaflow\nERROR: No matching distribution found for metaflow\n';
    expect(failureSummary(offline)).toContain('No matching distribution found for metaflow');
    expect(failureSummary('one\ntwo\nthree\n')).toBe('two three');
  });
});

describe('runStreaming', () => {
  it('passes arguments as they are, never through a shell', async () => {
    const python = fakePython();
    const odd = path.join(dir, 'x; touch pwned2');
    let logged = '';
    const result = await runStreaming(python, ['-m', 'pip', 'install', odd], (t) => {
      logged += t;
    });
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(['ARG:-m', 'ARG:pip', 'ARG:install', `ARG:${odd}`]);
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
    expect(existsSync(path.join(dir, 'pwned2'))).toBe(false);
    expect(logged).toContain('pip install');
  });

  it('reports an interpreter that cannot start', async () => {
    expect((await runStreaming(path.join(dir, 'missing'), [], () => undefined)).spawnError).toBe('ENOENT');
  });
});

describe('ensureBackend', () => {
  const options = (python: string, extra: Partial<Parameters<typeof ensureBackend>[0]> = {}) => {
    const calls = { chosen: 0, saved: [] as string[] };
    const opts = {
      python,
      bundled: true,
      output: output(),
      workspaceFolder: path.join(dir, 'workspace'),
      chooseInterpreter: () => {
        calls.chosen++;
        return Promise.resolve();
      },
      saveInterpreter: (p: string) => {
        calls.saved.push(p);
        return Promise.resolve();
      },
      ...extra,
    };
    return { opts, calls };
  };

  it('passes straight through when the interpreter has Metaflow', async () => {
    const python = fakePython();
    writeFileSync(path.join(path.dirname(python), 'metaflow-installed'), '');
    const { opts } = options(python);
    expect(await ensureBackend(opts)).toBe(true);
    expect(mock.messages).toEqual([]);
  });

  it('says what is missing and opens the picker on Choose Interpreter', async () => {
    const python = fakePython();
    const { opts, calls } = options(python);
    mock.messageAnswer = 'Choose Interpreter';
    expect(await ensureBackend(opts)).toBe(false);
    expect(mock.messages[0]).toMatchObject({ level: 'error', items: ['Choose Interpreter', 'Copy Command'] });
    expect(mock.messages[0]?.text).toContain(`"${python}" -m pip install metaflow`);
    expect(calls.chosen).toBe(1);
  });

  it('creates a .venv with Metaflow for an externally managed Python, and uses it', async () => {
    const python = fakePython({ managed: true });
    const { opts, calls } = options(python);
    mock.messageAnswer = 'Create .venv';
    expect(await ensureBackend(opts)).toBe(false);
    const created = path.join(dir, 'workspace', '.venv', 'bin', 'python');
    expect(calls.saved).toEqual([created]);
    expect(existsSync(path.join(path.dirname(created), 'metaflow-installed'))).toBe(true);
    expect(mock.messages.at(-1)?.text).toContain(`created ${created} with Metaflow`);
    expect((opts.output as unknown as { lines: string[] }).lines.join('')).toContain(`${created} -m pip install --disable-pip-version-check metaflow`);
    // The new venv passes the check the restart runs.
    expect((await checkBackend(created, true, execProcess)).status).toBe('ok');
  });

  it("explains a failed .venv install with pip's error, not its hint", async () => {
    const python = fakePython({ managed: true, pipError: 'ERROR: No matching distribution found for metaflow\nhint: none' });
    const { opts, calls } = options(python);
    mock.messageAnswer = 'Create .venv';
    expect(await ensureBackend(opts)).toBe(false);
    expect(calls.saved).toEqual([]);
    const last = mock.messages.at(-1);
    expect(last?.level).toBe('error');
    expect(last?.text).toContain('No matching distribution found for metaflow');
    expect(last?.text).not.toContain('hint');
  });

  it('offers no .venv without a workspace folder', async () => {
    const { opts } = options(fakePython({ managed: true }), { workspaceFolder: undefined });
    expect(await ensureBackend(opts)).toBe(false);
    expect(mock.messages[0]?.items).toEqual(['Choose Interpreter']);
  });
});
