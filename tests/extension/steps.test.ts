import { describe, expect, it } from 'vitest';
import type { StepInfo } from '../../extension/src/protocol';
import { isStepName, orderStepsForCursor, stepAt } from '../../extension/src/steps';

// As spinlens.server.listSteps gives them (0-based lines).
const STEPS: StepInfo[] = [
  { flow: 'Demo', name: 'start', line: 6, defLine: 7, endLine: 9 },
  { flow: 'Demo', name: 'train', line: 11, defLine: 15, endLine: 22 },
  { flow: 'Demo', name: 'end', line: 31, defLine: 32, endLine: 33 },
];
const names = (steps: StepInfo[]): string[] => steps.map((s) => s.name);

describe('step order for the palette', () => {
  it('puts the step at the cursor first, from its first decorator to its last line', () => {
    expect(names(orderStepsForCursor(STEPS, 11))).toEqual(['train', 'start', 'end']);
    expect(names(orderStepsForCursor(STEPS, 22))).toEqual(['train', 'start', 'end']);
    expect(names(orderStepsForCursor(STEPS, 33))).toEqual(['end', 'start', 'train']);
    expect(stepAt(STEPS, 7)?.name).toBe('start');
  });

  it('keeps file order when the cursor is in no step', () => {
    expect(names(orderStepsForCursor(STEPS, 25))).toEqual(['start', 'train', 'end']);
    expect(names(orderStepsForCursor(STEPS, 0))).toEqual(['start', 'train', 'end']);
    expect(stepAt(STEPS, 23)).toBeUndefined();
  });
});

describe('isStepName', () => {
  it('accepts identifiers only', () => {
    expect(isStepName('train')).toBe(true);
    expect(isStepName('_x1')).toBe(true);
    expect(isStepName('1x')).toBe(false);
    expect(isStepName('train; rm -rf /')).toBe(false);
    expect(isStepName('')).toBe(false);
    expect(isStepName(3)).toBe(false);
  });
});
