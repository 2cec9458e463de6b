/**
 * The palette's "Spin step" choices, from the steps the server found in the
 * document (`spinlens.server.listSteps`: its flow analysis of the open text).
 */
import type { StepInfo } from './protocol';

/** The step whose decorators, signature or body hold `line` (0-based). */
export function stepAt(steps: readonly StepInfo[], line: number): StepInfo | undefined {
  return steps.find((s) => line >= s.line && line <= s.endLine);
}

/** The steps with the one at the cursor first, the others in file order. */
export function orderStepsForCursor(steps: readonly StepInfo[], line: number): StepInfo[] {
  const here = stepAt(steps, line);
  if (!here) return [...steps];
  return [here, ...steps.filter((s) => s !== here)];
}

/** A plausible Python identifier (step names arrive from lenses and the palette). */
export function isStepName(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z_]\w*$/.test(value) && value.length <= 200;
}
