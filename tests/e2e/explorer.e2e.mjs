// End to end: the Spinlens activity-bar container's Runs tree, and comparing two runs,
// in a real VS Code (code-server + Chromium).
//
//   bash tests/e2e/run.sh [VSIX]
//
// A tiny flow with a Parameter, run twice (alpha 0.5 and 0.7) -> the Spinlens
// container -> Runs: the flow, its runs (newest first, by id), the `end` step, its
// task, and the artifact `score` with its value -> "Compare with…" on the newer run,
// picking the older one -> the comparison webview lists `alpha` 0.5 / 0.7 and the
// changed artifacts (`end.score`, `end.weights`) -> "Show Cards" on the `end` task:
// its @card(type="blank") with a Markdown heading, read from the run's datastore,
// in a sandboxed frame. Screenshots of the expanded tree and of the comparison go
// to docs/images/runs-tree.png and docs/images/compare-runs.png.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, guarded, log, startEditor, waitFor } from './harness.mjs';

const FLOW_FILE = 'param_flow.py';
const FLOW_SOURCE = `from metaflow import FlowSpec, Parameter, card, current, step
from metaflow.cards import Markdown


class ParamFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.5, type=float)

    @step
    def start(self):
        self.items = ["a", "b"]
        self.next(self.fan, foreach="items")

    @step
    def fan(self):
        self.letter = self.input * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.letters = [i.letter for i in inputs]
        self.next(self.end)

    @card(type="blank")
    @step
    def end(self):
        current.card.append(Markdown("# Score report"))
        self.score = self.alpha * 10
        self.weights = {"w": self.alpha, "k": 1}


if __name__ == "__main__":
    ParamFlow()
`;

let editor;
let folder;
let runs; // run ids, oldest first

async function screenshot(name) {
  const picture = path.join(REPO, 'docs', 'images', name);
  fs.mkdirSync(path.dirname(picture), { recursive: true });
  await editor.page.screenshot({ path: picture });
  log(`screenshot ${path.relative(REPO, picture)}`);
}

/** The Runs view's rows now rendered: {label, description}. */
async function treeRows() {
  return editor.page.$$eval('.pane-body .monaco-list-row', (rows) =>
    rows
      .filter((row) => row.closest('.pane')?.querySelector('.pane-header')?.textContent?.includes('Runs'))
      .map((row) => ({
        label: row.querySelector('.label-name')?.textContent?.trim() ?? '',
        description: row.querySelector('.label-description')?.textContent?.trim() ?? '',
      })),
  );
}

/** The Runs view's row whose label is `label` (exactly), once it is there. */
async function row(label) {
  const locator = editor.page.locator('.pane-body .monaco-list-row', {
    has: editor.page.locator('.label-name', { hasText: new RegExp(`^\\s*${label.replace(/[[\]().*+?]/g, '\\$&')}\\s*$`) }),
  });
  await locator.first().waitFor({ state: 'visible', timeout: 60_000 });
  return locator.first();
}

describe('the Runs explorer and run comparison', { timeout: 600_000 }, () => {
  before(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'spinlens-e2e-explorer-'));
    fs.writeFileSync(path.join(folder, FLOW_FILE), FLOW_SOURCE);
    editor = await startEditor({ examples: folder, flowArgs: [FLOW_FILE, 'run', '--alpha', '0.5'] });
    // A second run with another alpha, before the view first asks.
    const second = spawnSync(editor.python, [FLOW_FILE, 'run', '--alpha', '0.7'], {
      cwd: editor.workspace,
      env: editor.env,
      encoding: 'utf8',
      timeout: 180_000,
    });
    assert.equal(second.status, 0, second.stdout + second.stderr);
    runs = fs
      .readdirSync(path.join(editor.workspace, '.metaflow', 'ParamFlow'))
      .filter((name) => /^\d+$/.test(name))
      .sort((a, b) => Number(a) - Number(b));
    assert.equal(runs.length, 2);
    log(`runs ${runs.join(', ')}`);
  });

  after(async () => {
    await editor?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it(
    'expands the Runs tree down to an artifact and shows its value',
    guarded(() => editor, 'explorer-tree', async () => {
      const page = editor.page;
      await page.locator('.activitybar .action-item a[aria-label^="Spinlens"]').first().click();
      // The container's title: "SPINLENS: RUNS" while Runs is its only view.
      await page.locator('.sidebar .composite.title', { hasText: /spinlens/i }).first().waitFor({ timeout: 30_000 });
      await (await row('ParamFlow')).click();
      await row(`run ${runs[1]}`);
      const listed = await treeRows();
      const runRows = listed.filter((r) => r.label.startsWith('run '));
      assert.deepEqual(runRows.map((r) => r.label), [`run ${runs[1]}`, `run ${runs[0]}`], 'newest first');
      assert.match(runRows[0].description, /^ok\b/);
      await (await row(`run ${runs[1]}`)).click();
      await (await row('end')).click();
      const task = editor.page.locator('.pane-body .monaco-list-row', {
        has: editor.page.locator('.label-name', { hasText: /^task \d+$/ }),
      });
      await task.first().waitFor({ state: 'visible', timeout: 60_000 });
      await task.first().click();
      await row('score');
      const score = await waitFor(async () => (await treeRows()).find((r) => r.label === 'score' && r.description), {
        what: 'the score artifact with its description',
      });
      assert.match(score.description, /float/);
      assert.match(score.description, /7\.0/); // alpha 0.7 * 10
      const weights = (await treeRows()).find((r) => r.label === 'weights');
      assert.ok(weights, 'the weights artifact is listed');
      assert.match(weights.description, /'w': 0\.7/);
      await screenshot('runs-tree.png');
    }),
  );

  it(
    'compares two runs with different parameters: the parameter and the changed artifacts',
    guarded(() => editor, 'explorer-compare', async () => {
      await editor.contextAction(await row(`run ${runs[1]}`), 'Compare with…');
      assert.ok(await editor.pickIfAsked(`run ${runs[0]}`, 15_000), 'the other run is offered');
      const frame = await editor.frameWith('[data-testid="artifacts"]', { what: 'the comparison webview' });
      const cells = (selector) =>
        frame.$$eval(`${selector} tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
      const parameters = await cells('[data-testid="parameters"]');
      assert.deepEqual(parameters.find((r) => r[0] === 'alpha'), ['alpha', '0.7', '0.5']);
      const artifacts = await cells('[data-testid="artifacts"]');
      const status = Object.fromEntries(artifacts.map((r) => [r[0], r[1]]));
      assert.equal(status['end.score'], 'changed');
      assert.equal(status['end.weights'], 'changed');
      assert.equal(status['fan[0].letter'], 'same');
      const metrics = await cells('[data-testid="metrics"]');
      assert.deepEqual(metrics.find((r) => r[0] === 'end.score')?.slice(0, 3), ['end.score', '7', '5']);
      await screenshot('compare-runs.png');
    }),
  );

  it(
    "shows a past task's card from the Runs tree, in a sandboxed frame",
    guarded(() => editor, 'explorer-cards', async () => {
      const page = editor.page;
      const task = page.locator('.pane-body .monaco-list-row', { has: page.locator('.label-name', { hasText: /^task \d+$/ }) });
      await editor.contextAction(task.first(), 'Show Cards');
      const view = await editor.frameWith('[data-testid="card"] [data-testid="card-frame"]', { what: 'the cards webview' });
      assert.equal(await view.textContent('[data-testid="card"] h2'), 'blank card');
      assert.equal(await view.$eval('[data-testid="card-frame"]', (f) => f.getAttribute('sandbox')), 'allow-scripts');
      const card = await waitFor(
        async () => {
          for (const child of view.childFrames()) {
            if (child.isDetached()) continue;
            const text = await child.textContent('body').catch(() => '');
            if (text && text.includes('Score report')) return child;
          }
          return null;
        },
        { timeout: 60_000, what: 'the card frame showing "Score report"' },
      );
      assert.equal(await card.textContent('h1'), 'Score report');
      const inside = await card.evaluate(() => ({ origin: window.origin, api: typeof window.acquireVsCodeApi }));
      assert.deepEqual(inside, { origin: 'null', api: 'undefined' });
    }),
  );
});
