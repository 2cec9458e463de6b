// End to end: "Spinlens: Show Flow Graph" in a real VS Code (code-server + Chromium).
//
//   bash tests/e2e/run.sh [VSIX]
//
// tests/python/flows/graph_flow.py (ten steps: a branch, a foreach, a nested
// foreach) -> the palette command -> every step is a node of the SVG in the graph's
// webview (screenshots to docs/images/flow-graph-dark.png and, after switching to
// a light theme, flow-graph.png) -> an unsaved edit adding a step shows its node ->
// clicking a node moves the editor's cursor to that step's `def`.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, guarded, log, startEditor, waitFor } from './harness.mjs';

const FLOW = 'graph_flow.py';
const SOURCE = path.join(REPO, 'tests', 'python', 'flows', FLOW);
const STEPS = ['start', 'left', 'right', 'merge', 'plan', 'region', 'store', 'join_stores', 'join_regions', 'end'];
const GRAPH = '[data-testid="graph"]';
const NODE = '[data-testid="node"]';

let editor;
let folder; // the workspace's source: the flow alone (the graph needs no run)
let lines; // the flow's text, by 0-based line
let frame; // the graph webview's frame

/** The step names the drawing shows: each node's name as the SVG has it. */
async function drawnSteps() {
  return frame.$$eval(`${NODE} [data-testid="node-name"]`, (els) => els.map((el) => el.textContent));
}

/** "Ln 12, Col 5" from the status bar, as [line, column] (1-based). */
async function cursor() {
  const text = await editor.page.locator('.statusbar-item[id="status.editor.selection"]').innerText();
  const match = /Ln (\d+), Col (\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/** The cursor to a 1-based line and column (Ctrl+G "line:column"). */
async function goTo(line, column) {
  const page = editor.page;
  await page.keyboard.press('Control+G');
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await waitFor(async () => {
    const at = await cursor();
    return at && at[0] === line && at[1] === column;
  }, { timeout: 10_000, interval: 50, what: `the cursor at ${line}:${column}` });
}

/** Switch the colour theme (Ctrl+K Ctrl+T) and wait for the graph's webview to follow. */
async function theme(name, bodyClass) {
  const page = editor.page;
  if (await frame.$eval('body', (b, c) => b.classList.contains(c), bodyClass)) return;
  await page.keyboard.press('Control+K');
  await page.keyboard.press('Control+T');
  await page.locator('.quick-input-widget input').waitFor({ state: 'visible' });
  await page.keyboard.type(name);
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: name }).waitFor();
  await page.keyboard.press('Enter');
  await page.locator('.quick-input-widget').waitFor({ state: 'hidden' });
  await waitFor(async () => frame.$eval('body', (b, c) => b.classList.contains(c), bodyClass), {
    timeout: 20_000,
    what: `the graph in ${name}`,
  });
}

async function screenshot(name) {
  const picture = path.join(REPO, 'docs', 'images', name);
  // Off any tooltip (the tab's, after focusEditor's click; the editor's hover is off).
  await editor.page.mouse.move(700, 980);
  await editor.page.locator('.workbench-hover').first().waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
  await editor.page.screenshot({ path: picture });
  log(`screenshot ${path.relative(REPO, picture)}`);
}

const g = (name, fn) => guarded(() => editor, name, fn);

describe('The flow graph in a real VS Code (code-server)', { timeout: 300_000 }, () => {
  before(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'spinlens-graph-e2e-'));
    fs.copyFileSync(SOURCE, path.join(folder, FLOW));
    lines = fs.readFileSync(SOURCE, 'utf8').split('\n');
    editor = await startEditor({ examples: folder, flowArgs: ['-c', 'pass'] });
    try {
      await editor.openFile(FLOW);
    } catch (e) {
      await editor.failure('open-file');
      throw e;
    }
  });

  after(async () => {
    if (editor) await editor.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it('"Spinlens: Show Flow Graph" draws every one of the ten steps', { timeout: 120_000 }, g('graph-ten-steps', async () => {
    await editor.focusEditor(FLOW);
    await editor.runCommand('Spinlens: Show Flow Graph');
    frame = await editor.frameWith(GRAPH, { timeout: 60_000, what: 'the flow graph webview' });
    const shown = await waitFor(async () => {
      const names = await drawnSteps();
      return names.length === STEPS.length ? names : null;
    }, { timeout: 60_000, what: 'ten nodes in the flow graph' });
    assert.deepEqual([...shown].sort(), [...STEPS].sort());
    // The edges too: the foreach and the nested foreach carry their split variables.
    const labels = await frame.$$eval('[data-testid="edge-label"] text', (els) => els.map((el) => el.textContent));
    assert.ok(labels.some((l) => l.includes('regions')), `a foreach label naming regions in ${JSON.stringify(labels)}`);
    assert.ok(labels.some((l) => l.includes('stores')), `a foreach label naming stores in ${JSON.stringify(labels)}`);
    const svgText = await frame.$eval(GRAPH, (el) => el.textContent);
    for (const step of STEPS) assert.ok(svgText.includes(step), `${step} in the SVG`);

    await theme('Light Modern', 'vscode-light');
    await screenshot('flow-graph.png');
    // The same view in a dark theme: colours come from the theme's CSS variables.
    await theme('Dark Modern', 'vscode-dark');
    await screenshot('flow-graph-dark.png');
  }));

  it('an unsaved edit that adds a step shows its node', { timeout: 90_000 }, g('graph-edit', async () => {
    const page = editor.page;
    const to = lines.findIndex((l) => /^\s+def join_regions\(/.test(l));
    const next = lines.findIndex((l, i) => i > to && l.includes('self.next(self.end)'));
    const endStep = lines.findIndex((l) => /^\s+def end\(/.test(l)) - 1; // its @step
    assert.ok(to > 0 && next > to && endStep > next, 'join_regions and end in the flow');
    await editor.focusEditor(FLOW);
    // `self.next(self.end)` -> `self.next(self.audit)` (the cursor lands after the indent).
    await goTo(next + 1, lines[next].indexOf('self.next') + 1);
    await page.keyboard.press('Shift+End');
    await page.keyboard.type('self.next(self.audit)');
    // A new step before end's @step (autoIndent is off: the indent is typed).
    await goTo(endStep + 1, 1);
    await page.keyboard.type('    @step\n    def audit(self):\n        self.next(self.end)\n\n');
    // Typed one key at a time: half-way through, `end` is nested in audit's body.
    const shown = await waitFor(async () => {
      const names = await drawnSteps();
      return names.includes('audit') && names.length === STEPS.length + 1 ? names : null;
    }, { timeout: 30_000, what: 'the audit node after the edit, with the ten others' });
    assert.equal(shown.length, STEPS.length + 1);
    const edges = await frame.$$eval('[data-testid="edge"]', (els) => els.map((el) => `${el.dataset.from}->${el.dataset.to}`));
    assert.ok(edges.includes('join_regions->audit') && edges.includes('audit->end'), `audit wired in: ${edges}`);
    assert.equal(fs.readFileSync(path.join(editor.workspace, FLOW), 'utf8'), lines.join('\n'), 'the file on disk is untouched');
  }));

  it('clicking a node moves the editor to its step', { timeout: 60_000 }, g('graph-click', async () => {
    await editor.focusEditor(FLOW);
    await goTo(1, 1);
    const plan = lines.findIndex((l) => /^\s+def plan\(/.test(l)); // before the edit: same line
    assert.ok(plan > 0);
    await frame.locator(`${NODE}[data-step="plan"] [data-testid="node-name"]`).click();
    const at = await waitFor(async () => {
      const position = await cursor();
      return position && position[0] === plan + 1 ? position : null;
    }, { timeout: 20_000, what: `the cursor on line ${plan + 1} (def plan)` });
    assert.equal(at[0], plan + 1);
    const active = await editor.page.locator('.editor-group-container.active .tab.active').first().innerText();
    assert.match(active, new RegExp(FLOW.replace('.', '\\.')));
  }));
});
