/**
 * Runs the results webview's script in jsdom as the webview does: a classic script
 * with acquireVsCodeApi, fed message events. The script is bundled here, in memory,
 * from extension/webview with the options `npm run build` uses for media/panel.js,
 * so the tests always run the current sources.
 */
import * as esbuild from 'esbuild';
import { JSDOM } from 'jsdom';
import { afterEach } from 'vitest';
import { webviewOptions } from '../../esbuild.mjs';

function bundle(): string {
  const result = esbuild.buildSync({ ...webviewOptions, write: false, logLevel: 'silent' });
  const [output, ...more] = result.outputFiles;
  if (!output || more.length) throw new Error(`expected one bundle, got ${result.outputFiles.length} files`);
  return output.text;
}

/** The bundled script, as media/panel.js holds it after `npm run build`. */
export const SCRIPT = bundle();

export interface Harness {
  dom: JSDOM;
  doc: Document;
  posted: unknown[];
  /** What the script last gave `vscode.setState` (a copy), or the state it was loaded with. */
  state(): unknown;
  send(message: unknown): void;
  q(testid: string, root?: ParentNode): HTMLElement;
  all(testid: string, root?: ParentNode): HTMLElement[];
  row(name: string): HTMLElement;
  detail(name: string): HTMLElement;
  expand(name: string): HTMLElement;
  setComparison(value: string): void;
}

const open: JSDOM[] = [];
afterEach(() => {
  for (const dom of open.splice(0)) dom.window.close();
});

/** `state`: what `vscode.getState()` returns, as in a webview reloaded after a `setState`. */
export function load({ state }: { state?: unknown } = {}): Harness {
  const dom = new JSDOM('<!DOCTYPE html><html><body><div id="app"></div></body></html>', {
    runScripts: 'outside-only',
    url: 'https://webview.example/index.html',
  });
  open.push(dom);
  const posted: unknown[] = [];
  // Copied both ways, as the webview stores it: JSON, never a live object of the script.
  const copy = (value: unknown): unknown => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  let saved = copy(state);
  const win = dom.window as unknown as Record<string, unknown>;
  win.acquireVsCodeApi = () => ({
    postMessage: (m: unknown) => posted.push(copy(m)),
    getState: () => copy(saved),
    setState: (s: unknown) => {
      saved = copy(s);
    },
  });
  dom.window.eval(SCRIPT);
  const doc = dom.window.document;
  const all = (testid: string, root: ParentNode = doc): HTMLElement[] =>
    Array.from(root.querySelectorAll<HTMLElement>(`[data-testid="${testid}"]`));
  const q = (testid: string, root: ParentNode = doc): HTMLElement => {
    const found = root.querySelector<HTMLElement>(`[data-testid="${testid}"]`);
    if (!found) throw new Error(`no [data-testid="${testid}"]`);
    return found;
  };
  const row = (name: string): HTMLElement => {
    const found = doc.querySelector<HTMLElement>(`[data-testid="artifact-row"][data-name="${name}"]`);
    if (!found) throw new Error(`no artifact row ${name}`);
    return found;
  };
  const detail = (name: string): HTMLElement => {
    const found = doc.querySelector<HTMLElement>(`[data-testid="artifact-detail"][data-name="${name}"]`);
    if (!found) throw new Error(`no artifact detail ${name}`);
    return found;
  };
  return {
    dom,
    doc,
    posted,
    state: () => copy(saved),
    send: (message) => dom.window.dispatchEvent(new dom.window.MessageEvent('message', { data: message })),
    q,
    all,
    row,
    detail,
    expand(name) {
      row(name).click();
      return detail(name);
    },
    setComparison(value) {
      const select = q('comparison') as HTMLSelectElement;
      select.value = value;
      select.dispatchEvent(new dom.window.Event('change'));
    },
  };
}

