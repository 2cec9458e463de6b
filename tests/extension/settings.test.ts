import { describe, expect, it } from 'vitest';
import { getSettings, readSettings, serverOptions } from '../../extension/src/settings';
import { mock } from './mocks/vscode';

describe('settings', () => {
  it('has the documented defaults', () => {
    expect(readSettings(() => undefined)).toEqual({
      python: '',
      defaultSourceRun: null,
      historySize: 10,
      diffRows: 20,
      memoryLimitMB: 0,
      inlayHints: false,
      prewarmMemoryMB: 2048,
    });
  });

  it('sanitizes values', () => {
    const values: Record<string, unknown> = { python: ' /x/python ', defaultSourceRun: ' 12 ', historySize: 0, diffRows: 7.9 };
    // historySize 0 keeps no history, so it reaches the server; diffRows 0 would show nothing.
    expect(readSettings((k) => values[k])).toEqual({ python: '/x/python', defaultSourceRun: '12', historySize: 0, diffRows: 7, memoryLimitMB: 0, inlayHints: false, prewarmMemoryMB: 2048 });
    expect(readSettings((k) => ({ inlayHints: true })[k]).inlayHints).toBe(true);
    expect(readSettings((k) => ({ inlayHints: 'yes' })[k]).inlayHints).toBe(false);
    expect(readSettings((k) => ({ historySize: -1 })[k]).historySize).toBe(10);
    expect(readSettings((k) => ({ memoryLimitMB: 512.5 })[k]).memoryLimitMB).toBe(512);
    expect(readSettings((k) => ({ memoryLimitMB: -1 })[k]).memoryLimitMB).toBe(0);
    expect(readSettings((k) => ({ defaultSourceRun: '' })[k]).defaultSourceRun).toBeNull();
    expect(readSettings((k) => ({ historySize: 'many' })[k]).historySize).toBe(10);
  });

  it('sends the server exactly the protocol init options', () => {
    mock.reset();
    mock.config = { 'spinlens.python': '/p', 'spinlens.defaultSourceRun': '42', 'spinlens.historySize': 5, 'spinlens.diffRows': 30, 'spinlens.inlayHints': true };
    expect(serverOptions(getSettings())).toEqual({ defaultSourceRun: '42', historySize: 5, diffRows: 30, memoryLimitMB: 0, inlayHints: true, prewarmMemoryMB: 2048 });
  });
});
