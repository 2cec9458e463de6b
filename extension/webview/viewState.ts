/**
 * What the panel remembers of the reader's choices, in the webview's own state
 * (`vscode.getState`/`setState`), so it survives the webview being reloaded: the
 * comparison picked for each step, and which collapsible row groups are open.
 */
import type { Comparison } from '../src/protocol';
import { isObject } from './values';

/** The comparisons in the order the picker lists them. */
export const COMPARISONS: readonly Comparison[] = ['source', 'inputs', 'previous'];
/** A step's comparison until the reader picks another for it. */
export const DEFAULT_COMPARISON: Comparison = 'source';

/** Steps whose comparison is remembered, at most: the oldest choice goes first. */
const MAX_STEPS = 200;

export interface ViewState {
  /** `Flow.step` -> the comparison picked for that step. */
  comparisons: Record<string, Comparison>;
  /** Ids of the collapsible row groups the reader opened. */
  openGroups: string[];
}

/** The webview API's state calls (acquireVsCodeApi()). */
export interface StateApi {
  getState(): unknown;
  setState(state: unknown): void;
}

function isComparison(value: unknown): value is Comparison {
  return COMPARISONS.some((c) => c === value);
}

/** The state a webview held, keeping only what is well formed (it may come from an older panel). */
export function parseViewState(raw: unknown): ViewState {
  const state: ViewState = { comparisons: {}, openGroups: [] };
  if (!isObject(raw)) return state;
  if (isObject(raw.comparisons)) {
    for (const [key, value] of Object.entries(raw.comparisons)) if (isComparison(value)) state.comparisons[key] = value;
  }
  if (Array.isArray(raw.openGroups)) state.openGroups = raw.openGroups.filter((g): g is string => typeof g === 'string');
  return state;
}

export function createViewState(api: StateApi) {
  const state = parseViewState(api.getState());
  const save = (): void => api.setState(state);

  return {
    /** The comparison picked for `step` (`Flow.step`), else the default. */
    comparison(step: string): Comparison {
      return (Object.hasOwn(state.comparisons, step) && state.comparisons[step]) || DEFAULT_COMPARISON;
    },

    setComparison(step: string, comparison: Comparison): void {
      // Re-inserted last, so that the cap drops the steps not looked at for longest.
      delete state.comparisons[step];
      state.comparisons[step] = comparison;
      const keys = Object.keys(state.comparisons);
      for (const key of keys.slice(0, Math.max(0, keys.length - MAX_STEPS))) delete state.comparisons[key];
      save();
    },

    isOpen(group: string): boolean {
      return state.openGroups.includes(group);
    },

    setOpen(group: string, open: boolean): void {
      state.openGroups = state.openGroups.filter((g) => g !== group);
      if (open) state.openGroups.push(group);
      save();
    },
  };
}

export type ViewStateStore = ReturnType<typeof createViewState>;
