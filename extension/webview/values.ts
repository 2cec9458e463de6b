/** Values from events and diffs as text, the way Python would print them, and their old → new pieces. */
import type { Counts, Pair } from '../src/protocol';
import { formatSize as sizeText } from '../src/format';
import { el } from './dom';

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `n` with `digits` significant digits (integers below 1e15 whole), trailing zeros dropped. */
function withDigits(n: number, digits: number): string {
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  if (Number.isInteger(n) && abs < 1e15) return String(n);
  if (abs !== 0 && (abs < 1e-4 || abs >= 1e15)) return n.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  return String(Number.parseFloat(n.toPrecision(digits)));
}

/** The significant digits a number is shown with: 10, or 7 in exponent form. */
function digitsOf(n: number): number {
  const abs = Math.abs(n);
  return abs !== 0 && (abs < 1e-4 || abs >= 1e15) ? 7 : 10;
}

export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) >= 1e15) return n.toExponential(6);
  return withDigits(n, digitsOf(n));
}

/** Enough significant digits to tell any two doubles apart. */
const MAX_DIGITS = 17;

/**
 * Two numbers as text, with the fewest significant digits (up to 17) at
 * which they read differently: rounding never hides the change a diff reports.
 */
export function formatNumbers(a: number, b: number): [string, string] {
  const shown: [string, string] = [formatNumber(a), formatNumber(b)];
  if (shown[0] !== shown[1] || Object.is(a, b) || Number.isNaN(a) || Number.isNaN(b)) return shown;
  for (let digits = Math.min(digitsOf(a), digitsOf(b)) + 1; digits <= MAX_DIGITS; digits++) {
    const x = withDigits(a, digits);
    const y = withDigits(b, digits);
    if (x !== y) return [x, y];
  }
  return shown;
}

/** Old and new as text: numbers with the digits that tell them apart, anything else with `format`. */
export function formatPair(old: unknown, now: unknown, format: Format = formatValue): [string, string] {
  if (format === formatValue && typeof old === 'number' && typeof now === 'number') return formatNumbers(old, now);
  return [format(old), format(now)];
}

/** A JSON value from a diff, shown the way Python would print it. */
export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'string') return value === '' ? "''" : value;
  if (Array.isArray(value)) return `[${value.map(formatValue).join(', ')}]`;
  if (isObject(value)) {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${formatValue(v)}`).join(', ')}}`;
  }
  return String(value);
}

/** The size text of the CLI, server and extension (format.ts; tests/fixtures/units.json). */
export function formatSize(bytes: unknown): string {
  return typeof bytes === 'number' ? sizeText(bytes) : '?';
}

export function formatSeconds(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '?';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  return `${seconds.toFixed(2)} s`;
}

/** `pandas.core.frame.DataFrame` -> `DataFrame`; `<class 'x'>` quotes and brackets dropped. */
export function shortType(name: unknown): string {
  const last = String(name).split('.').pop() || String(name);
  return last.replace(/^[<']+|[>']+$/g, '');
}

export function basename(uriOrPath: unknown): string {
  const text = String(uriOrPath);
  try {
    return decodeURIComponent(text.split('/').pop() || text);
  } catch {
    return text.split('/').pop() || text;
  }
}

export function plural(n: number, noun: string): string {
  return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
}

/** `[old, new]` when the value is one, else undefined (diff details are read defensively). */
export function pair<T>(value: Pair<T> | undefined): Pair<T> | undefined {
  return Array.isArray(value) && value.length === 2 ? value : undefined;
}

export type Format = (value: unknown) => string;

/** "a → b", or just "a" when both sides read the same. */
export function change(old: unknown, now: unknown, format: Format = formatValue): HTMLSpanElement {
  const [a, b] = formatPair(old, now, format);
  if (a === b) return el('span', { className: 'same' }, a);
  return el(
    'span',
    { className: 'change' },
    el('span', { className: 'old' }, a),
    el('span', { className: 'arrow' }, ' → '),
    el('span', { className: 'new' }, b),
  );
}

export function pairChange<T>(value: Pair<T> | undefined, format: Format = formatValue): HTMLSpanElement {
  const p = pair(value);
  return p ? change(p[0], p[1], format) : el('span', {}, format(value));
}

/** "label: value" in a facts list. */
export function fact(label: string, ...value: (Node | string)[]): HTMLDivElement {
  return el('div', { className: 'fact' }, el('span', { className: 'label' }, `${label}: `), ...value);
}

export function countsText(counts: Partial<Counts> | undefined): string | undefined {
  if (!isObject(counts)) return undefined;
  const parts: string[] = [];
  for (const key of ['changed', 'added', 'removed', 'unchanged'] as const) {
    const n = counts[key];
    if (typeof n === 'number') parts.push(`${n.toLocaleString('en-US')} ${key}`);
  }
  return parts.length ? parts.join(', ') : undefined;
}
