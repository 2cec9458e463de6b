/**
 * The `@step` methods of a Python document, found with a light line scan (no
 * server round trip, works while the server is still starting), for the
 * palette's "Spin step" quick pick.
 */

export interface StepLocation {
  name: string;
  /** 0-based line of the step's first decorator. */
  start: number;
  /** 0-based line of its `def`. */
  defLine: number;
  /** 0-based last line of its body. */
  end: number;
}

const DECORATOR = /^(\s*)@\s*([A-Za-z_][\w.]*)/;
const DEF = /^(\s*)(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/;
const STEP_DECORATOR = /^(?:metaflow\.)?step$/;

function indentOf(line: string): number {
  return (line.match(/^\s*/)?.[0] ?? '').replace(/\t/g, '        ').length;
}

function isBlankOrComment(line: string): boolean {
  const t = line.trim();
  return t === '' || t.startsWith('#');
}

/** Every `@step`-decorated `def`, in file order. */
export function findSteps(text: string): StepLocation[] {
  const lines = text.split(/\r?\n/);
  const steps: StepLocation[] = [];
  let blockStart = -1; // first decorator line of the current decorator block
  let blockIsStep = false;
  let inDecorator = false; // inside a multi-line decorator call
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (inDecorator) {
      depth += parenBalance(line);
      if (depth <= 0) inDecorator = false;
      continue;
    }
    const decorator = DECORATOR.exec(line);
    if (decorator) {
      if (blockStart < 0) {
        blockStart = i;
        blockIsStep = false;
      }
      if (STEP_DECORATOR.test(decorator[2] ?? '')) blockIsStep = true;
      depth = parenBalance(line);
      inDecorator = depth > 0;
      continue;
    }
    const def = DEF.exec(line);
    if (def) {
      if (blockStart >= 0 && blockIsStep) {
        const name = def[2] ?? '';
        steps.push({ name, start: blockStart, defLine: i, end: bodyEnd(lines, i) });
      }
      blockStart = -1;
      continue;
    }
    if (!isBlankOrComment(line)) blockStart = -1;
  }
  return steps;
}

function parenBalance(line: string): number {
  let n = 0;
  for (const ch of line.replace(/#.*$/, '')) {
    if (ch === '(' || ch === '[' || ch === '{') n++;
    else if (ch === ')' || ch === ']' || ch === '}') n--;
  }
  return n;
}

/** Last line of the body of the `def` on `defLine` (by indentation). */
function bodyEnd(lines: string[], defLine: number): number {
  const indent = indentOf(lines[defLine] ?? '');
  let end = defLine;
  for (let i = defLine + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (isBlankOrComment(line)) continue;
    if (indentOf(line) <= indent) break;
    end = i;
  }
  return end;
}

/** The step whose decorators, signature or body hold `line` (0-based). */
export function stepAt(steps: readonly StepLocation[], line: number): StepLocation | undefined {
  return steps.find((s) => line >= s.start && line <= s.end);
}

/** Step names with the one at the cursor first, the others in file order. */
export function orderStepsForCursor(steps: readonly StepLocation[], line: number): string[] {
  const here = stepAt(steps, line);
  const names = steps.map((s) => s.name);
  if (!here) return names;
  return [here.name, ...names.filter((n) => n !== here.name)];
}

/** A plausible Python identifier (step names arrive from lenses and the palette). */
export function isStepName(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z_]\w*$/.test(value) && value.length <= 200;
}
