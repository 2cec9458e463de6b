/**
 * Debug spins in VS Code: which debugger type, the attach configuration, the
 * adapter of the `spinlens` type, and the debug session's life tied to the spin's.
 * (The real debugger is driven in tests/e2e/debug.e2e.mjs.)
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type * as vscode from 'vscode';
import {
  DEBUG_TYPE,
  DebugSessions,
  MICROSOFT_DEBUGPY,
  SpinlensDebugAdapterFactory,
  attachConfiguration,
  debuggerType,
  loopbackAddress,
} from '../../extension/src/debug';
import type { DebugEvent, SpinEvent } from '../../extension/src/protocol';
import { type SpinRecord, SpinStore } from '../../extension/src/spins';
import { loadFixtures } from './fixtures';
import { DebugAdapterServer, Uri, mock, window } from './mocks/vscode';
import { type Harness, load } from './panelHarness';

const URI = 'file:///work/project/flow.py';

function debugEvent(spinId: string, host = '127.0.0.1', port = 40123): DebugEvent {
  return { event: 'debug', spin_id: spinId, host, port };
}

function finished(spinId: string): SpinEvent {
  return {
    event: 'finished',
    spin_id: spinId,
    status: 'ok',
    next_steps: ['end'],
    foreach: null,
    removed: [],
    record: null,
    timings: {},
  } as unknown as SpinEvent;
}

const flush = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('loopbackAddress', () => {
  it('accepts a port on this machine only', () => {
    expect(loopbackAddress({ host: '127.0.0.1', port: 5678 })).toEqual({ host: '127.0.0.1', port: 5678 });
    expect(loopbackAddress({ host: 'localhost', port: 1 })).toEqual({ host: 'localhost', port: 1 });
    expect(loopbackAddress({ host: '::1', port: 65535 })).toEqual({ host: '::1', port: 65535 });
    expect(loopbackAddress({ port: 5678 })).toEqual({ host: '127.0.0.1', port: 5678 });
  });

  it.each([
    [{ host: '0.0.0.0', port: 5678 }],
    [{ host: '10.0.0.2', port: 5678 }],
    [{ host: 'example.com', port: 5678 }],
    [{ host: '127.0.0.1', port: 0 }],
    [{ host: '127.0.0.1', port: 65536 }],
    [{ host: '127.0.0.1', port: 56.5 }],
    [{ host: '127.0.0.1', port: '5678' }],
    [null],
    ['127.0.0.1:5678'],
  ])('refuses %j', (connect) => {
    expect(loopbackAddress(connect)).toBeUndefined();
  });
});

describe('the attach configuration', () => {
  it("uses Microsoft's debugpy type when installed, else Spinlens' own", () => {
    expect(debuggerType(true)).toBe('debugpy');
    expect(debuggerType(false)).toBe(DEBUG_TYPE);
  });

  it('attaches to the address of the debug event, in the user code only', () => {
    expect(attachConfiguration('spinlens', 'train', debugEvent('s1'))).toEqual({
      type: 'spinlens',
      request: 'attach',
      name: 'Spinlens: train',
      connect: { host: '127.0.0.1', port: 40123 },
      justMyCode: true,
      spinlensSpinId: 's1',
    });
  });
});

describe('SpinlensDebugAdapterFactory', () => {
  const factory = new SpinlensDebugAdapterFactory();
  const session = (configuration: Record<string, unknown>) => ({ configuration }) as unknown as vscode.DebugSession;

  it('connects to the adapter the spin started, on loopback', () => {
    const adapter = factory.createDebugAdapterDescriptor(
      session({ type: 'spinlens', request: 'attach', connect: { host: '127.0.0.1', port: 41000 } }),
    );
    expect(adapter).toBeInstanceOf(DebugAdapterServer);
    expect(adapter).toMatchObject({ port: 41000, host: '127.0.0.1' });
  });

  it('refuses launch configurations and remote hosts with a hint', () => {
    expect(() => factory.createDebugAdapterDescriptor(session({ request: 'launch', program: 'flow.py' }))).toThrow(
      /Debug this step/,
    );
    expect(() =>
      factory.createDebugAdapterDescriptor(session({ request: 'attach', connect: { host: '0.0.0.0', port: 41000 } })),
    ).toThrow(/--debug/);
  });
});

describe('DebugSessions', () => {
  let store: SpinStore;
  let cancelled: SpinRecord[];
  let sessions: DebugSessions;

  beforeEach(() => {
    mock.reset();
    mock.workspaceFolders = [{ uri: Uri.file('/work/project'), name: 'project', index: 0 }];
    store = new SpinStore();
    cancelled = [];
    const output = window.createOutputChannel('Spinlens') as unknown as vscode.OutputChannel;
    sessions = new DebugSessions(store, { cancel: (record) => cancelled.push(record), output });
  });

  function debugSpin(spinId = 's1'): SpinRecord {
    const record = store.begin(URI, 'train', true);
    store.route(URI, debugEvent(spinId));
    return record;
  }

  it('starts an attach session in the flow file\'s folder when a debug spin waits', async () => {
    debugSpin();
    await flush();
    expect(mock.debugStarts).toHaveLength(1);
    const [start] = mock.debugStarts;
    expect(start?.configuration).toMatchObject({ type: 'spinlens', request: 'attach', connect: { port: 40123 } });
    expect((start?.folder as { name: string }).name).toBe('project');
    expect(cancelled).toEqual([]);
  });

  it("uses Microsoft's debugger when it is installed", async () => {
    mock.extensions[MICROSOFT_DEBUGPY] = { id: MICROSOFT_DEBUGPY };
    debugSpin();
    await flush();
    expect(mock.debugStarts[0]?.configuration.type).toBe('debugpy');
  });

  it('ignores the debug event of a plain spin', async () => {
    store.begin(URI, 'train');
    store.route(URI, debugEvent('s1'));
    await flush();
    expect(mock.debugStarts).toEqual([]);
  });

  it('cancels the spin when its debug session ends first (Stop in the debugger)', async () => {
    const record = debugSpin();
    await flush();
    mock.debugTerminated.fire({ configuration: mock.debugStarts[0]?.configuration ?? {} });
    expect(cancelled).toEqual([record]);
  });

  it('leaves a spin that finished alone when its session ends', async () => {
    debugSpin();
    await flush();
    store.route(URI, finished('s1'));
    mock.debugTerminated.fire({ configuration: mock.debugStarts[0]?.configuration ?? {} });
    mock.debugTerminated.fire({ configuration: { type: 'python', request: 'launch' } });
    expect(cancelled).toEqual([]);
  });

  it('cancels the spin, and says why, when VS Code cannot start the session', async () => {
    mock.debugStartAnswer = false;
    const record = debugSpin();
    await flush();
    expect(cancelled).toEqual([record]);
    expect(mock.messages[0]?.text).toContain('cannot debug train');
    mock.debugStartAnswer = new Error('no adapter');
    const second = debugSpin('s2');
    await flush();
    expect(cancelled).toEqual([record, second]);
    expect(mock.messages[1]?.text).toContain('no adapter');
  });

  it('never attaches off this machine', async () => {
    const record = store.begin(URI, 'train', true);
    store.route(URI, debugEvent('s1', '192.168.1.20'));
    await flush();
    expect(mock.debugStarts).toEqual([]);
    expect(cancelled).toEqual([record]);
  });

  it('stops listening when disposed', async () => {
    sessions.dispose();
    debugSpin();
    await flush();
    expect(mock.debugStarts).toEqual([]);
  });
});

describe('the results panel during a debug spin', () => {
  const fixtures = loadFixtures();
  const stream = fixtures.cancelled; // started, debug, paused, resumed, paused, failed
  const send = (h: Harness, upTo: string, nth = 1): void => {
    let seen = 0;
    for (const event of stream) {
      h.send({ type: 'event', event });
      if (event.event === upTo && ++seen === nth) return;
    }
  };

  it('says where the step is paused, and running again once resumed', () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'train' });
    send(h, 'paused');
    const status = h.q('status');
    expect(status.textContent).toBe('paused at train, line 133');
    expect(status.dataset.status).toBe('paused');
    expect(h.q('cancel').hidden).toBe(false); // still a running spin: Cancel stays
    send(h, 'resumed');
    expect(status.textContent).toBe('running…');
    expect(status.dataset.status).toBe('running');
  });

  it('names the file when the step is paused in another one', () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'train' });
    send(h, 'debug');
    const [started] = stream;
    const paused = { event: 'paused', spin_id: started?.spin_id, file: '/work/project/scaling.py', line: 3, function: 'scale' };
    h.send({ type: 'event', event: paused });
    expect(h.q('status').textContent).toBe('paused at scale (scaling.py), line 3');
  });

  it('ends paused when the spin ends (the debugger stopped it)', () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'train' });
    for (const event of stream) h.send({ type: 'event', event });
    expect(h.q('status').dataset.status).toBe('cancelled');
    expect(h.q('status').textContent).toBe('cancelled');
  });

  it('shows the time paused among the timings, apart from the step', () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'train' });
    const [started] = stream;
    h.send({ type: 'event', event: started });
    const finished = { event: 'finished', spin_id: started?.spin_id, status: 'ok', next_steps: [], foreach: null, timings: { step_s: 0.004, paused_s: 1.25 } };
    h.send({ type: 'event', event: finished });
    expect(h.q('timings').textContent).toBe('step 4 ms · paused 1.25 s');
  });
});
