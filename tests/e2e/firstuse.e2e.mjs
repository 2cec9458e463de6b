// End to end, first use: the VSIX with an interpreter that holds only Metaflow
// (a fresh venv, `pip install metaflow` and nothing else) and no package index
// (PIP_NO_INDEX=1 for the editor and everything it starts); then a workspace
// that is not trusted.
//
//   bash tests/e2e/run.sh [VSIX]      (or: node --test tests/e2e/firstuse.e2e.mjs)

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM, CODE_SERVER, Editor, freePort, guarded, log, startEditor, waitFor } from './harness.mjs';

const FLOW_FILE = 'first_use_flow.py';
// Imports only Metaflow and the standard library.
const FLOW = `from metaflow import FlowSpec, Parameter, step


class FirstUseFlow(FlowSpec):
    scale = Parameter("scale", default=2)

    @step
    def start(self):
        self.numbers = [3, 1, 2]
        self.next(self.total)

    @step
    def total(self):
        import statistics

        self.total = sum(self.numbers) * self.scale
        self.mean = statistics.mean(self.numbers)
        self.summary = {"n": len(self.numbers), "max": max(self.numbers)}
        print("total is", self.total)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    FirstUseFlow()
`;
// The 1-based line of total's `@step` (the 0-based index of the `def` under it).
const TOTAL_LINE = FLOW.split('\n').findIndex((l) => l.includes('def total'));
const ROW = '[data-testid="artifact-row"]';
const STATUS = '[data-testid="status"]';
const DONE = /\b(ok|finished|done|succeeded|success)\b|✓|✔/i;
const SPIN_LENS = 'Spin this step';
const UNTRUSTED_LENS = 'Restricted Mode: trust this workspace to spin';
const UNTRUSTED_REASON = 'does not spin in an untrusted workspace';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spinlens-firstuse-'));
const examples = path.join(tmp, 'examples');
const venv = path.join(tmp, 'venv');
const python = path.join(venv, 'bin', 'python');

/** Whether `module` can be imported by the fresh venv's Python. */
function importable(module) {
  try {
    execFileSync(python, ['-c', `import importlib.util, sys; sys.exit(0 if importlib.util.find_spec(${JSON.stringify(module)}) else 1)`]);
    return true;
  } catch {
    return false;
  }
}

before(() => {
  const base = process.env.SPINLENS_E2E_BASE_PYTHON || 'python3';
  const started = Date.now();
  execFileSync(base, ['-m', 'venv', venv], { stdio: 'pipe' });
  execFileSync(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', 'metaflow'], { stdio: 'pipe', timeout: 300_000 });
  log(`fresh venv with only Metaflow in ${((Date.now() - started) / 1000).toFixed(1)} s: ${python}`);
  fs.mkdirSync(examples);
  fs.writeFileSync(path.join(examples, FLOW_FILE), FLOW);
});

after(() => {
  if (process.env.SPINLENS_E2E_KEEP !== '1') fs.rmSync(tmp, { recursive: true, force: true });
});

describe('first use: an interpreter with only Metaflow, no package index', () => {
  let editor;
  const g = (name, fn) => guarded(() => editor, `firstuse-${name}`, fn);

  before(async () => {
    for (const module of ['spinlens', 'pygls', 'cloudpickle', 'debugpy', 'numpy', 'pyarrow']) {
      assert.equal(importable(module), false, `${module} is not in the fresh venv`);
    }
    assert.equal(importable('metaflow'), true, 'metaflow is in the fresh venv');
    // The editor, the extension host, the server and its kernels inherit it.
    process.env.PIP_NO_INDEX = '1';
    try {
      editor = await startEditor({ python, examples, flowArgs: [FLOW_FILE, 'run'] });
    } finally {
      delete process.env.PIP_NO_INDEX;
    }
  });

  after(async () => {
    await editor?.stop();
  });

  it('shows the artifacts of the first Spin click on a stdlib-only flow', { timeout: 180_000 }, g('first-spin', async () => {
    await editor.openFile(FLOW_FILE);
    await editor.reveal(TOTAL_LINE + 6);
    const clicked = Date.now();
    await editor.clickLensAbove(SPIN_LENS, TOTAL_LINE, 90_000);
    log('clicked the total lens');
    const results = await editor.frameWith(ROW, { timeout: 120_000, what: 'the results panel with an artifact row' });
    const status = await waitFor(
      async () => {
        const text = (await results.$eval(STATUS, (el) => el.textContent || '').catch(() => '')).trim();
        return /running|starting|queued|spinning|…/i.test(text) ? null : text;
      },
      { timeout: 120_000, what: 'the spin of total to end' },
    );
    log(`status "${status}" ${((Date.now() - clicked) / 1000).toFixed(1)} s after the click`);
    assert.match(status, DONE, 'the first spin of total finished ok');
    const names = await results.$$eval(ROW, (els) => els.map((el) => el.getAttribute('data-name')));
    log(`artifact rows: ${names.join(', ')}`);
    for (const name of ['total', 'mean', 'summary']) assert.ok(names.includes(name), `a row for ${name}`);
    const notices = await editor.page.locator('.notifications-toasts').innerText().catch(() => '');
    assert.doesNotMatch(notices, /install/i, 'no install was offered');
    for (const module of ['spinlens', 'pygls']) assert.equal(importable(module), false, `nothing installed ${module} into the venv`);
  }));
});

/**
 * An editor whose workspace is not trusted: the harness's, with Workspace Trust
 * on (it turns trust off for every other test) and nothing else started.
 */
class UntrustedEditor extends Editor {
  async _start(from) {
    fs.mkdirSync(path.join(this.udd, 'User'), { recursive: true });
    const settings = {
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.untrustedFiles': 'open',
      'workbench.startupEditor': 'none',
      'telemetry.telemetryLevel': 'off',
      'extensions.autoUpdate': false,
      'extensions.autoCheckUpdates': false,
      'update.mode': 'none',
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'git.enabled': false,
      'spinlens.python': this.python,
    };
    fs.writeFileSync(path.join(this.udd, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    fs.cpSync(from, this.workspace, { recursive: true });
    const install = ['--install-extension', this.vsix, '--extensions-dir', this.exts, '--user-data-dir', this.udd, '--force'];
    execFileSync(CODE_SERVER, install, { env: this.env, cwd: this.tmp, stdio: 'pipe', timeout: 120_000 });
    this.port = await freePort();
    const out = fs.openSync(this.codeServerLog, 'a');
    const args = ['--auth', 'none', '--bind-addr', `127.0.0.1:${this.port}`, '--disable-telemetry', '--disable-update-check'];
    this.server = spawn(CODE_SERVER, [...args, '--user-data-dir', this.udd, '--extensions-dir', this.exts, this.workspace], {
      env: this.env,
      cwd: this.workspace,
      stdio: ['ignore', out, out],
      detached: true,
    });
    fs.closeSync(out);
    this.server.on('exit', (code, signal) => {
      this.serverExit = code ?? signal;
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${this.port}/healthz`)).ok, { timeout: 30_000, what: 'code-server /healthz' });
    this.context = await chromium.launchPersistentContext(this.profile, {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      viewport: this.viewport,
      env: { ...process.env, HOME: this.home, SPINLENS_E2E_TAG: this.tag },
    });
    this.page = this.context.pages()[0] || (await this.context.newPage());
    this.page.on('console', (m) => this.console.push(`[${m.type()}] ${m.text()}`));
    await this.page.goto(`http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await this.page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
    log('workbench loaded (Restricted Mode)');
  }
}

describe('an untrusted workspace', () => {
  let editor;
  const g = (name, fn) => guarded(() => editor, `untrusted-${name}`, fn);

  before(async () => {
    editor = new UntrustedEditor({ vsix: path.resolve(process.env.SPINLENS_E2E_VSIX), python, viewport: { width: 1400, height: 900 } });
    try {
      await editor._start(examples);
    } catch (e) {
      await editor.failure('untrusted-startup');
      await editor.stop();
      editor = undefined;
      throw e;
    }
  });

  after(async () => {
    await editor?.stop();
  });

  it('spins nothing and says why, with the Trust action', { timeout: 120_000 }, g('no-spin', async () => {
    await editor.openFile(FLOW_FILE);
    await editor.reveal(TOTAL_LINE + 6);
    const lens = await waitFor(() => editor.lensAbove(UNTRUSTED_LENS, TOTAL_LINE), {
      timeout: 60_000,
      what: `a "${UNTRUSTED_LENS}" lens above total`,
    });
    log(`lens: ${lens.text}`);
    const snap = await editor.editorSnapshot();
    assert.equal(snap.lenses.filter((l) => l.text.includes(SPIN_LENS)).length, 0, 'no Spin lens in Restricted Mode');

    // The keybinding asks anyway: a warning says why, with the Trust action.
    await editor.focusEditor(FLOW_FILE);
    await editor.goToLine(TOTAL_LINE + 3);
    await editor.page.keyboard.press('Control+Alt+S');
    const toast = editor.page.locator('.notifications-toasts .notification-toast', { hasText: UNTRUSTED_REASON });
    await toast.first().waitFor({ timeout: 30_000 });
    assert.match(await toast.first().innerText(), /Manage Workspace Trust/);

    // No server, no kernel: no Spinlens process runs with this editor's tag.
    const spinlens = fs
      .readdirSync('/proc')
      .filter((pid) => /^\d+$/.test(pid))
      .filter((pid) => {
        try {
          const env = fs.readFileSync(`/proc/${pid}/environ`);
          const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          return env.includes(Buffer.from(`SPINLENS_E2E_TAG=${editor.tag}\0`)) && /spinlens_main\.py|spinlens\.(cli|engine)/.test(cmd);
        } catch {
          return false;
        }
      });
    assert.deepEqual(spinlens, [], 'no Spinlens server or kernel runs');

    // The lens opens the Workspace Trust editor.
    await editor.clickLensAbove(UNTRUSTED_LENS, TOTAL_LINE);
    await editor.page.locator('.tabs-container .tab', { hasText: 'Workspace Trust' }).first().waitFor({ timeout: 20_000 });
    log('the Workspace Trust editor opened');
  }));
});
