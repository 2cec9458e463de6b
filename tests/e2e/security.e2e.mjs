// End to end: the results panel's Content-Security-Policy, enforced by the real
// VS Code webview in Chromium (the unit tests only read the policy; this one checks
// that the browser applies it).
//
//   bash tests/e2e/run.sh                (runs every *.e2e.mjs)
//   SPINLENS_E2E_VSIX=... SPINLENS_E2E_PYTHON=... node --test tests/e2e/security.e2e.mjs
//
// After a spin opens the results panel, the test inserts code into the panel's own
// document the way an injection would (DOM APIs, from outside the page's scripts):
// an inline <script>, a <script src> without the nonce, an inline event handler,
// eval and new Function. None may run, and each must fire a
// `securitypolicyviolation` event. A <script> carrying the page's nonce shows that
// the probe would see code that does run.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { guarded, log, startEditor, waitFor } from './harness.mjs';

const FLOW = 'training_flow.py';
const STEP = 'train';
const ROW = '[data-testid="artifact-row"]';

let editor;
let panel; // the results panel's document (the webview's inner frame)

const g = (name, fn) => guarded(() => editor, name, fn);

/**
 * In the panel's document: record CSP violations and every inserted piece of code
 * that runs (in window.__spinlensRan), then try each way in. The function itself
 * runs through the DevTools protocol, which the page's CSP does not govern; what it
 * inserts is subject to it.
 */
async function probe(frame) {
  await frame.evaluate(() => {
    window.__spinlensViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__spinlensViolations.push({
        directive: e.effectiveDirective,
        blocked: e.blockedURI,
        sample: e.sample,
        disposition: e.disposition,
        policy: e.originalPolicy,
      });
    });
    window.__spinlensRan = [];
    const add = (node) => document.body.appendChild(node);

    const inline = document.createElement('script');
    inline.textContent = "window.__spinlensRan.push('inline script')";
    add(inline);

    // Settled once the browser is done with it: `load` had it run, `error` blocked it.
    window.__spinlensScriptSettled = false;
    const external = document.createElement('script');
    const settled = () => {
      window.__spinlensScriptSettled = true;
    };
    external.addEventListener('load', settled);
    external.addEventListener('error', settled);
    external.src = `data:text/javascript,window.__spinlensRan.push('script src')`;
    add(external);

    const wrongNonce = document.createElement('script');
    wrongNonce.setAttribute('nonce', 'bm90LXRoZS1ub25jZQ==');
    wrongNonce.textContent = "window.__spinlensRan.push('script with a wrong nonce')";
    add(wrongNonce);

    const handler = document.createElement('div');
    handler.setAttribute('onclick', "window.__spinlensRan.push('inline handler')");
    add(handler);
    handler.click();

    // A DevTools evaluation may eval whatever the CSP says, so the string-to-code
    // calls run from a task of the page's own.
    setTimeout(() => {
      try {
        eval("window.__spinlensRan.push('eval')");
      } catch {}
      try {
        new Function("window.__spinlensRan.push('new Function')")();
      } catch {}
      try {
        setTimeout("window.__spinlensRan.push('setTimeout with a string')", 0);
      } catch {}
      // Timers of the same delay run in order: when this one runs, the string's
      // timer would have run before it, had the policy let it.
      setTimeout(() => {
        window.__spinlensEvalsTried = true;
      }, 0);
    }, 0);
  });
}

describe('the results panel CSP in a real VS Code (code-server)', { timeout: 300_000 }, () => {
  before(async () => {
    editor = await startEditor();
    try {
      await editor.openFile(FLOW);
    } catch (e) {
      await editor.failure('security-open-file');
      throw e;
    }
  });

  after(async () => {
    if (editor) {
      log('stopping code-server and browser');
      await editor.stop();
    }
  });

  it('opens the results panel with a spin of `train`', { timeout: 120_000 }, g('security-spin', async () => {
    const lines = fs.readFileSync(path.join(editor.workspace, FLOW), 'utf8').split('\n');
    const at = lines.findIndex((l) => new RegExp(`^\\s+def ${STEP}\\(`).test(l)) + 2;
    assert.ok(at > 1, `${FLOW} has a ${STEP} step`);
    await editor.focusEditor(FLOW);
    await editor.goToLine(at);
    await editor.runCommand('Spinlens: Spin step');
    await editor.pickIfAsked(STEP);
    panel = await editor.frameWith(ROW, { timeout: 90_000, what: 'the results panel with an artifact row' });
    log(`results panel frame: ${panel.url().slice(0, 100)}`);
  }));

  it('runs only its own script, which carries the nonce the policy names', { timeout: 30_000 }, g('security-own-script', async () => {
    const page = await panel.evaluate(() => ({
      csp: [...document.querySelectorAll('meta[http-equiv="Content-Security-Policy" i]')].map((m) => m.getAttribute('content')),
      // VS Code's own acquireVsCodeApi shim (#_vscodeApiScript) is put in the
      // document ahead of the policy by the workbench; every other script is ours.
      scripts: [...document.scripts]
        .filter((s) => s.id !== '_vscodeApiScript')
        .map((s) => ({ src: s.src, nonce: s.nonce, inline: s.textContent.length })),
      ran: typeof window.acquireVsCodeApi === 'function' && document.querySelector('[data-testid="status"]') !== null,
    }));
    log(`CSP: ${page.csp.join(' | ')}`);
    assert.equal(page.csp.length, 1, 'one CSP');
    assert.match(page.csp[0], /(^|;)\s*default-src 'none'\s*(;|$)/);
    const nonce = /(^|;)\s*script-src 'nonce-([^' ]+)'\s*(;|$)/.exec(page.csp[0])?.[2];
    assert.ok(nonce, `script-src is only a nonce: ${page.csp[0]}`);
    assert.equal(page.scripts.length, 1, JSON.stringify(page.scripts));
    assert.equal(page.scripts[0].nonce, nonce, 'the script carries the nonce');
    assert.match(page.scripts[0].src, /\/media\/panel\.js$/);
    assert.equal(page.scripts[0].inline, 0);
    assert.ok(page.ran, 'panel.js ran (it built the panel)');
  }));

  it('runs no script, handler or eval inserted without the nonce; each is reported', { timeout: 30_000 }, g('security-injection', async () => {
    await probe(panel);
    const expected = [
      ['script-src-elem', 'inline'], // the inline <script> and the one with a wrong nonce
      ['script-src-elem', 'data'], // <script src> without the nonce
      ['script-src-attr', 'inline'], // onclick
      ['script-src', 'eval'], // eval, new Function, setTimeout(string)
    ];
    const missing = (violations) =>
      expected.filter(([directive, blocked]) => !violations.some((v) => v.directive === directive && v.blocked === blocked));
    let result;
    await waitFor(
      async () => {
        result = await panel.evaluate(() => ({
          ran: window.__spinlensRan,
          violations: window.__spinlensViolations,
          done: window.__spinlensEvalsTried === true && window.__spinlensScriptSettled === true,
        }));
        return result.done && (missing(result.violations).length === 0 || result.ran.length > 0);
      },
      { timeout: 10_000, what: 'securitypolicyviolation events for the inserted code' },
    ).catch((e) => {
      throw new Error(`${e.message}; missing ${JSON.stringify(missing(result?.violations ?? []))}; got ${JSON.stringify(result)}`);
    });
    // Every attempt has run or been refused by now: the scripts ran (or not) when
    // inserted, the data: script has fired load or error, the string timer's turn is past.
    result = await panel.evaluate(() => ({
      ran: window.__spinlensRan,
      violations: window.__spinlensViolations,
      csp: document.querySelector('meta[http-equiv="Content-Security-Policy" i]').getAttribute('content'),
    }));
    log(`violations: ${result.violations.map((v) => `${v.directive} ${v.blocked}`).join('; ')}`);
    assert.deepEqual(result.ran, [], 'nothing inserted without the nonce ran');
    assert.deepEqual(missing(result.violations), [], `a report for each kind of attempt: ${JSON.stringify(result.violations)}`);
    assert.ok(result.violations.length >= 6, `one report per attempt: ${JSON.stringify(result.violations)}`);
    assert.ok(result.violations.every((v) => v.disposition === 'enforce'), 'enforced, not report-only');
    assert.ok(result.violations.every((v) => v.policy === result.csp), "the panel's own policy blocked them");
    assert.deepEqual(editor.dialogs, [], 'no dialog opened');
  }));

  it('runs an inserted <script> that carries the nonce (the probe sees code that runs)', { timeout: 30_000 }, g('security-control', async () => {
    const ran = await panel.evaluate(async () => {
      const csp = document.querySelector('meta[http-equiv="Content-Security-Policy" i]').getAttribute('content');
      const nonce = /script-src 'nonce-([^' ]+)'/.exec(csp)[1];
      const before = window.__spinlensViolations.length;
      const ranBefore = window.__spinlensRan.length;
      const script = document.createElement('script');
      script.setAttribute('nonce', nonce);
      script.textContent = "window.__spinlensRan.push('script with the nonce')";
      document.body.appendChild(script);
      // Violation events arrive in order: once the one for an inline handler inserted
      // after the script has come, any the script caused would have come before it.
      const sentinel = document.createElement('div');
      sentinel.setAttribute('onclick', "window.__spinlensRan.push('sentinel handler')");
      document.body.appendChild(sentinel);
      sentinel.click();
      while (!window.__spinlensViolations.slice(before).some((v) => v.directive === 'script-src-attr')) {
        await new Promise((resolve) => document.addEventListener('securitypolicyviolation', resolve, { once: true }));
      }
      const since = window.__spinlensViolations.slice(before);
      return {
        ran: window.__spinlensRan.slice(ranBefore),
        violations: since.slice(0, -1),
        sentinel: since.at(-1).directive,
      };
    });
    assert.deepEqual(ran, { ran: ['script with the nonce'], violations: [], sentinel: 'script-src-attr' });
  }));
});
