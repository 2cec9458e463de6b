// End to end: @card previews in the results panel. A step with
// @card(type="blank") appends a Markdown and a Table component; spun from its
// lens, the panel shows the card in a sandboxed frame (Metaflow's own scripts
// draw it), and messages that frame posts to the panel are ignored.
//
//   SPINLENS_E2E_VSIX=... node --test tests/e2e/cards.e2e.mjs   (or bash tests/e2e/run.sh)

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPO, guarded, log, startEditor, waitFor } from './harness.mjs';

const FLOW_FILE = 'card_flow.py';
const FLOW_SOURCE = `from metaflow import FlowSpec, card, current, step
from metaflow.cards import Markdown, Table


class CardFlow(FlowSpec):
    @step
    def start(self):
        self.rows = [[1, 2], [3, 4]]
        self.next(self.report)

    @card(type="blank")
    @step
    def report(self):
        current.card.append(Markdown("# Hello card"))
        current.card.append(Table(self.rows, headers=["a", "b"]))
        self.total = sum(sum(row) for row in self.rows)
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    CardFlow()
`;
const DROPPED = 'Spinlens: ignored a message from a card frame';

let editor;
let folder;
let results; // the results panel's frame
let card; // the card's frame, a child of the panel's

describe('@card previews in the results panel', { timeout: 400_000 }, () => {
  before(async () => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'spinlens-e2e-cards-'));
    fs.writeFileSync(path.join(folder, FLOW_FILE), FLOW_SOURCE);
    editor = await startEditor({ examples: folder, flowArgs: [FLOW_FILE, 'run'] });
    await editor.openFile(FLOW_FILE);
  });

  after(async () => {
    await editor?.stop();
    if (folder) fs.rmSync(folder, { recursive: true, force: true });
  });

  it(
    "shows a spun step's blank card, its Markdown and its Table, in a sandboxed frame",
    guarded(() => editor, 'cards-preview', async () => {
      // The lenses sit above a step's first decorator: @card's 1-based line.
      const line = FLOW_SOURCE.split('\n').findIndex((l) => /@card\(type="blank"\)/.test(l)) + 1;
      await editor.clickLensAbove('Spin this step', line);
      results = await editor.frameWith('[data-testid="card-frame"]', { timeout: 120_000, what: 'the card frame in the results panel' });
      const frame = await results.$eval('[data-testid="card-frame"]', (f) => ({
        sandbox: f.getAttribute('sandbox'),
        src: f.getAttribute('src'),
        scripts: new DOMParser().parseFromString(f.srcdoc, 'text/html').querySelectorAll('script[nonce]').length,
      }));
      assert.equal(frame.sandbox, 'allow-scripts');
      assert.equal(frame.src, null);
      assert.ok(frame.scripts >= 2, `the card's scripts carry the nonce (${frame.scripts})`);
      card = await waitFor(
        async () => {
          for (const child of results.childFrames()) {
            if (child.isDetached()) continue;
            const text = await child.textContent('body').catch(() => '');
            if (text && text.includes('Hello card')) return child;
          }
          return null;
        },
        { timeout: 60_000, what: 'the card frame showing "Hello card"' },
      );
      assert.equal(await card.textContent('h1'), 'Hello card');
      const headers = await card.$$eval('th', (els) => els.map((e) => e.textContent.trim()));
      const cells = await card.$$eval('td', (els) => els.map((e) => e.textContent.trim()));
      assert.deepEqual(headers, ['a', 'b']);
      assert.deepEqual(cells, ['1', '2', '3', '4']);
      // Sandboxed: an opaque origin, no webview API, the panel's document out of reach.
      const inside = await card.evaluate(() => {
        let parentDocument = 'readable';
        try {
          void window.parent.document.body;
        } catch {
          parentDocument = 'blocked';
        }
        return { origin: window.origin, api: typeof window.acquireVsCodeApi, parentDocument };
      });
      assert.deepEqual(inside, { origin: 'null', api: 'undefined', parentDocument: 'blocked' });
      log(`card frame shows "Hello card" and cells ${cells.join(',')}`);
      await editor.page.screenshot({ path: path.join(REPO, 'docs', 'images', 'panel-card.png') });
      log('screenshot docs/images/panel-card.png');
    }),
  );

  it(
    'ignores a message the card posts to the panel as if it were the host',
    guarded(() => editor, 'cards-forged', async () => {
      assert.ok(card, 'the card frame from the first test');
      const step = await results.textContent('[data-testid="step"]');
      assert.match(step, /report/);
      const before = editor.console.filter((l) => l.includes(DROPPED)).length;
      // Code in the card's own context, as a card's script would run: a fake spin
      // (which would reset the panel) and a fake failure, posted to the panel.
      await card.evaluate(() => {
        window.parent.postMessage({ type: 'spin', uri: 'file:///forged.py', step: 'forged' }, '*');
        window.parent.postMessage(
          { type: 'event', event: { event: 'failed', spin_id: 'forged', status: 'failed', kind: 'exception', error: 'forged failure', code: null, traceback: null, file: null, line: null, timings: {} } },
          '*',
        );
      });
      await waitFor(() => editor.console.filter((l) => l.includes(DROPPED)).length >= before + 2, {
        what: 'the panel to drop both messages',
      });
      assert.equal(await results.$$eval('[data-testid="card-frame"]', (els) => els.length), 1);
      assert.equal(await results.isHidden('[data-testid="failure"]'), true);
      const text = await results.textContent('body');
      assert.ok(!text.includes('forged'), 'nothing forged in the panel');
      assert.equal(await results.textContent('[data-testid="step"]'), step);

      // What the rule lets through: the host's messages, which VS Code posts from
      // the webview's outer frame with the panel's own origin. A second spin's.
      await results.evaluate(() => {
        window.__spinlensSeen = [];
        window.addEventListener('message', (e) => {
          const cards = [...document.querySelectorAll('[data-testid="card-frame"]')].map((f) => f.contentWindow);
          window.__spinlensSeen.push({ own: e.origin === window.origin, card: cards.includes(e.source), type: e.data?.type });
        });
      });
      const line = FLOW_SOURCE.split('\n').findIndex((l) => /@card\(type="blank"\)/.test(l)) + 1;
      await editor.clickLensAbove('Spin this step', line);
      const seen = await waitFor(
        () => results.evaluate(() => (window.__spinlensSeen.some((m) => m.type === 'cardHtml') ? window.__spinlensSeen : null)),
        { timeout: 120_000, what: "the second spin's card reaching the panel" },
      );
      assert.ok(seen.every((m) => m.own && !m.card), JSON.stringify(seen));
      await results.waitForSelector('[data-testid="card-frame"]', { timeout: 30_000 });
    }),
  );
});
