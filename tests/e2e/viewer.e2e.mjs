// End to end: the value viewer. A spun step's DataFrame opens from its results
// row as a grid (cells visible, a header click sorts it), and an artifact of
// PNG bytes opens as an image.
//
//   SPINLENS_E2E_VSIX=... node --test tests/e2e/viewer.e2e.mjs   (or bash tests/e2e/run.sh)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, guarded, log, startEditor, waitFor } from './harness.mjs';

const FLOW_FILE = 'viewer_flow.py';
// A 2x2 grey PNG, made by zlib at run time: no imaging library in the interpreter.
const FLOW_SOURCE = `import struct
import zlib

import numpy as np
import pandas as pd
from metaflow import FlowSpec, step


def png(width, height):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\\x00" + b"\\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class ViewerFlow(FlowSpec):
    @step
    def start(self):
        self.frame = pd.DataFrame({"n": [5, 3, 9, 1], "name": ["e", "c", "i", "a"]})
        self.next(self.shape)

    @step
    def shape(self):
        self.doubled = self.frame.assign(double=self.frame.n * 2)
        self.picture = png(2, 2)
        self.samples = np.random.default_rng(0).normal(size=10_000)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ViewerFlow()
`;
const ROW = (name) => `[data-testid="artifact-row"][data-name="${name}"]`;
const DETAIL = (name) => `[data-testid="artifact-detail"][data-name="${name}"]`;

let editor;
let folder;
let results; // the results panel's frame

async function openInViewer(name, selector) {
  if (!results || results.isDetached()) results = await editor.frameWith(ROW(name), { timeout: 90_000 });
  await results.click(ROW(name));
  const button = `${DETAIL(name)} [data-testid="open-in-viewer"]`;
  await results.waitForSelector(button, { state: 'visible', timeout: 30_000 });
  await results.click(button);
  return editor.frameWith(selector, { timeout: 60_000, what: `the value viewer showing ${name}` });
}

async function firstColumn(frame) {
  return frame.$$eval('[data-testid="grid-row"]', (rows) => rows.map((r) => r.querySelector('td')?.textContent ?? ''));
}

describe('the value viewer', { timeout: 400_000 }, () => {
  before(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'spinlens-e2e-viewer-'));
    fs.writeFileSync(path.join(folder, FLOW_FILE), FLOW_SOURCE);
    editor = await startEditor({ examples: folder, flowArgs: [FLOW_FILE, 'run'] });
    await editor.openFile(FLOW_FILE);
  });

  after(async () => {
    await editor?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it(
    "opens a spun step's DataFrame as a grid, and a header click sorts it",
    guarded(() => editor, 'viewer-grid', async () => {
      const lines = FLOW_SOURCE.split('\n');
      const line = lines.findIndex((l) => /def shape\(self\)/.test(l)); // 1-based line of its @step
      await editor.clickLensAbove('Spin this step', line); // the lens sits above the @step line
      results = await editor.frameWith(ROW('doubled'), { timeout: 120_000, what: 'the results row of doubled' });
      // The expanded row shows the table's head, columns and dtypes from one page.
      await results.click(ROW('doubled'));
      await results.waitForSelector(`${DETAIL('doubled')} [data-testid="row-table"]`, { timeout: 30_000 });
      const columns = await results.$$eval(`${DETAIL('doubled')} [data-testid="row-table-column"]`, (els) => els.map((e) => e.textContent));
      assert.equal(columns.length, 3);
      assert.match(columns[0], /^nint64$/);
      assert.match(columns[1], /^name(str|object)$/); // pandas 3 says str, older pandas object
      assert.match(columns[2], /^doubleint64$/);
      await results.click(ROW('doubled')); // folded again: openInViewer expands it
      const grid = await openInViewer('doubled', '[data-testid="grid-cell"]');
      assert.deepEqual(await firstColumn(grid), ['5', '3', '9', '1']);
      const headers = await grid.$$eval('[data-testid="grid-header"]', (els) => els.map((e) => e.getAttribute('data-column')));
      assert.deepEqual(headers, ['n', 'name', 'double']);
      assert.match(await grid.textContent('[data-testid="grid-stats"]'), /min 1 · max 9 · mean 4\.5/);
      await grid.click('[data-testid="grid-header"][data-column="n"]');
      await waitFor(async () => (await firstColumn(grid)).join() === '1,3,5,9', { what: 'the grid sorted by n' });
      await grid.click('[data-testid="grid-header"][data-column="n"]');
      await waitFor(async () => (await firstColumn(grid)).join() === '9,5,3,1', { what: 'the grid sorted by n, descending' });
      log('grid sorted both ways');
      const picture = path.join(REPO, 'docs', 'images', 'value-viewer.png');
      await editor.page.screenshot({ path: picture });
      log(`screenshot ${path.relative(REPO, picture)}`);
    }),
  );

  it(
    'shows an artifact of PNG bytes as an image',
    guarded(() => editor, 'viewer-image', async () => {
      const viewer = await openInViewer('picture', '[data-testid="value-image"]');
      const image = await waitFor(
        () => viewer.$eval('[data-testid="value-image"]', (img) => img.complete && img.naturalWidth > 0 && { w: img.naturalWidth, src: img.src.slice(0, 22) }),
        { what: 'the image decoded' },
      );
      assert.deepEqual(image, { w: 2, src: 'data:image/png;base64,' });
    }),
  );

  it(
    "draws an array's histogram with the bundled uPlot, under the viewer's CSP",
    guarded(() => editor, 'viewer-histogram', async () => {
      const viewer = await openInViewer('samples', '[data-testid="array-facts"]');
      assert.match(await viewer.textContent('[data-testid="array-facts"]'), /shape \(10000\) · dtype float64 · min -/);
      const drawn = await waitFor(
        () => viewer.$eval('[data-testid="array-chart"]', (box) => {
          const canvas = box.querySelector('canvas');
          return canvas && canvas.width > 0 ? { canvas: true, plot: Boolean(box.querySelector('.uplot')) } : null;
        }),
        { what: 'the histogram canvas' },
      );
      assert.deepEqual(drawn, { canvas: true, plot: true });
      // What uPlot could trip: inline styles or scripts, eval.
      const csp = editor.console.filter((line) => /Refused to (apply inline style|execute inline script|evaluate)/i.test(line));
      assert.deepEqual(csp, [], 'no CSP violation in the workbench console');
    }),
  );
});
