import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFileAllowed, parseWebviewMessage } from '../../extension/src/webviewGate';

describe('parseWebviewMessage', () => {
  it('accepts exactly the three message shapes', () => {
    expect(parseWebviewMessage({ type: 'ready' })).toEqual({ type: 'ready' });
    expect(parseWebviewMessage({ type: 'cancel' })).toEqual({ type: 'cancel' });
    expect(parseWebviewMessage({ type: 'openFile', file: '/w/flow.py', line: 42 })).toEqual({
      type: 'openFile',
      file: '/w/flow.py',
      line: 42,
    });
    expect(parseWebviewMessage({ type: 'openFile', file: '/w/flow.py', line: null })).toEqual({
      type: 'openFile',
      file: '/w/flow.py',
      line: null,
    });
    expect(parseWebviewMessage({ type: 'openFile', file: '/w/flow.py' })).toEqual({
      type: 'openFile',
      file: '/w/flow.py',
      line: null,
    });
  });

  it.each([
    ['unknown type', { type: 'runCommand', command: 'rm -rf /' }],
    ['spin from the webview', { type: 'spin', uri: 'file:///w/flow.py', step: 'train' }],
    ['eval', { type: 'eval', code: 'process.exit()' }],
    ['no type', { file: '/w/flow.py' }],
    ['type not a string', { type: ['ready'] }],
    ['null', null],
    ['undefined', undefined],
    ['string', 'ready'],
    ['number', 42],
    ['array', [{ type: 'ready' }]],
    ['extra keys on ready', { type: 'ready', command: 'x' }],
    ['extra keys on cancel', { type: 'cancel', uri: 'file:///etc/passwd' }],
    ['extra keys on openFile', { type: 'openFile', file: '/w/flow.py', line: 1, command: 'x' }],
    ['relative file', { type: 'openFile', file: 'flow.py', line: 1 }],
    ['file uri instead of path', { type: 'openFile', file: 'file:///w/flow.py', line: 1 }],
    ['command uri', { type: 'openFile', file: 'command:workbench.action.terminal.new', line: 1 }],
    ['empty file', { type: 'openFile', file: '', line: 1 }],
    ['file not a string', { type: 'openFile', file: { path: '/w/flow.py' }, line: 1 }],
    ['NUL in path', { type: 'openFile', file: '/w/flow.py\0.txt', line: 1 }],
    ['huge path', { type: 'openFile', file: `/${'a'.repeat(5000)}`, line: 1 }],
    ['line 0', { type: 'openFile', file: '/w/flow.py', line: 0 }],
    ['negative line', { type: 'openFile', file: '/w/flow.py', line: -3 }],
    ['fractional line', { type: 'openFile', file: '/w/flow.py', line: 1.5 }],
    ['NaN line', { type: 'openFile', file: '/w/flow.py', line: Number.NaN }],
    ['string line', { type: 'openFile', file: '/w/flow.py', line: '42' }],
    ['class instance', new (class { type = 'ready'; })()],
  ])('rejects %s', (_name, raw) => {
    expect(parseWebviewMessage(raw)).toBeUndefined();
  });

  it('ignores inherited properties (prototype tricks)', () => {
    const sneaky = Object.create({ type: 'ready' }) as unknown;
    expect(parseWebviewMessage(sneaky)).toBeUndefined();
    expect(parseWebviewMessage(JSON.parse('{"type":"ready","__proto__":{"x":1}}'))).toBeUndefined();
  });
});

describe('isFileAllowed', () => {
  const roots = ['/work/project'];

  it('allows files inside a workspace folder', () => {
    expect(isFileAllowed('/work/project/flows/flow.py', roots, [])).toBe(true);
    expect(isFileAllowed('/work/project', roots, [])).toBe(true);
  });

  it('rejects files outside, including .. traversal and prefix look-alikes', () => {
    expect(isFileAllowed('/etc/passwd', roots, [])).toBe(false);
    expect(isFileAllowed('/work/project/../secret.txt', roots, [])).toBe(false);
    expect(isFileAllowed('/work/project2/flow.py', roots, [])).toBe(false);
    expect(isFileAllowed('relative/flow.py', roots, [])).toBe(false);
  });

  it('allows the flow file even outside the workspace, and only it', () => {
    const flow = '/tmp/elsewhere/flow.py';
    expect(isFileAllowed(flow, roots, [flow])).toBe(true);
    expect(isFileAllowed('/tmp/elsewhere/other.py', roots, [flow])).toBe(false);
    expect(isFileAllowed('/tmp/elsewhere/./flow.py', [], [flow])).toBe(true);
  });

  it('judges a symlink by where it leads', () => {
    const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'spinlens-links-')));
    try {
      const root = path.join(base, 'project');
      mkdirSync(root);
      writeFileSync(path.join(base, 'secret.txt'), 'outside');
      writeFileSync(path.join(root, 'flow.py'), 'inside');
      symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'leak.txt'));
      symlinkSync(path.join(root, 'flow.py'), path.join(root, 'alias.py'));
      expect(isFileAllowed(path.join(root, 'leak.txt'), [root], [])).toBe(false);
      expect(isFileAllowed(path.join(root, 'alias.py'), [root], [])).toBe(true);
      expect(isFileAllowed(path.join(root, 'flow.py'), [root], [])).toBe(true);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('allows nothing without roots or files', () => {
    expect(isFileAllowed('/work/project/flow.py', [], [])).toBe(false);
  });
});
