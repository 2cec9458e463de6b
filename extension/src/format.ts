/** Small text helpers shared by the status bar, quick picks and messages. */

/** "12 s ago", "5 min ago", "3 h ago", "2 d ago" (like the CLI's `render.age`). */
export function formatAge(unixSeconds: number, nowMs: number = Date.now()): string {
  const seconds = Math.max(0, nowMs / 1000 - unixSeconds);
  const units: [string, number][] = [
    ['d', 86400],
    ['h', 3600],
    ['min', 60],
  ];
  for (const [unit, length] of units) {
    if (seconds >= length) return `${Math.round(seconds / length)} ${unit} ago`;
  }
  return `${Math.round(seconds)} s ago`;
}

/** "512 B", "1.5 KB", "40.1 MB" (binary units, like the CLI's `render.human_size`). */
export function formatSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes) || bytes < 0) return '?';
  let value = bytes;
  for (const unit of ['B', 'KB', 'MB', 'GB']) {
    if (value < 1024 || unit === 'GB') {
      return unit === 'B' ? `${Math.round(value)} B` : `${value.toFixed(1)} ${unit}`;
    }
    value /= 1024;
  }
  return `${bytes} B`;
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
