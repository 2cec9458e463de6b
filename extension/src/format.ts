/** Small text helpers shared by the status bar, quick picks and messages. */

// Sizes and ages follow one rule across the CLI, the server, the extension and the
// panel: server/spinlens/units.py states it, tests/fixtures/units.json checks both.

const AGE_UNITS: readonly (readonly [string, number])[] = [
  ['d', 86400],
  ['h', 3600],
  ['min', 60],
];
const SIZE_UNITS: readonly string[] = ['KB', 'MB', 'GB', 'TB'];

/** "12 s ago", "1 min ago" (60-119 s), "3 h ago", "2 d ago": whole units elapsed. */
export function formatAge(unixSeconds: number, nowMs: number = Date.now()): string {
  return formatElapsed(nowMs / 1000 - unixSeconds);
}

/** The age text for `seconds` elapsed; never in the future. */
export function formatElapsed(seconds: number): string {
  const whole = Math.max(0, Math.trunc(seconds));
  for (const [unit, length] of AGE_UNITS) {
    if (whole >= length) return `${Math.floor(whole / length)} ${unit} ago`;
  }
  return `${whole} s ago`;
}

/** "512 B", "1.5 KB", "40.1 MB": binary units, one decimal rounded half up. */
export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '?';
  // BigInt keeps the rounding exact past 2^53 bytes, as Python's integers do.
  const size = BigInt(Math.trunc(bytes));
  if (size < 1024n) return `${size} B`;
  let scale = 1024n;
  for (const [index, unit] of SIZE_UNITS.entries()) {
    const tenths = (size * 10n + scale / 2n) / scale;
    if (tenths < 10240n || index === SIZE_UNITS.length - 1) return `${tenths / 10n}.${tenths % 10n} ${unit}`;
    scale *= 1024n;
  }
  throw new Error('unreachable');
}

/** "35 ms", "1.20 s", "2 min 5 s". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) {
    return '?';
  }
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 60) return `${seconds.toFixed(2)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** The last component of a dotted type name: `pandas.core.frame.DataFrame` -> `DataFrame`. */
export function shortType(typeName: string): string {
  const last = typeName.split('.').pop() ?? typeName;
  return last.replace(/^[<']+|[>']+$/g, '');
}

/** At most `max` characters, with an ellipsis when cut. */
export function clip(text: string, max: number): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, Math.max(0, max - 1))}…`;
}

/** "1 artifact", "3 artifacts". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
