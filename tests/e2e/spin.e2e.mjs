// End to end: the Spinlens VSIX in a real VS Code workbench (code-server + Chromium).
//
//   bash tests/e2e/run.sh [VSIX]        (or: SPINLENS_E2E_VSIX=... node --test tests/e2e/spin.e2e.mjs)
//
// One editor for the whole file; the tests run in order and build on each other
// (lenses -> spin from a lens -> spin unsaved edits from the palette -> HTML safety).

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ARTIFACTS_DIR, REPO, guarded, log, startEditor, waitFor } from './harness.mjs';

const FLOW = 'training_flow.py';
const ROW = '[data-testid="artifact-row"]';
const STATUS = '[data-testid="status"]';
const SPIN_LENS = 'Spin this step';
const DEBUG_LENS = 'Debug this step';
// What a finished spin's status may say; and what a row's comparison may say.
const DONE = /\b(ok|finished|done|succeeded|success)\b|✓|✔/i;
const FAILED = /\b(failed|error|cancelled)\b|✗|✘/i;
const COMPARISON = /\b(new|changed|unchanged)\b/i;
const HTML_PROBE = '<img src=x onerror=alert(1)><script>window.__pwned=1</script>';

let editor;
let source; // the flow file's text on disk
let steps; // [{name, line}] with the 1-based line of each step's first decorator
let results; // the webview frame of the results panel

function parseSteps(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^\s*@step\b/.test(lines[i])) continue;
    let first = i; // a step's lens sits on its first decorator
    while (first > 0 && /^\s*@/.test(lines[first - 1])) first--;
    for (let j = i + 1; j < lines.length; j++) {
      const m = /^\s*def\s+(\w+)\s*\(/.exec(lines[j]);
      if (m) {
        out.push({ name: m[1], line: first + 1 });
        break;
      }
    }
  }
  return out;
}

async function rowTexts(frame, selector = ROW) {
  return frame.$$eval(selector, (els) =>
    // innerText: table cells and blocks come out separated, as a reader sees them.
    els.map((el) => ({ name: el.getAttribute('data-name'), text: (el.innerText || el.textContent).replace(/\s+/g, ' ').trim() })),
  );
}

/**
 * Runs in the results webview: where each artifact name, value and type breaks,
 * from the boxes of its characters (a new line starts where a character's top
 * moves down by half a line).
 */
function measureLayout() {
  const visible = (el) => el.getClientRects().length > 0;
  // The text of el with the line each character lands on.
  const lines = (el) => {
    const chars = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (let i = 0; i < node.data.length; i++) {
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const r = range.getBoundingClientRect();
        if (r.width || r.height) chars.push({ c: node.data[i], top: r.top, h: r.height });
      }
    }
    let line = 0;
    let top = chars.length ? chars[0].top : 0;
    const breaks = [];
    for (let i = 0; i < chars.length; i++) {
      if (chars[i].top > top + chars[i].h / 2) {
        line++;
        breaks.push(chars[i - 1].c);
      }
      top = chars[i].top;
    }
    return { text: chars.map((c) => c.c).join(''), lines: chars.length ? line + 1 : 0, breaks };
  };
  const names = [...document.querySelectorAll('[data-testid="artifact-name"]')].filter(visible).map((el) => {
    const m = lines(el);
    return { name: el.title, lines: m.lines, badBreaks: m.breaks.filter((c) => c !== '_' && c !== '.') };
  });
  const values = [...document.querySelectorAll('[data-testid="artifact-summary"]')].filter(visible).map((el) => {
    const m = lines(el);
    return { text: m.text.slice(0, 40), chars: m.text.length, charsPerLine: m.text.length / Math.max(1, m.lines) };
  });
  const cutTypes = [...document.querySelectorAll('.type-text')]
    .filter((el) => visible(el) && el.textContent.length <= 12 && el.scrollWidth > el.clientWidth + 1)
    .map((el) => el.textContent);
  const table = document.querySelector('[data-testid="artifacts"]');
  return { names, values, cutTypes, width: window.innerWidth, tableRight: table.getBoundingClientRect().right };
}

async function statusText(frame) {
  const el = await frame.$(STATUS);
  return el ? (await el.evaluate((e) => e.innerText || e.textContent)).replace(/\s+/g, ' ').trim() : null;
}

/** Wait for the panel's status to say the spin is over; returns its text. */
async function waitSpinEnd(frame, timeout = 90_000) {
  return waitFor(
    async () => {
      const s = await statusText(frame);
      return s !== null && (DONE.test(s) || FAILED.test(s)) ? s : null;
    },
    { timeout, what: `the results panel's ${STATUS} to say the spin ended` },
  );
}

const g = (name, fn) => guarded(() => editor, name, fn);

describe('Spinlens in a real VS Code (code-server)', { timeout: 300_000 }, () => {
  before(async () => {
    editor = await startEditor();
    const file = path.join(editor.workspace, FLOW);
    source = fs.readFileSync(file, 'utf8');
    steps = parseSteps(source);
    assert.ok(steps.length >= 2, `expected steps in ${FLOW}`);
    try {
      await editor.openFile(FLOW);
    } catch (e) {
      await editor.failure('open-file');
      throw e;
    }
    log(`opened ${FLOW}: steps ${steps.map((s) => `${s.name}@${s.line}`).join(', ')}`);
  });

  after(async () => {
    if (editor) {
      log('stopping code-server and browser');
      await editor.stop();
    }
  });

  it('shows "▶ Spin this step" and "Debug this step" above every @step', { timeout: 90_000 }, async () => {
    const page = editor.page;
    // Make the whole file visible at once: lenses are only rendered for visible lines.
    const { lh } = await editor.editorSnapshot();
    const normal = page.viewportSize();
    await page.setViewportSize({ width: normal.width, height: Math.ceil((source.split('\n').length + 2 * steps.length + 12) * (lh || 20) + 300) });
    try {
      // Lenses, and the steps without exactly one spin lens right above them.
      const look = async () => {
        const snap = await editor.editorSnapshot();
        const spins = snap.lenses.filter((l) => l.text.includes(SPIN_LENS));
        const debugs = snap.lenses.filter((l) => l.text.includes(DEBUG_LENS));
        const without = steps.filter((s) => {
          const y = snap.lines[s.line];
          return y === undefined || spins.filter((l) => l.y < y && l.y > y - 3 * snap.lh).length !== 1;
        });
        return { snap, spins, debugs, without };
      };
      const started = Date.now();
      let seen;
      // Lenses arrive as the server answers: wait until there are exactly one spin and
      // one debug lens per step, each spin lens right above its step.
      await waitFor(
        async () => {
          seen = await look();
          return seen.spins.length === steps.length && seen.debugs.length === steps.length && seen.without.length === 0;
        },
        { timeout: 75_000, what: `one "${SPIN_LENS}" and one "${DEBUG_LENS}" lens above each of the ${steps.length} steps` },
      ).catch((e) => {
        const where = steps.map((s) => `${s.name}@${s.line}: y ${seen?.snap.lines[s.line] ?? '-'}`).join(', ');
        throw new Error(
          `${e.message}; last seen ${seen?.spins.length} spin lenses at y ${seen?.spins.map((l) => Math.round(l.y)).join(', ')}` +
            ` and ${seen?.debugs.length} debug lenses (line height ${seen?.snap.lh}); steps ${where}`,
        );
      });
      log(`${seen.spins.length} spin lenses after ${((Date.now() - started) / 1000).toFixed(1)} s`);
      log(`lenses: ${[...new Set(seen.snap.lenses.map((l) => l.text))].join(' | ')}`);
      assert.equal(seen.spins.length, steps.length, `one "${SPIN_LENS}" lens per @step`);
      assert.equal(seen.debugs.length, steps.length, `one "${DEBUG_LENS}" lens per @step`);
      assert.deepEqual(seen.without.map((s) => s.name), [], `a "${SPIN_LENS}" lens right above each step's first decorator`);
    } catch (e) {
      await editor.failure('lenses'); // before the viewport shrinks back
      throw e;
    } finally {
      await page.setViewportSize(normal);
    }
  });

  it('spins `train` from its lens and shows its artifacts in the results panel', { timeout: 120_000 }, g('spin-from-lens', async () => {
    const train = steps.find((s) => s.name === 'train');
    assert.ok(train, 'the flow has a train step');
    await editor.focusEditor(FLOW);
    await editor.reveal(train.line + 4);
    const clicked = Date.now();
    await editor.clickLensAbove(SPIN_LENS, train.line);
    log('clicked the train lens');
    results = await editor.frameWith(ROW, { timeout: 90_000, what: 'the results panel with an artifact row' });
    const firstRowMs = Date.now() - clicked;
    log(`first artifact row ${firstRowMs} ms after the click`);
    // For bench/RESULTS.md: the first click after opening the file (prewarmed meanwhile).
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    fs.writeFileSync(
      path.join(ARTIFACTS_DIR, 'spin-click-to-first-artifact.json'),
      JSON.stringify({ click_to_first_artifact_ms: firstRowMs, first_click_after_open: true, when: new Date().toISOString() }) + '\n',
    );
    const status = await waitSpinEnd(results);
    log(`status: ${status} (${((Date.now() - clicked) / 1000).toFixed(1)} s after the click)`);
    const rows = await rowTexts(results);
    log(`${rows.length} artifact rows: ${rows.map((r) => r.name).join(', ')}`);
    assert.match(status, DONE, 'the spin of train finished ok');
    assert.ok(rows.length >= 1, 'at least one artifact row');
    assert.ok(rows.every((r) => r.name), 'every artifact row has data-name');
    for (const name of ['coef', 'metrics', 'train_s']) {
      assert.ok(rows.some((r) => r.name === name), `a row for ${name}`);
    }
    const compared = rows.filter((r) => COMPARISON.test(r.text));
    assert.ok(compared.length >= 1, `a row shows new/changed/unchanged: ${JSON.stringify(rows.slice(0, 3))}`);
  }));

  it('holds the results panel at 300 px: names unbroken, values readable (docs/images/panel-train.png, panel-300px.png)', { timeout: 60_000 }, g('panel-300px', async () => {
    assert.ok(results && !results.isDetached(), 'the results panel of the train spin');
    // The webview's own iframe in the workbench page: its width is the panel's viewport.
    let frame = results;
    while (frame.parentFrame() && frame.parentFrame() !== editor.page.mainFrame()) frame = frame.parentFrame();
    const iframe = await frame.frameElement();
    const before = await iframe.evaluate((el) => el.style.width);
    const wide = await results.evaluate(() => window.innerWidth);
    // The changed rows come first: open the first one, so the pictures show a diff too.
    const first = await results.$(`${ROW}:not([data-status="unchanged"])`);
    if (first) await first.click();
    // The whole workbench beside the flow, as the README shows it: a real spin, no test probes.
    const workbench = path.join(REPO, 'docs', 'images', 'panel-train.png');
    await editor.page.screenshot({ path: workbench });
    log(`screenshot ${path.relative(REPO, workbench)} (panel ${wide} px wide)`);
    // As wide as the workbench made it: the same rules (here "DataFrame" was cut to "DataFr…").
    const atWide = await results.evaluate(measureLayout);
    assert.deepEqual(atWide.names.filter((n) => n.badBreaks.length), [], `at ${wide} px: no name breaks except after _ or .`);
    assert.deepEqual(atWide.cutTypes, [], `at ${wide} px: no short type name cut`);
    assert.ok(atWide.tableRight <= atWide.width + 0.5, `at ${wide} px: the artifact table fits (right edge ${atWide.tableRight})`);
    await iframe.evaluate((el) => {
      el.style.width = '300px';
    });
    try {
      await waitFor(() => results.evaluate(() => window.innerWidth === 300), { timeout: 10_000, what: 'the results webview 300 px wide' });
      const layout = await results.evaluate(measureLayout);
      log(`at 300 px (from ${wide} px): ${layout.names.length} names, lines ${layout.names.map((n) => `${n.name}:${n.lines}`).join(' ')}`);
      assert.ok(layout.names.length >= 3, `artifact names measured: ${JSON.stringify(layout.names)}`);
      assert.deepEqual(layout.names.filter((n) => n.badBreaks.length), [], 'no name breaks except after _ or .');
      assert.deepEqual(layout.values.filter((v) => v.charsPerLine < Math.min(v.chars, 12)), [], 'no value squeezed to a few characters per line');
      assert.deepEqual(layout.cutTypes, [], 'no short type name cut');
      assert.ok(layout.tableRight <= layout.width + 0.5, `the artifact table fits in the panel (right edge ${layout.tableRight} of ${layout.width})`);
      const shot = path.join(REPO, 'docs', 'images', 'panel-300px.png');
      await iframe.screenshot({ path: shot });
      log(`screenshot ${path.relative(REPO, shot)}`);
    } finally {
      await iframe.evaluate((el, width) => {
        el.style.width = width;
      }, before);
    }
  }));

  it('shows the outcome of that spin in a lens above `train`', { timeout: 45_000 }, g('outcome-lens', async () => {
    const train = steps.find((s) => s.name === 'train');
    await editor.focusEditor(FLOW);
    await editor.reveal(train.line + 4);
    const lens = await waitFor(
      async () => {
        const snap = await editor.editorSnapshot();
        const y = snap.lines[train.line];
        if (y === undefined) return null;
        return snap.lenses.find((l) => /\bago\b/.test(l.text) && l.y < y && l.y > y - 3 * snap.lh);
      },
      { timeout: 30_000, what: 'an outcome lens ("spun … ago: …") above train' },
    );
    log(`outcome lens: ${lens.text}`);
    assert.match(lens.text, /^spun\b/, 'the outcome lens says the spin went through');
  }));

  it('spins unsaved edits of `train` from the palette ("Spinlens: Spin step")', { timeout: 120_000 }, g('spin-unsaved-from-palette', async () => {
    const page = editor.page;
    const lines = source.split('\n');
    const at = lines.findIndex((l) => /^\s+self\.train_s = /.test(l)) + 1;
    assert.ok(at > 0, 'train sets self.train_s');
    const indent = /^\s*/.exec(lines[at - 1])[0];
    await editor.focusEditor(FLOW);
    await editor.goToLine(at);
    // Insert two lines before `self.train_s = ...` (insertText: no auto-indent or auto-close).
    await page.keyboard.insertText(`${indent}self.spin_marker = 4242\n${indent}self.html_probe = ${JSON.stringify(HTML_PROBE)}\n`);
    const want = [`${indent}self.spin_marker = 4242`, `${indent}self.html_probe = ${JSON.stringify(HTML_PROBE)}`, lines[at - 1]];
    await waitFor(
      async () => {
        const v = (await editor.visibleLines()).map((l) => l.trimEnd());
        const i = v.indexOf(want[0]);
        return i >= 0 && v[i + 1] === want[1] && v[i + 2] === want[2];
      },
      { timeout: 5_000, what: `the edit in the editor, verbatim:\n${want.join('\n')}` },
    );
    await page.locator('.tabs-container .tab.dirty', { hasText: FLOW }).waitFor({ timeout: 5_000 });
    assert.ok(!fs.readFileSync(path.join(editor.workspace, FLOW), 'utf8').includes('spin_marker'), 'the edit is not saved');

    await editor.runCommand('Spinlens: Spin step');
    const picked = await editor.pickIfAsked('train');
    log(picked ? 'picked train in the quick pick' : 'no quick pick: the command took the step at the cursor');
    const marker = `${ROW}[data-name="spin_marker"]`;
    results = await editor.frameWith(marker, { timeout: 90_000, what: 'an artifact row spin_marker' });
    const status = await waitSpinEnd(results);
    log(`status: ${status}`);
    const [row] = await rowTexts(results, marker);
    log(`spin_marker row: ${row.text}`);
    assert.match(status, DONE, 'the spin of the edited train finished ok');
    assert.match(row.text, /\b4242\b/, 'spin_marker shows its value 4242');
    assert.match(row.text, /\bnew\b/i, 'spin_marker is new');
    assert.ok(!fs.readFileSync(path.join(editor.workspace, FLOW), 'utf8').includes('spin_marker'), 'still not saved');
  }));

  it('updates the outcome lens above `train` after the palette spin', { timeout: 45_000 }, g('outcome-lens-updated', async () => {
    // That spin added spin_marker and html_probe: at least 2 changed, against 0-1 before.
    const train = steps.find((s) => s.name === 'train');
    let last = null;
    const lens = await waitFor(
      async () => {
        const snap = await editor.editorSnapshot();
        const y = snap.lines[train.line];
        if (y === undefined) return null;
        last = snap.lenses.find((l) => /\bago\b/.test(l.text) && l.y < y && l.y > y - 3 * snap.lh) || last;
        const m = last && /(\d+) changed/.exec(last.text);
        return m && Number(m[1]) >= 2 ? last : null;
      },
      { timeout: 20_000, what: 'the outcome lens above train to count the new spin (>= 2 changed)' },
    ).catch((e) => {
      throw new Error(`${e.message}; last seen: ${last ? JSON.stringify(last.text) : 'no outcome lens'}`);
    });
    log(`outcome lens: ${lens.text}`);
  }));

  it('shows an HTML-looking artifact value as literal text (no injected elements)', { timeout: 60_000 }, g('html-escaping', async () => {
    const probe = `${ROW}[data-name="html_probe"]`;
    const frame = results && !results.isDetached() && (await results.$(probe)) ? results : await editor.frameWith(probe, { timeout: 30_000 });
    const [row] = await rowTexts(frame, probe);
    log(`html_probe row: ${row.text}`);
    assert.ok(row.text.includes('<script>window.__pwned=1</script>'), 'the <script> shows as text');
    assert.ok(row.text.includes('<img src=x onerror=alert(1)>'), 'the <img> shows as text');
    for (const f of editor.page.frames()) {
      if (f.isDetached()) continue;
      const found = await f
        .evaluate(() => ({
          pwned: typeof window.__pwned !== 'undefined',
          imgs: document.querySelectorAll('img[src="x"], img[onerror]').length,
          scripts: [...document.scripts].filter((s) => s.textContent.includes('__pwned')).length,
        }))
        .catch(() => null); // a frame navigating away
      if (!found) continue;
      assert.deepEqual(found, { pwned: false, imgs: 0, scripts: 0 }, `no injected element or script in frame ${f.url().slice(0, 80)}`);
    }
    assert.deepEqual(editor.dialogs, [], 'no alert() ran');
  }));
});
