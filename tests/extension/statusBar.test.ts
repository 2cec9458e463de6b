import { describe, expect, it } from 'vitest';
import { ClientCommand, type SpinEvent, normalizeEvent } from '../../extension/src/protocol';
import { SpinStore } from '../../extension/src/spins';
import { START_SERVER_COMMAND, StatusBar, describeStatus } from '../../extension/src/statusBar';
import { loadFixtures } from './fixtures';
import { mock } from './mocks/vscode';

const fixtures = loadFixtures();
const URI = 'file:///work/project/flow.py';

function spun(stream: keyof typeof fixtures) {
  const store = new SpinStore();
  const record = store.begin(URI, 'train');
  for (const e of fixtures[stream]) store.route(URI, normalizeEvent(e as unknown as SpinEvent));
  return record;
}

describe('describeStatus', () => {
  it('is idle before any spin', () => {
    expect(describeStatus(undefined, 'running').text).toBe('$(debug-start) Spinlens');
    expect(describeStatus(undefined, 'starting').text).toContain('loading~spin');
  });

  it('says what is spinning, and clicking cancels', () => {
    const store = new SpinStore();
    const view = describeStatus(store.begin(URI, 'train'), 'running');
    expect(view.text).toBe('$(sync~spin) Spinning train…');
    expect(view.command).toBe(ClientCommand.cancelSpin);
  });

  it('shows the last result, and clicking shows the results', () => {
    const ok = describeStatus(spun('ok'), 'running');
    expect(ok.text).toBe('$(check) train: 12 changed');
    expect(ok.tooltip).toContain('in 2.27 s');
    // Metaflow's internal artifacts (one of them changed) count neither as artifacts nor as changes.
    expect(ok.tooltip).toContain('13 artifacts, 12 changed');
    expect(ok.command).toBe(ClientCommand.showResults);
    const failed = describeStatus(spun('failed'), 'running');
    expect(failed.text).toBe('$(error) train: failed');
    expect(failed.tooltip).toContain('ValueError: bad <input>');
    expect(failed.error).toBe(true);
    expect(describeStatus(spun('cancelled'), 'running').text).toBe('$(circle-slash) train: cancelled');
  });

  it('warns when the server cannot run, naming the interpreter, and clicking starts it', () => {
    const view = describeStatus(undefined, 'unavailable', '/opt/py/bin/python3');
    expect(view.command).toBe(START_SERVER_COMMAND);
    expect(view.error).toBe(true);
    expect(view.tooltip).toContain('not running with /opt/py/bin/python3');
    expect(describeStatus(undefined, 'stopped').command).toBe(START_SERVER_COMMAND);
  });

  it('says why nothing runs in an untrusted workspace, and clicking manages trust', () => {
    const view = describeStatus(undefined, 'untrusted');
    expect(view.text).toBe('$(shield) Spinlens');
    expect(view.tooltip).toContain('untrusted workspace');
    expect(view.command).toBe('workbench.trust.manage');
    expect(view.error).toBe(false);
  });
});

describe('StatusBar', () => {
  it('follows the store', () => {
    mock.reset();
    const store = new SpinStore();
    const bar = new StatusBar(store);
    const item = mock.statusItems[0];
    bar.setServerState('running');
    expect(item?.text).toBe('$(debug-start) Spinlens');
    const record = store.begin(URI, 'train');
    expect(item?.text).toBe('$(sync~spin) Spinning train…');
    store.complete(record, { spinId: 'x', status: 'ok' });
    expect(item?.text).toBe('$(check) train: 0 changed');
    expect(item?.command).toEqual({ title: 'Spinlens', command: ClientCommand.showResults, arguments: [URI, 'train'] });
    bar.dispose();
  });
});
