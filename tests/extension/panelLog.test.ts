/** The results panel keeps a bounded log: the newest text, cut (never cleared) past the cap. */
import { describe, expect, it } from 'vitest';
import { load } from './panelHarness';

const URI = 'file:///work/project/flows/flood_flow.py';
const CAP = 1_000_000; // MAX_LOG_CHARS in extension/webview/log.ts

function log(text: string, stream = 'stdout'): unknown {
  return { type: 'event', event: { event: 'log', spin_id: 's', stream, text } };
}

describe('panel.js log cap', () => {
  it('keeps the newest characters of one long stream and says earlier output is cut', () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'flood' });
    expect(h.q('log-trimmed').hidden).toBe(true);
    for (let i = 0; i < 30; i++) h.send(log(`${String(i).padStart(2, '0')}:${'x'.repeat(99_997)}\n`));
    const text = h.q('log').textContent ?? '';
    expect(text.length).toBe(CAP);
    expect(text.endsWith(`29:${'x'.repeat(99_997)}\n`)).toBe(true);
    expect(text).not.toContain('19:');
    expect(h.q('log-trimmed').hidden).toBe(false);

    // A new spin starts with an empty log and no note.
    h.send({ type: 'spin', uri: URI, step: 'flood' });
    expect(h.q('log').textContent).toBe('');
    expect(h.q('log-trimmed').hidden).toBe(true);
  });

  it('drops whole old spans before cutting one, keeping stream order', () => {
    const h = load();
    h.send({ type: 'spin', uri: URI, step: 'flood' });
    h.send(log('a'.repeat(600_000), 'stdout'));
    h.send(log('b'.repeat(300_000), 'stderr'));
    h.send(log('c'.repeat(300_000), 'stdout'));
    const spans = Array.from(h.q('log').children) as HTMLElement[];
    expect(spans.map((s) => s.dataset.stream)).toEqual(['stdout', 'stderr', 'stdout']);
    expect(spans.map((s) => s.textContent?.length)).toEqual([400_000, 300_000, 300_000]);
    h.send(log('d'.repeat(500_000), 'stderr'));
    const after = Array.from(h.q('log').children) as HTMLElement[];
    expect(after.map((s) => s.dataset.stream)).toEqual(['stderr', 'stdout', 'stderr']);
    expect(after.map((s) => s.textContent?.length)).toEqual([200_000, 300_000, 500_000]);
  });
});
