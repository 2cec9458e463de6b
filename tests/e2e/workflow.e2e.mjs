// End to end: a newcomer's workflow in a real VS Code (code-server + Chromium).
//
//   bash tests/e2e/run.sh [VSIX]     (or: node --test tests/e2e/workflow.e2e.mjs)
//
// One editor for the file; the tests run in order:
//   a flow that never ran: Spin, then "Run the flow", then the step's artifacts;
//   a foreach step: its child picker spins index 2 and the header says so;
//   a spin requested while one runs: queued, both outputs kept, Cancel ends only the one shown.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { guarded, log, startEditor, waitFor } from './harness.mjs';

const SPIN_LENS = 'Spin this step';
const STATUS = '[data-testid="status"]';

// Never run: the test runs it from the editor. Its Parameter keeps its default.
const NEVER_RUN = `from metaflow import FlowSpec, Parameter, step


class NeverRunFlow(FlowSpec):
    greeting = Parameter("greeting", help="what to shout", default="hello")

    @step
    def start(self):
        self.words = [self.greeting, "world"]
        self.next(self.shout)

    @step
    def shout(self):
        self.loud = [word.upper() for word in self.words]
        print("shouting", self.loud)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    NeverRunFlow()
`;

// Run once before the tests with SLOW_TICKS=1; a spin of work (the editor's
// environment has no SLOW_TICKS) ticks for a minute, until it is cancelled.
const SLOW = `import os
import time

from metaflow import FlowSpec, step


class SlowFlow(FlowSpec):
    @step
    def start(self):
        self.n = 3
        self.next(self.work)

    @step
    def work(self):
        ticks = int(os.environ.get("SLOW_TICKS", "600"))
        for i in range(ticks):
            print(f"tick {i}", flush=True)
            time.sleep(0.1)
        self.ticks = ticks
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    SlowFlow()
`;

let editor;
const g = (name, fn) => guarded(() => editor, name, fn);

/** 1-based line of the first decorator of step `name` in `text` (where its lenses are). */
function stepLine(text, name) {
  const lines = text.split('\n');
  const def = lines.findIndex((l) => new RegExp(`^\\s*def ${name}\\(`).test(l));
  assert.ok(def > 0, `step ${name} in the flow`);
  let first = def;
  while (first > 0 && /^\s*@/.test(lines[first - 1])) first--;
  return first + 1;
}

async function text(frame, selector) {
  const el = await frame.$(selector);
  return el ? (await el.evaluate((e) => e.innerText || e.textContent)).replace(/\s+/g, ' ').trim() : null;
}

async function results() {
  return editor.frameWith(STATUS, { timeout: 90_000, what: 'the results panel' });
}

/** Wait until the panel shows `step` with a status matching `status`. */
async function panelShows(step, status, timeout = 120_000) {
  let frame;
  let seen;
  await waitFor(
    async () => {
      frame = await results();
      seen = { step: await text(frame, '[data-testid="step"]'), status: await text(frame, STATUS) };
      return seen.step === `.${step}` && status.test(seen.status ?? '');
    },
    { timeout, what: `the panel to show .${step} with status ${status}` },
  ).catch((e) => {
    throw new Error(`${e.message}; last seen ${JSON.stringify(seen)}`);
  });
  return frame;
}

/** Click a button of the modal dialog VS Code shows for a modal message. */
async function clickDialog(label) {
  const button = editor.page.locator('.monaco-dialog-box').getByRole('button', { name: label });
  await button.waitFor({ state: 'visible', timeout: 90_000 });
  await button.click();
  await editor.page.locator('.monaco-dialog-box').waitFor({ state: 'hidden', timeout: 10_000 });
}

describe('A first hour with Spinlens (code-server)', { timeout: 600_000 }, () => {
  before(async () => {
    editor = await startEditor();
    fs.writeFileSync(path.join(editor.workspace, 'never_run.py'), NEVER_RUN);
    fs.writeFileSync(path.join(editor.workspace, 'slow_flow.py'), SLOW);
    const ran = spawnSync(editor.python, ['slow_flow.py', 'run'], {
      cwd: editor.workspace,
      env: { ...editor.env, SLOW_TICKS: '1' },
      encoding: 'utf8',
      timeout: 180_000,
    });
    assert.equal(ran.status, 0, `slow_flow.py run: ${ran.stdout}\n${ran.stderr}`);
    log('slow_flow.py ran once');
  });

  after(async () => {
    if (editor) await editor.stop();
  });

  it('a flow that never ran: Spin offers "Run the flow", which runs it, then the step spins', { timeout: 240_000 }, g('never-run', async () => {
    await editor.openFile('never_run.py');
    const line = stepLine(NEVER_RUN, 'shout');
    await editor.reveal(line + 4);
    const lens = await waitFor(() => editor.lensAbove('no run yet', line), { timeout: 90_000, what: 'the "no run yet" lens above shout' });
    log(`lens: ${lens.text}`);
    const clicked = Date.now();
    await editor.clickLensAbove(SPIN_LENS, line);
    await clickDialog('Run the flow');
    log(`asked to run the flow after ${((Date.now() - clicked) / 1000).toFixed(1)} s`);
    // The Parameters: the default is fine.
    assert.ok(await editor.pickIfAsked('Run with these values', 30_000), 'the Parameters quick pick');
    const frame = await panelShows('shout', /\bok\b/, 180_000);
    log(`spun after the run, ${((Date.now() - clicked) / 1000).toFixed(1)} s after the click`);
    const row = await frame.$('[data-testid="artifact-row"][data-name="loud"]');
    assert.ok(row, 'a row for loud');
    assert.match(await text(frame, '[data-testid="log"]'), /shouting \['HELLO', 'WORLD'\]/);
    const runs = fs.readdirSync(path.join(editor.workspace, '.metaflow', 'NeverRunFlow')).filter((n) => /^\d+$/.test(n));
    assert.equal(runs.length, 1, 'one run in the workspace datastore');
    assert.match(await text(frame, '[data-testid="source-run"]'), new RegExp(`run ${runs[0]}`));
    // The lens knows the flow has run now.
    await editor.focusEditor('never_run.py');
    await waitFor(async () => (await editor.lensAbove('no run yet', line)) === null, { timeout: 30_000, what: 'the "no run yet" lens gone' });
  }));

  it('a foreach step: the child picker spins index 2 and the header says so', { timeout: 240_000 }, g('foreach-child', async () => {
    await editor.openFile('training_flow.py');
    const source = fs.readFileSync(path.join(editor.workspace, 'training_flow.py'), 'utf8');
    const line = stepLine(source, 'tune');
    await editor.reveal(line + 4);
    await editor.clickLensAbove('foreach child', line, 60_000);
    assert.ok(await editor.pickIfAsked('(index 2)', 60_000), 'the picker lists index 2');
    const frame = await panelShows('tune', /\bok\b/, 180_000);
    const child = await text(frame, '[data-testid="child"]');
    log(`header: ${await text(frame, '[data-testid="source-run"]')}`);
    assert.match(child, /^· index 2 · alphas=\S+$/, 'the header names the child and its value');
    // The lens remembers the choice.
    await editor.focusEditor('training_flow.py');
    await waitFor(() => editor.lensAbove('foreach child: index 2', line), { timeout: 30_000, what: 'the lens naming index 2' });
  }));

  it('a spin requested while one runs queues: both outputs kept, Cancel ends only the one shown', { timeout: 240_000 }, g('queue', async () => {
    await editor.openFile('slow_flow.py');
    const work = stepLine(SLOW, 'work');
    const start = stepLine(SLOW, 'start');
    await editor.reveal(work + 8);
    await editor.clickLensAbove(SPIN_LENS, work);
    let frame = await panelShows('work', /running/, 120_000);
    await waitFor(async () => /tick 3\b/.test((await text(frame, '[data-testid="log"]')) ?? ''), { timeout: 60_000, what: 'ticks in the log' });

    await editor.focusEditor('slow_flow.py');
    await editor.clickLensAbove(SPIN_LENS, start);
    await clickDialog('Queue');
    // The running spin stays on display, its output growing; the new one is listed as queued.
    frame = await results();
    await waitFor(async () => (await text(frame, '[data-testid="queue"]')) === 'queued: start (after work)', {
      timeout: 30_000,
      what: 'the queued spin listed in the panel',
    });
    assert.equal(await text(frame, '[data-testid="step"]'), '.work');
    const before = await text(frame, '[data-testid="log"]');
    await waitFor(async () => ((await text(frame, '[data-testid="log"]')) ?? '').length > before.length, { timeout: 30_000, what: 'the shown spin still streaming' });

    // Cancel: the shown spin ends; the queued one then runs, and the panel moves to it.
    await frame.click('[data-testid="cancel"]');
    frame = await panelShows('start', /\bok\b/, 120_000);
    assert.equal(await text(frame, '[data-testid="queue"]'), '', 'nothing left queued');
    assert.ok(await frame.$('[data-testid="artifact-row"][data-name="n"]'), 'the queued spin ran to its artifacts');

    // The cancelled spin's output is still there: its outcome lens shows it again.
    await editor.focusEditor('slow_flow.py');
    await editor.clickLensAbove('cancelled', work, 30_000);
    frame = await panelShows('work', /cancelled/, 30_000);
    assert.match(await text(frame, '[data-testid="log"]'), /tick 3\b/);
  }));
});
