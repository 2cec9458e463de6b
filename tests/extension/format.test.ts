import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { clip, formatAge, formatDuration, formatElapsed, formatSize, plural, shortType } from '../../extension/src/format';

// The same cases as tests/python/test_units.py: one rule for the CLI, server and editor.
const UNITS = JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'units.json'), 'utf8')) as {
  sizes: [number | null, string][];
  ages: [number, string][];
};

describe('formatAge', () => {
  const now = 1_700_000_000_000;
  const ago = (s: number): number => now / 1000 - s;

  it.each(UNITS.ages)('%s s reads %s, as in the CLI and server', (seconds, text) => {
    expect(formatElapsed(seconds)).toBe(text);
    expect(formatAge(ago(seconds), now)).toBe(text);
  });
});

describe('formatSize', () => {
  it.each(UNITS.sizes)('%s bytes reads %s, as in the CLI and server', (bytes, text) => {
    expect(formatSize(bytes)).toBe(text);
  });

  it('shows sizes it cannot know as ?', () => {
    expect(formatSize(undefined)).toBe('?');
    expect(formatSize(Number.NaN)).toBe('?');
    expect(formatSize(Number.POSITIVE_INFINITY)).toBe('?');
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
