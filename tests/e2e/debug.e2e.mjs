// End to end: "Debug this step" in a real VS Code (code-server + Chromium), with
// the Spinlens debugger type (the Microsoft Python extensions are not installed).
//
//   bash tests/e2e/run.sh [VSIX]
//
// One editor for the file; the tests build on each other: warm the kernel with
// a spin -> F9 in `train`, click "Debug this step", stopped there with `self` in
// Variables (every input under it, read or not), only `train` in the call stack,
// the panel saying where it is paused -> F5, results in the panel -> nothing of
// the debug spin left running.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ARTIFACTS_DIR, guarded, log, startEditor, taggedPids, waitFor } from './harness.mjs';

const FLOW = 'training_flow.py';
const ROW = '[data-testid="artifact-row"]';
const STATUS = '[data-testid="status"]';
const BREAK_AT = /^\s+self\.intercept = float\(w\[0\]\)/;

let editor;
let trainLens; // 1-based line of train's @step
let breakLine; // 1-based line of the breakpoint in train
let atStop; // the spin processes while stopped at the breakpoint (spinProcesses())

function readProc(pid, file) {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

const cmdline = (pid) => readProc(pid, 'cmdline').replace(/\0/g, ' ').trim();
const parentOf = (pid) => Number(/^\d+ \(.*\) \S (\d+)/s.exec(readProc(pid, 'stat'))?.[1]);
const alive = (pid) => {
  const state = /^State:\s+(\S)/m.exec(readProc(pid, 'status'))?.[1];
  return state !== undefined && state !== 'Z';
};

/** The editor's kernel, its children (spin processes) and any debugpy adapter process. */
function spinProcesses() {
  const pids = taggedPids(editor.tag).filter(alive);
  // Spin processes are forks of the kernel: same command line, a kernel for a parent.
  const forks = pids.filter((p) => cmdline(p).includes('spinlens.engine.kernel'));
  const kernels = forks.filter((p) => !forks.includes(parentOf(p)));
  return {
    kernels,
    children: pids.filter((p) => kernels.includes(parentOf(p))),
    debugpy: pids.filter((p) => cmdline(p).includes('debugpy')),
  };
}

async function statusText(frame) {
  const el = await frame.$(STATUS);
  return el ? (await el.evaluate((e) => e.innerText || e.textContent)).replace(/\s+/g, ' ').trim() : '';
}

/** Rows of the Variables view, as "name = value" text. */
async function variableRows(page) {
  return page.evaluate(() => {
    const panes = [...document.querySelectorAll('.pane')].filter((pane) =>
      /^variables$/i.test(pane.querySelector('.pane-header .title')?.textContent.trim() ?? ''),
    );
    return panes.flatMap((pane) =>
      [...pane.querySelectorAll('.monaco-list-row')].map((row) => (row.innerText || row.textContent).replace(/\s+/g, ' ').trim()),
    );
  });
}

/** Click a row of the Variables view (by its name) and expand it. */
async function expandVariable(page, name) {
  const row = await page.evaluateHandle((wanted) => {
    const panes = [...document.querySelectorAll('.pane')].filter((pane) =>
      /^variables$/i.test(pane.querySelector('.pane-header .title')?.textContent.trim() ?? ''),
    );
    const rows = panes.flatMap((pane) => [...pane.querySelectorAll('.monaco-list-row')]);
    return rows.find((r) => (r.innerText || r.textContent).replace(/\s+/g, ' ').trim().split(/[ :=]/)[0] === wanted) ?? null;
  }, name);
  const element = row.asElement();
  assert.ok(element, `a ${name} row in the Variables view`);
  await element.click();
  await page.keyboard.press('ArrowRight'); // expands the focused row (a no-op if the click did)
}

/** The frames of the Call Stack view, as their text (function, file, line). */
async function callStackFrames(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('.debug-call-stack .stack-frame')].map((f) => (f.innerText || f.textContent).replace(/\s+/g, ' ').trim()),
  );
}

const g = (name, fn) => guarded(() => editor, name, fn);

describe('Debug this step in a real VS Code (code-server)', { timeout: 300_000 }, () => {
  before(async () => {
    editor = await startEditor();
    const lines = fs.readFileSync(path.join(editor.workspace, FLOW), 'utf8').split('\n');
    const def = lines.findIndex((l) => /^\s+def train\(self\)/.test(l));
    trainLens = def; // 1-based line of the decorator right above `def train`
    breakLine = lines.findIndex((l) => BREAK_AT.test(l)) + 1;
    assert.ok(def > 0 && /@step/.test(lines[def - 1]) && breakLine > def, `train and its breakpoint line in ${FLOW}`);
    try {
      await editor.openFile(FLOW);
    } catch (e) {
      await editor.failure('open-file');
      throw e;
    }
  });

  after(async () => {
    if (editor) await editor.stop();
  });

  it('warms the kernel with a spin of `train`', { timeout: 150_000 }, g('debug-warm-up', async () => {
    await editor.focusEditor(FLOW);
    await editor.reveal(trainLens + 4);
    await editor.clickLensAbove('Spin this step', trainLens, 75_000);
    const frame = await editor.frameWith(ROW, { timeout: 120_000, what: 'the results panel with an artifact row' });
    const status = await waitFor(async () => ((await statusText(frame)).match(/\b(ok|failed|cancelled)\b/) ? statusText(frame) : null), {
      timeout: 120_000,
      what: 'the warm-up spin to end',
    });
    assert.match(status, /\bok\b/, 'the warm-up spin finished ok');
  }));

  it('stops at a breakpoint in `train` and shows `self` in Variables', { timeout: 120_000 }, g('debug-breakpoint', async () => {
    const page = editor.page;
    await editor.focusEditor(FLOW);
    await editor.goToLine(breakLine);
    await page.keyboard.press('F9');
    await page.locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
    await editor.reveal(trainLens + 4);

    const clicked = Date.now();
    await editor.clickLensAbove('Debug this step', trainLens);
    await page.locator('.codicon-debug-stackframe').first().waitFor({ timeout: 90_000 });
    const stoppedMs = Date.now() - clicked;
    log(`stopped at the breakpoint ${stoppedMs} ms after the click`);
    // For bench/RESULTS.md: the editor-side figure next to bench/debug_bench.py's.
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    fs.writeFileSync(
      path.join(ARTIFACTS_DIR, 'debug-click-to-stopped.json'),
      JSON.stringify({ click_to_stopped_ms: stoppedMs, warm: true, when: new Date().toISOString() }) + '\n',
    );

    // The current-line decoration sits on the breakpoint's line.
    const stoppedLine = await page.evaluate(() => {
      const glyph = document.querySelector('.codicon-debug-stackframe');
      if (!glyph) return null;
      const y = glyph.getBoundingClientRect().y;
      const numbers = [...document.querySelectorAll('.editor-group-container.active .margin-view-overlays .line-numbers')];
      const near = numbers.find((n) => Math.abs(n.getBoundingClientRect().y - y) < 4);
      return near ? Number(near.textContent.trim()) : null;
    });
    assert.equal(stoppedLine, breakLine, 'stopped on the breakpoint line');

    const rows = await waitFor(async () => {
      const r = await variableRows(page);
      return r.some((t) => /^self\b/.test(t)) ? r : null;
    }, { timeout: 20_000, what: 'a `self` row in the Variables view' });
    log(`Variables: ${rows.slice(0, 8).join(' | ')}`);
    assert.ok(rows.some((t) => /^w\b/.test(t)), 'the step\'s locals (w) are listed too');

    // `raw` is an input `train` never reads: listed under `self` all the same.
    const expandedAt = Date.now();
    await expandVariable(page, 'self');
    const inputs = await waitFor(async () => {
      const r = await variableRows(page);
      return r.some((t) => /^raw\b/.test(t)) ? r : null;
    }, { timeout: 30_000, what: 'the untouched input `raw` under `self`' });
    log(`self expanded in ${Date.now() - expandedAt} ms: ${inputs.filter((t) => /^(raw|feature_table|target|is_valid)\b/.test(t)).join(' | ')}`);

    // Only the user's frame: no Spinlens, Metaflow runner or runpy frames.
    const frames = await callStackFrames(page);
    log(`call stack: ${frames.join(' | ')}`);
    assert.equal(frames.length, 1, `one frame in the call stack, got: ${frames.join(' | ')}`);
    assert.match(frames[0], /\btrain\b/);
    assert.match(frames[0], /training_flow\.py/);

    atStop = spinProcesses();
    log(`while stopped: kernel ${atStop.kernels}, its children ${atStop.children}, debugpy ${atStop.debugpy.map((p) => `${p}: ${cmdline(p).slice(0, 80)}`).join('; ')}`);
    assert.equal(atStop.children.length, 1, 'one spin process (the debuggee) while stopped');
  }));

  it('the panel says where the step is paused', { timeout: 60_000 }, g('debug-paused-panel', async () => {
    const frame = await editor.frameWith(STATUS, { timeout: 30_000, what: 'the results panel' });
    const wanted = new RegExp(`paused at train, line ${breakLine}\\b`);
    const status = await waitFor(async () => (wanted.test(await statusText(frame)) ? statusText(frame) : null), {
      timeout: 30_000,
      what: `the panel to say "paused at train, line ${breakLine}"`,
    });
    log(`panel status while stopped: ${status}`);
  }));

  it('continues (F5) to the end: results in the panel, the debug session over', { timeout: 120_000 }, g('debug-continue', async () => {
    const page = editor.page;
    await editor.focusEditor(FLOW);
    await page.keyboard.press('F5');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 60_000 });
    const frame = await editor.frameWith(`${ROW}[data-name="coef"]`, { timeout: 60_000, what: 'the debug spin\'s coef row' });
    const status = await waitFor(async () => ((await statusText(frame)).match(/\b(ok|failed|cancelled)\b/) ? statusText(frame) : null), {
      timeout: 60_000,
      what: 'the debug spin to end in the panel',
    });
    log(`panel status: ${status}`);
    assert.match(status, /\bok\b/, 'the debug spin finished ok');
    // The time stopped at the breakpoint is its own figure, not step time.
    const timings = await frame.$eval('[data-testid="timings"]', (e) => e.textContent);
    log(`panel timings: ${timings}`);
    assert.match(timings, /\bpaused \d/, 'the panel shows the time paused');
    const names = await frame.$$eval(ROW, (els) => els.map((el) => el.getAttribute('data-name')));
    for (const name of ['coef', 'intercept', 'metrics']) assert.ok(names.includes(name), `a row for ${name}`);
  }));

  it('leaves no debug adapter, debuggee or spin process of the debug spin running', { timeout: 30_000 }, g('debug-cleanup', async () => {
    assert.ok(atStop, 'the breakpoint test ran');
    const leftover = await waitFor(
      async () => {
        const now = spinProcesses();
        const left = [...atStop.debugpy, ...atStop.children].filter((p) => alive(p) && taggedPids(editor.tag).includes(p));
        return left.length === 0 && now.debugpy.length === 0 ? { left, now } : null;
      },
      { timeout: 15_000, what: 'the debug spin\'s processes to end' },
    ).catch((e) => {
      const now = spinProcesses();
      throw new Error(`${e.message}: still running ${[...now.debugpy, ...now.children].map((p) => `${p}: ${cmdline(p).slice(0, 80)}`).join('; ')}`);
    });
    // The warm kernel stays for the next spin, with one idle child forked ahead.
    log(`after: kernel ${leftover.now.kernels}, its children ${leftover.now.children}`);
    assert.equal(leftover.now.kernels.length, 1, 'the warm kernel is still up');
  }));

  it('stops at the breakpoint on each of five more clicks (their median for bench/RESULTS.md)', { timeout: 180_000 }, g('debug-repeat', async () => {
    const page = editor.page;
    const times = [];
    for (let round = 0; round < 5; round += 1) {
      await editor.focusEditor(FLOW);
      await editor.reveal(trainLens + 4);
      const clicked = Date.now();
      await editor.clickLensAbove('Debug this step', trainLens); // the breakpoint is still set
      await page.locator('.codicon-debug-stackframe').first().waitFor({ timeout: 90_000 });
      times.push(Date.now() - clicked);
      await editor.focusEditor(FLOW);
      await page.keyboard.press('F5');
      await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 60_000 });
      const frame = await editor.frameWith(STATUS, { timeout: 30_000, what: 'the results panel' });
      await waitFor(async () => ((await statusText(frame)).match(/\b(ok|failed|cancelled)\b/) ? true : null), {
        timeout: 60_000,
        what: `debug spin ${round + 1} to end`,
      });
    }
    const median = [...times].sort((a, b) => a - b)[2];
    log(`click to stopped, five more debug spins: ${times.join(', ')} ms (median ${median} ms)`);
    const record = path.join(ARTIFACTS_DIR, 'debug-click-to-stopped.json');
    const first = JSON.parse(fs.readFileSync(record, 'utf8'));
    fs.writeFileSync(record, JSON.stringify({ ...first, repeated_ms: times, repeated_median_ms: median }) + '\n');
  }));

  it('stopping the debugger (Shift+F5) cancels the spin; the panel says so', { timeout: 120_000 }, g('debug-stop', async () => {
    const page = editor.page;
    await editor.focusEditor(FLOW);
    await editor.reveal(trainLens + 4);
    await editor.clickLensAbove('Debug this step', trainLens); // the breakpoint is still set
    await page.locator('.codicon-debug-stackframe').first().waitFor({ timeout: 90_000 });
    const stopped = spinProcesses();
    await page.keyboard.press('Shift+F5');
    await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 });
    const frame = await editor.frameWith(STATUS, { timeout: 30_000, what: 'the results panel' });
    const status = await waitFor(async () => ((await statusText(frame)).match(/\bcancelled\b/i) ? statusText(frame) : null), {
      timeout: 30_000,
      what: 'the panel to say the debug spin was cancelled',
    });
    log(`panel status after Shift+F5: ${status}`);
    await waitFor(() => stopped.children.every((p) => !alive(p)), { timeout: 15_000, what: 'the debuggee to end' });
    assert.equal(spinProcesses().kernels.length, 1, 'the warm kernel is still up');
  }));
});
