import { describe, expect, it } from 'vitest';
import type * as vscode from 'vscode';
import {
  MANAGE_TRUST_COMMAND,
  UNTRUSTED_LENS,
  UntrustedLenses,
  stepDecoratorLines,
} from '../../extension/src/trust';

const FLOW = `from metaflow import FlowSpec, step


class F(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @retry
    @step
    def end(self):
        pass
`;

describe('untrusted lenses', () => {
  it('sit on the @step lines of a Metaflow file only', () => {
    expect(stepDecoratorLines(FLOW)).toEqual([4, 9]);
    expect(stepDecoratorLines('@step\ndef f(): pass\n')).toEqual([]);
    expect(stepDecoratorLines('import metaflow\n# @step in a comment\nx = "@step"\n')).toEqual([]);
  });

  it('say why nothing spins and open the Workspace Trust editor', () => {
    const document = { getText: () => FLOW } as unknown as vscode.TextDocument;
    const lenses = new UntrustedLenses().provideCodeLenses(document);
    expect(lenses).toHaveLength(2);
    expect(lenses[0]?.range.start).toMatchObject({ line: 4, character: 0 });
    expect(lenses[0]?.command).toMatchObject({ title: UNTRUSTED_LENS, command: MANAGE_TRUST_COMMAND });
    expect(lenses[0]?.command?.tooltip).toContain("a spin runs the workspace's code");
  });
});
