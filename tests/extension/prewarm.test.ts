import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PREWARM_DELAY_MS, Prewarmer, stepKey } from '../../extension/src/prewarm';

const FLOW = `from metaflow import FlowSpec, step


class F(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass
`;
const URI = 'file:///w/flow.py';

function at(line: number, extra: Partial<{ uri: string; languageId: string; text: string }> = {}) {
  return { uri: URI, languageId: 'python', text: FLOW, line, ...extra };
}

describe('prewarm', () => {
  let sent: [string, number][];
  let trusted: boolean;
  let enabled: boolean;
  let prewarmer: Prewarmer;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    trusted = true;
    enabled = true;
    prewarmer = new Prewarmer({
      isTrusted: () => trusted,
      enabled: () => enabled,
      send: (uri, line) => {
        sent.push([uri, line]);
        return Promise.resolve();
      },
    });
  });
  afterEach(() => {
    prewarmer.dispose();
    vi.useRealTimers();
  });

  it('finds the step around a line', () => {
    expect(stepKey(FLOW, 0)).toBe(-1);
    expect(stepKey(FLOW, 6)).toBe(4);
    expect(stepKey(FLOW, 10)).toBe(8);
  });

  it('asks once the cursor rests, once per step', () => {
    prewarmer.cursorAt(at(5));
    prewarmer.cursorAt(at(6)); // still moving: the first position is dropped
    vi.advanceTimersByTime(PREWARM_DELAY_MS - 1);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([[URI, 6]]);
    prewarmer.cursorAt(at(5)); // the same step: nothing new
    vi.advanceTimersByTime(PREWARM_DELAY_MS);
    expect(sent).toHaveLength(1);
    prewarmer.cursorAt(at(10)); // another step
    vi.advanceTimersByTime(PREWARM_DELAY_MS);
    expect(sent).toEqual([
      [URI, 6],
      [URI, 10],
    ]);
  });

  it('sends nothing in an untrusted workspace, with the setting 0, or outside a flow file', () => {
    trusted = false;
    prewarmer.cursorAt(at(6));
    vi.advanceTimersByTime(PREWARM_DELAY_MS);
    trusted = true;
    enabled = false;
    prewarmer.cursorAt(at(10));
    vi.advanceTimersByTime(PREWARM_DELAY_MS);
    enabled = true;
    prewarmer.cursorAt(at(1, { text: 'print("no flow")\n' }));
    prewarmer.cursorAt(at(6, { languageId: 'markdown' }));
    prewarmer.cursorAt(at(6, { uri: 'untitled:Untitled-1' }));
    vi.advanceTimersByTime(PREWARM_DELAY_MS);
    expect(sent).toEqual([]);
  });
});
