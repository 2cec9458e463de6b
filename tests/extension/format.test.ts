import { describe, expect, it } from 'vitest';
import { clip, formatAge, formatDuration, formatSize, plural, shortType } from '../../extension/src/format';

describe('formatAge', () => {
  const now = 1_700_000_000_000;
  const ago = (s: number): number => now / 1000 - s;

  it('says seconds, minutes, hours and days like the CLI', () => {
    expect(formatAge(ago(12), now)).toBe('12 s ago');
    expect(formatAge(ago(0), now)).toBe('0 s ago');
    expect(formatAge(ago(59), now)).toBe('59 s ago');
    expect(formatAge(ago(60), now)).toBe('1 min ago');
    expect(formatAge(ago(5 * 60 + 10), now)).toBe('5 min ago');
    expect(formatAge(ago(3 * 3600), now)).toBe('3 h ago');
    expect(formatAge(ago(2 * 86400 + 5), now)).toBe('2 d ago');
  });

  it('never says a time in the future', () => {
    expect(formatAge(ago(-30), now)).toBe('0 s ago');
  });
});

describe('formatSize', () => {
  it('uses binary units with one decimal above bytes', () => {
    expect(formatSize(0)).toBe('0 B');
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(42_000_000)).toBe('40.1 MB');
    expect(formatSize(5 * 1024 ** 4)).toBe('5120.0 GB');
  });

  it('shows unknown sizes as ?', () => {
    expect(formatSize(null)).toBe('?');
    expect(formatSize(undefined)).toBe('?');
    expect(formatSize(Number.NaN)).toBe('?');
    expect(formatSize(-1)).toBe('?');
  });
});

describe('formatDuration', () => {
  it('picks ms, s or min', () => {
    expect(formatDuration(0.035)).toBe('35 ms');
    expect(formatDuration(1.2)).toBe('1.20 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(undefined)).toBe('?');
  });
});

describe('small helpers', () => {
  it('shortens qualified type names', () => {
    expect(shortType('pandas.core.frame.DataFrame')).toBe('DataFrame');
    expect(shortType('float')).toBe('float');
    expect(shortType("<class 'foo.Bar'>")).toBe('Bar');
  });

  it('clips to one line', () => {
    expect(clip('a\n  b', 10)).toBe('a b');
    expect(clip('abcdefghij', 5)).toBe('abcd…');
  });

  it('pluralizes', () => {
    expect(plural(1, 'artifact')).toBe('1 artifact');
    expect(plural(3, 'artifact')).toBe('3 artifacts');
  });
});
