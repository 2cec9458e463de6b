// Harness for the end-to-end tests: a real VS Code workbench (code-server) with the
// Spinlens VSIX installed, driven by Playwright (playwright-core) in Debian's Chromium.
//
// Everything lives in one temporary folder (HOME, XDG dirs, code-server's user data
// and extensions, the browser profile, a copy of examples/ with a fresh Metaflow run)
// that is deleted at the end unless SPINLENS_E2E_KEEP=1. code-server runs in its own
// process group; every process started for a run carries SPINLENS_E2E_TAG in its
// environment, so that stop() can end the group and anything that left it (kernels,
// debuggees) without touching other processes on the machine.

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(E2E_DIR, '..', '..');
export const ARTIFACTS_DIR = path.join(E2E_DIR, 'artifacts');
export const CODE_SERVER = path.join(E2E_DIR, '.tools', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = process.env.SPINLENS_E2E_CHROMIUM || '/usr/bin/chromium';
export const DEFAULT_VSIX = path.join(REPO, 'dist', 'spinlens-0.1.0.vsix');

// Flags for Debian's Chromium on a machine with a closed network, as root.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const t0 = Date.now();
export function log(...args) {
  const s = ((Date.now() - t0) / 1000).toFixed(1).padStart(6);
  console.log(`[e2e ${s}s]`, ...args);
}

// The pause between two looks of waitFor: the tests wait on conditions, never on time.
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** `promise`, or undefined once `ms` passed without it settling (a hang guard). */
export async function within(promise, ms) {
  let timer;
  const expired = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Poll fn until it returns a truthy value; throw `what` on timeout (the hang guard). */
export async function waitFor(fn, { timeout = 30_000, interval = 250, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let lastError;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > end) {
      const why = lastError ? ` (last error: ${lastError.message.split('\n')[0]})` : '';
      throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${why}`);
    }
    await pause(interval);
  }
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Run a command to completion (in its own process group), output to a log file. */
function run(cmd, args, { env, cwd, logFile, timeout = 120_000 }) {
  return new Promise((resolve, reject) => {
    const out = fs.openSync(logFile, 'a');
    const child = spawn(cmd, args, { env, cwd, stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {}
      reject(new Error(`${path.basename(cmd)} ${args.join(' ')}: timed out after ${timeout / 1000} s; see ${logFile}`));
    }, timeout);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        const tail = fs.readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
        reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code ?? signal}; ${logFile}:\n${tail}`));
      }
    });
  });
}

function copyWorkspace(from, to) {
  const skip = new Set(['.metaflow', '.metaflow_spin', '.spinlens', '__pycache__']);
  fs.cpSync(from, to, { recursive: true, filter: (src) => !skip.has(path.basename(src)) });
}

/** Pids of live processes whose environment holds SPINLENS_E2E_TAG=tag. */
export function taggedPids(tag) {
  const needle = Buffer.from(`SPINLENS_E2E_TAG=${tag}\0`);
  const pids = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${name}/environ`).includes(needle)) pids.push(Number(name));
    } catch {}
  }
  return pids;
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

const QUIET_SETTINGS = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'update.mode': 'none',
  'workbench.enableExperiments': false,
  'workbench.tips.enabled': false,
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'git.enabled': false,
  // Deterministic typing: nothing completes, closes or saves behind the test's back.
  'files.autoSave': 'off',
  'files.hotExit': 'off',
  'editor.minimap.enabled': false,
  'editor.autoIndent': 'none',
  'editor.autoClosingBrackets': 'never',
  'editor.autoClosingQuotes': 'never',
  'editor.autoSurround': 'never',
  'editor.formatOnType': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.suggestOnTriggerCharacters': false,
  'editor.acceptSuggestionOnEnter': 'off',
  'editor.parameterHints.enabled': false,
  'editor.hover.enabled': false,
};

/**
 * Start everything: temp dirs, VSIX install, workspace with a fresh flow run,
 * code-server, Chromium on the workbench. Returns an Editor; call stop() always.
 */
export async function startEditor({
  vsix = process.env.SPINLENS_E2E_VSIX || DEFAULT_VSIX,
  python = process.env.SPINLENS_E2E_PYTHON || path.join(REPO, '.venv', 'bin', 'python'),
  examples = path.join(REPO, 'examples'),
  flowArgs = ['training_flow.py', 'run', '--rows', '20000'],
  viewport = { width: 1600, height: 1000 },
} = {}) {
  for (const [what, file] of [['VSIX', vsix], ['Python', python], ['code-server (run tests/e2e/setup.sh)', CODE_SERVER], ['Chromium', CHROMIUM]]) {
    if (!fs.existsSync(file)) throw new Error(`${what} not found: ${file}`);
  }
  const editor = new Editor({ vsix: path.resolve(vsix), python, viewport });
  try {
    await editor._start(examples, flowArgs);
  } catch (e) {
    await editor.failure('startup');
    await editor.stop();
    throw e;
  }
  return editor;
}

export class Editor {
  constructor({ vsix, python, viewport }) {
    this.vsix = vsix;
    this.python = python;
    this.viewport = viewport;
    // The runner's own environment may hold SPINLENS_E2E_TAG (run.sh sets it): the
    // processes of this editor get that tag plus a suffix, so that stop() never
    // matches the test runner itself.
    this.tag = `${process.env.SPINLENS_E2E_TAG || 'e2e'}.${randomUUID()}`;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'spinlens-e2e-'));
    const d = (name) => {
      const p = path.join(this.tmp, name);
      fs.mkdirSync(p, { recursive: true });
      return p;
    };
    this.home = d('home');
    this.udd = d('user-data');
    this.exts = d('extensions');
    this.profile = d('browser');
    this.logs = d('logs');
    this.workspace = path.join(this.tmp, 'workspace');
    this.console = []; // browser console lines
    this.dialogs = []; // alert()/confirm() seen in any frame
    this.env = {
      ...process.env,
      HOME: this.home,
      XDG_CONFIG_HOME: d('home/.config'),
      XDG_DATA_HOME: d('home/.local/share'),
      XDG_CACHE_HOME: d('home/.cache'),
      // Metaflow needs a user name; never make it root's.
      USERNAME: process.env.USERNAME || (process.env.USER && process.env.USER !== 'root' ? process.env.USER : 'spinlens-e2e'),
      METAFLOW_CLIENT_CACHE_PATH: d('metaflow-client-cache'),
      METAFLOW_DEFAULT_DATASTORE: 'local',
      METAFLOW_DEFAULT_METADATA: 'local',
      SPINLENS_E2E_TAG: this.tag,
    };
    delete this.env.METAFLOW_PROFILE;
    delete this.env.METAFLOW_HOME;
    delete this.env.VSCODE_IPC_HOOK_CLI; // never talk to an editor the tests did not start
    this.codeServerLog = path.join(this.logs, 'code-server.log');
  }

  async _start(examples, flowArgs) {
    fs.mkdirSync(path.join(this.udd, 'User'), { recursive: true });
    fs.writeFileSync(
      path.join(this.udd, 'User', 'settings.json'),
      JSON.stringify({ ...QUIET_SETTINGS, 'spinlens.python': this.python }, null, 2),
    );
    copyWorkspace(examples, this.workspace);

    log(`temp folder ${this.tmp}`);
    log(`installing ${path.relative(REPO, this.vsix) || this.vsix}; running the example flow (${flowArgs.join(' ')})`);
    const started = Date.now();
    await Promise.all([
      run(CODE_SERVER, ['--install-extension', this.vsix, '--extensions-dir', this.exts, '--user-data-dir', this.udd, '--force'], {
        env: this.env,
        cwd: this.tmp,
        logFile: path.join(this.logs, 'install-extension.log'),
      }).then(() => log(`extension installed (${((Date.now() - started) / 1000).toFixed(1)} s)`)),
      run(this.python, flowArgs, {
        env: this.env,
        cwd: this.workspace,
        logFile: path.join(this.logs, 'flow-run.log'),
        timeout: 180_000,
      }).then(() => log(`flow run done (${((Date.now() - started) / 1000).toFixed(1)} s)`)),
    ]);

    this.port = await freePort();
    this.url = `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(this.workspace)}`;
    const out = fs.openSync(this.codeServerLog, 'a');
    this.server = spawn(
      CODE_SERVER,
      [
        '--auth', 'none',
        '--bind-addr', `127.0.0.1:${this.port}`,
        '--disable-telemetry',
        '--disable-update-check',
        '--disable-workspace-trust',
        '--user-data-dir', this.udd,
        '--extensions-dir', this.exts,
        this.workspace,
      ],
      { env: this.env, cwd: this.workspace, stdio: ['ignore', out, out], detached: true },
    );
    fs.closeSync(out);
    this.server.on('exit', (code, signal) => {
      this.serverExit = code ?? signal;
    });
    await waitFor(
      async () => {
        if (this.serverExit !== undefined) throw new Error(`code-server exited (${this.serverExit}); see ${this.codeServerLog}`);
        const r = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        return r.ok;
      },
      { timeout: 30_000, what: 'code-server /healthz' },
    );
    log(`code-server ${this.server.pid} up on port ${this.port}`);

    this.context = await chromium.launchPersistentContext(this.profile, {
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      viewport: this.viewport,
      env: { ...process.env, HOME: this.home, SPINLENS_E2E_TAG: this.tag },
    });
    this.page = this.context.pages()[0] || (await this.context.newPage());
    this.page.on('console', (m) => this.console.push(`[${m.type()}] ${m.text()}`));
    this.page.on('pageerror', (e) => this.console.push(`[pageerror] ${e.message}`));
    this.page.on('dialog', (d) => {
      this.dialogs.push(`${d.type()}: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
    await this.page.goto(this.url);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await this.page.locator('.part.statusbar').waitFor({ timeout: 60_000 });
    log('workbench loaded');
  }

  // --- driving the workbench ------------------------------------------------

  async openFile(name) {
    const page = this.page;
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ state: 'visible' });
    await page.keyboard.type(name);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor();
    await page.locator('.monaco-editor .view-lines').first().waitFor();
  }

  /** Focus the editor of an open file by clicking its tab. */
  async focusEditor(name) {
    await this.page.locator('.tabs-container .tab', { hasText: name }).first().click();
    await this.page.locator('.editor-group-container.active .monaco-editor.focused').waitFor({ timeout: 5_000 }).catch(() => {});
  }

  /** Go to a 1-based line (Ctrl+G); the cursor lands at its first column. */
  async goToLine(line) {
    await this.page.keyboard.press('Control+G');
    await this.page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
    await this.page.keyboard.type(String(line));
    await this.page.keyboard.press('Enter');
    await this.page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  }

  /** Text of the editor lines now rendered (spaces normalised). */
  async visibleLines() {
    return this.page.$$eval('.editor-group-container .monaco-editor .view-lines .view-line', (els) =>
      els
        .map((el) => ({ top: parseFloat(el.style.top) || 0, text: el.textContent.replace(/\u00a0/g, ' ') }))
        .sort((a, b) => a.top - b.top)
        .map((l) => l.text),
    );
  }

  /** Scroll the active editor so that a 1-based line is on screen (Ctrl+G), and wait until it is rendered. */
  async reveal(line) {
    await this.goToLine(line);
    await waitFor(async () => (await this.editorSnapshot()).lines[line] !== undefined, {
      timeout: 10_000,
      interval: 50,
      what: `line ${line} rendered in the editor`,
    });
  }

  /**
   * One consistent look at the file's editor: the CodeLens links now rendered
   * ({text, x, y, w, h}, top to bottom), the rendered lines' y by 1-based line
   * number, and the line height. Only visible lines (and their lenses) are rendered.
   */
  async editorSnapshot() {
    return this.page.evaluate(() => {
      const group = document.querySelector('.editor-group-container.active') || document;
      const lenses = [...group.querySelectorAll('.codelens-decoration a')]
        .map((a) => {
          const r = a.getBoundingClientRect();
          return { text: a.textContent.trim(), x: r.x, y: r.y, w: r.width, h: r.height };
        })
        .filter((l) => l.w > 0 && l.h > 0)
        .sort((a, b) => a.y - b.y);
      const lines = {};
      for (const el of group.querySelectorAll('.monaco-editor .margin-view-overlays .line-numbers')) {
        const n = Number(el.textContent.trim());
        if (n) lines[n] = el.getBoundingClientRect().y;
      }
      const line = group.querySelector('.monaco-editor .view-line');
      return { lenses, lines, lh: line ? line.getBoundingClientRect().height : 0 };
    });
  }

  /** The lens whose text includes `text` right above 1-based line `line`, or null. */
  async lensAbove(text, line) {
    const snap = await this.editorSnapshot();
    const y = snap.lines[line];
    if (y === undefined) return null;
    return snap.lenses.find((l) => l.text.includes(text) && l.y < y && l.y > y - 3 * snap.lh) || null;
  }

  /** Click the lens `text` above `line` (by position: lens elements are re-rendered often). */
  async clickLensAbove(text, line, timeout = 20_000) {
    const lens = await waitFor(() => this.lensAbove(text, line), { timeout, what: `a "${text}" lens above line ${line}` });
    await this.page.mouse.click(lens.x + lens.w / 2, lens.y + lens.h / 2);
    return lens;
  }

  /**
   * Right-click `target` and choose `label` from its context menu. A click that lands
   * while the menu is still settling (a webview taking focus rebuilds it) is dropped
   * by VS Code with the menu left open, so the choice is clicked until the menu closes.
   */
  async contextAction(target, label, timeout = 15_000) {
    const page = this.page;
    await target.click({ button: 'right' });
    const action = page.locator('.context-view .action-label', { hasText: label });
    await action.first().waitFor({ state: 'visible', timeout: 10_000 });
    let clicks = 0;
    await waitFor(
      async () => {
        if (!(await action.count())) return true;
        clicks += 1;
        await action.first().click({ timeout: 2_000 }).catch(() => {});
        return action.first().waitFor({ state: 'hidden', timeout: 1_000 }).then(() => true, () => false);
      },
      { timeout, interval: 0, what: `the context menu to close after choosing "${label}"` },
    );
    if (clicks > 1) log(`"${label}" took ${clicks} clicks`);
  }

  /** Run a palette command by its label (Ctrl+Shift+P). */
  async runCommand(label) {
    const page = this.page;
    await page.keyboard.press('Control+Shift+P');
    await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
    await page.keyboard.type(label);
    const row = page.locator('.quick-input-list .monaco-list-row.focused', { hasText: label });
    await waitFor(async () => (await row.count()) > 0, { timeout: 10_000, what: `palette entry "${label}"` });
    await page.keyboard.press('Enter');
  }

  /** If a quick pick opens within `timeout` with an entry `label`, pick it; returns whether it did. */
  async pickIfAsked(label, timeout = 4_000) {
    const page = this.page;
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: label });
    try {
      await row.first().waitFor({ state: 'visible', timeout });
    } catch {
      return false;
    }
    const input = page.locator('.quick-input-widget input');
    if (await input.isVisible()) {
      await page.keyboard.type(label);
      // Enter picks the focused entry: wait until the filtered list focuses ours.
      await page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused', { hasText: label }).first().waitFor({ state: 'visible', timeout: 10_000 });
    }
    await page.keyboard.press('Enter');
    return true;
  }

  /** The first frame (webviews are nested frames) that has an element matching selector. */
  async frameWith(selector, { timeout = 60_000, what } = {}) {
    return waitFor(
      async () => {
        for (const frame of this.page.frames()) {
          if (frame.isDetached()) continue;
          try {
            if (await frame.$(selector)) return frame;
          } catch {}
        }
        return null;
      },
      { timeout, what: what || `a frame with ${selector}` },
    );
  }

  // --- failures and teardown ------------------------------------------------

  /** Save a screenshot, the browser console and the server/extension logs; print where. */
  async failure(name) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const base = path.join(ARTIFACTS_DIR, `${stamp}-${name.replace(/[^\w.-]+/g, '_')}`);
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    const saved = [];
    if (this.page && !this.page.isClosed()) {
      try {
        await this.page.screenshot({ path: `${base}.png`, timeout: 10_000 });
        saved.push(`${base}.png`);
      } catch (e) {
        console.log(`[e2e] screenshot failed: ${e.message}`);
      }
      for (const [i, frame] of this.page.frames().entries()) {
        try {
          if (frame === this.page.mainFrame() || !(await frame.$('[data-testid]'))) continue;
          fs.writeFileSync(`${base}-webview${i}.html`, await frame.content());
          saved.push(`${base}-webview${i}.html`);
        } catch {}
      }
    }
    try {
      fs.writeFileSync(`${base}-console.txt`, this.console.join('\n') + '\n');
      saved.push(`${base}-console.txt`);
      // code-server's own log, the flow run, the extension install, and VS Code's
      // logs (the extension host's and each output channel's, "Spinlens" among them).
      fs.cpSync(this.logs, `${base}-logs`, { recursive: true });
      if (fs.existsSync(path.join(this.udd, 'logs'))) fs.cpSync(path.join(this.udd, 'logs'), `${base}-logs/vscode`, { recursive: true });
      saved.push(`${base}-logs/`);
    } catch (e) {
      console.log(`[e2e] could not copy logs: ${e.message}`);
    }
    console.log(`[e2e] failure "${name}": saved\n${saved.map((s) => `  ${path.relative(process.cwd(), s)}`).join('\n')}`);
    for (const f of findFiles(`${base}-logs`, (p) => /spinlens/i.test(path.basename(p)) && p.endsWith('.log'))) {
      const tail = fs.readFileSync(f, 'utf8').split('\n').slice(-40).join('\n');
      console.log(`[e2e] tail of ${path.relative(process.cwd(), f)}:\n${tail}`);
    }
    const errors = this.console.filter((l) => /^\[(error|pageerror)\]/.test(l) && !/vsda/.test(l));
    if (errors.length) console.log(`[e2e] browser console errors:\n  ${errors.slice(-20).join('\n  ')}`);
  }

  /** Always call: closes the browser, ends code-server's group and every tagged process. */
  async stop() {
    if (this.context) {
      await within(this.context.close().catch(() => {}), 10_000);
      this.context = undefined;
    }
    if (this.server && this.server.pid) {
      const pgid = this.server.pid;
      try {
        process.kill(-pgid, 'SIGTERM');
      } catch {}
      await waitFor(() => !groupAlive(pgid), { timeout: 5_000 }).catch(() => {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {}
      });
    }
    // Kernels, spin children, debuggees: whatever left the group but carries our tag.
    let pids = taggedPids(this.tag);
    if (pids.length) log(`ending ${pids.length} processes that outlived code-server's group: ${pids.map(describePid).join('; ')}`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {}
    }
    if (pids.length) {
      await waitFor(() => taggedPids(this.tag).length === 0, { timeout: 3_000 }).catch(() => {});
      pids = taggedPids(this.tag);
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {}
      }
    }
    if (process.env.SPINLENS_E2E_KEEP === '1') log(`kept ${this.tmp}`);
    else fs.rmSync(this.tmp, { recursive: true, force: true, maxRetries: 3 });
  }
}

function describePid(pid) {
  try {
    return `${pid} ${fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 100)}`;
  } catch {
    return String(pid);
  }
}

function findFiles(dir, pred, out = []) {
  let entries = [];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findFiles(p, pred, out);
    else if (pred(p)) out.push(p);
  }
  return out;
}

/** Wrap a test body: on failure, save a screenshot and logs, then rethrow. */
export function guarded(getEditor, name, fn) {
  return async (t) => {
    try {
      await fn(t);
      const editor = getEditor();
      if (process.env.SPINLENS_E2E_SCREENSHOTS === '1' && editor?.page) {
        fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
        const file = path.join(ARTIFACTS_DIR, `${name}.png`);
        await editor.page.screenshot({ path: file });
        log(`screenshot ${path.relative(process.cwd(), file)}`);
      }
    } catch (e) {
      const editor = getEditor();
      if (editor) await editor.failure(name);
      throw e;
    }
  };
}
