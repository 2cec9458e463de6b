import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findSteps, isStepName, orderStepsForCursor, stepAt } from '../../extension/src/steps';
import { repoFile } from './fixtures';

const FLOW = `from metaflow import FlowSpec, step, card, Parameter


class Demo(FlowSpec):
    alpha = Parameter("alpha", default=0.1)

    @step
    def start(self):
        self.x = 1
        self.next(self.train)

    @card(
        type="blank",
    )
    @step
    def train(self):
        def helper(v):
            return v + 1

        # a comment at a lower indent
        self.y = helper(self.x)

        self.next(self.end)

    def not_a_step(self):
        pass

    @property
    def prop(self):
        return 1

    @metaflow.step
    def end(self):
        print("done")
`;

describe('findSteps', () => {
  const steps = findSteps(FLOW);

  it('finds @step defs (after other decorators too), in file order', () => {
    expect(steps.map((s) => s.name)).toEqual(['start', 'train', 'end']);
  });

  it('records the first decorator line and the body', () => {
    const train = steps.find((s) => s.name === 'train');
    const lines = FLOW.split('\n');
    expect(lines[train?.start ?? -1]).toContain('@card(');
    expect(lines[train?.defLine ?? -1]).toContain('def train');
    expect(lines[train?.end ?? -1]).toContain('self.next(self.end)');
  });

  it('finds the steps of the example flow', () => {
    const text = readFileSync(repoFile('examples/training_flow.py'), 'utf8');
    const names = findSteps(text).map((s) => s.name);
    expect(names).toContain('start');
    expect(names).toContain('train');
    expect(names).toContain('end');
  });

  it('handles CRLF and files without steps', () => {
    expect(findSteps(FLOW.replace(/\n/g, '\r\n')).map((s) => s.name)).toEqual(['start', 'train', 'end']);
    expect(findSteps('def f():\n    pass\n')).toEqual([]);
    expect(findSteps('')).toEqual([]);
  });
});

describe('step order for the palette', () => {
  const steps = findSteps(FLOW);
  const lineOf = (needle: string): number => FLOW.split('\n').findIndex((l) => l.includes(needle));

  it('puts the step at the cursor first', () => {
    expect(orderStepsForCursor(steps, lineOf('self.y = helper'))).toEqual(['train', 'start', 'end']);
    expect(orderStepsForCursor(steps, lineOf('type="blank"'))).toEqual(['train', 'start', 'end']);
    expect(orderStepsForCursor(steps, lineOf('print("done")'))).toEqual(['end', 'start', 'train']);
    expect(stepAt(steps, lineOf('def start'))?.name).toBe('start');
  });

  it('keeps file order when the cursor is in no step', () => {
    expect(orderStepsForCursor(steps, lineOf('def not_a_step'))).toEqual(['start', 'train', 'end']);
    expect(orderStepsForCursor(steps, 0)).toEqual(['start', 'train', 'end']);
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
