/**
 * The comparison view: its render (extension/compare/render.ts, in jsdom) shows
 * the parameters side by side, metrics with deltas and each artifact's status,
 * with every text as text; the host accepts only `ready` from it, and the
 * result parser drops malformed rows.
 */
import { JSDOM } from 'jsdom';
import { describe, expect, it } from 'vitest';
import { deltaText, renderComparison, renderError } from '../../extension/compare/render';
import { sideName } from '../../extension/compare/sides';
import { compareTitle, isReady } from '../../extension/src/comparePanel';
import { type CompareResult, parseCompareResult } from '../../extension/src/protocol';

const RESULT: CompareResult = {
  a: 'ParamFlow/1',
  b: 'ParamFlow/2',
  parameters: [
    { name: 'alpha', a: '0.5', b: '0.7', changed: true },
    { name: 'name', a: "'ParamFlow'", b: "'ParamFlow'", changed: false },
  ],
  artifacts: [
    { name: 'end.score', status: 'changed', type: 'float', summary: '5 → 7 (+2, +40%)', diff: null },
    { name: 'end.note', status: 'added', type: 'str', summary: '<img src=x onerror="alert(1)">', diff: null },
    { name: 'start.label', status: 'same', type: 'str', summary: 'same', diff: null },
  ],
  metrics: [{ name: 'end.score', a: 5, b: 7, delta: 2 }],
  truncated: false,
};

function rendered(result: CompareResult): Document {
  const dom = new JSDOM('<div id="app"></div>');
  const doc = dom.window.document;
  renderComparison(doc, doc.getElementById('app') as HTMLElement, result);
  return doc;
}

const cellsOf = (doc: Document, id: string): string[][] =>
  [...doc.querySelectorAll(`[data-testid="${id}"] tbody tr`)].map((tr) => [...tr.children].map((td) => td.textContent ?? ''));

describe('the comparison view', () => {
  it('shows parameters side by side, metrics with deltas, artifacts with status', () => {
    const doc = rendered(RESULT);
    expect(cellsOf(doc, 'parameters')).toEqual([
      ['alpha', '0.5', '0.7'],
      ['name', "'ParamFlow'", "'ParamFlow'"],
    ]);
    expect(doc.querySelector('[data-testid="parameters"] tbody tr')?.className).toBe('changed');
    expect(cellsOf(doc, 'metrics')).toEqual([['end.score', '5', '7', '+2 (+40%)']]);
    expect(cellsOf(doc, 'artifacts').map((r) => r.slice(0, 2))).toEqual([
      ['end.score', 'changed'],
      ['end.note', 'added'],
      ['start.label', 'same'],
    ]);
    expect(doc.querySelector('.summary')?.textContent).toBe('Artifacts: 1 changed, 1 added, 0 removed, 1 same');
  });

  it('never turns artifact text into markup', () => {
    const doc = rendered(RESULT);
    expect(doc.querySelector('img')).toBeNull();
    expect(cellsOf(doc, 'artifacts')[1]?.[3]).toBe('<img src=x onerror="alert(1)">');
  });

  it('leaves out empty sections and shows errors as text', () => {
    const doc = rendered({ ...RESULT, parameters: [], metrics: [] });
    expect(doc.querySelector('[data-testid="parameters"]')).toBeNull();
    expect(doc.querySelector('[data-testid="metrics"]')).toBeNull();
    const root = doc.getElementById('app') as HTMLElement;
    renderError(doc, root, 'Cannot compare: <b>x</b>');
    expect(root.querySelector('b')).toBeNull();
    expect(root.textContent).toBe('Cannot compare: <b>x</b>');
  });

  it('writes deltas with a sign and a relative change', () => {
    expect(deltaText({ name: 'm', a: 0.5, b: 0.25, delta: -0.25 })).toBe('-0.25 (-50%)');
    expect(deltaText({ name: 'm', a: 0, b: 3, delta: 3 })).toBe('+3');
    expect(deltaText({ name: 'm', a: 'NaN', b: 1, delta: 'NaN' })).toBe('NaN');
  });

  it('accepts only ready from the webview, and titles the panel by the two ids', () => {
    expect(isReady({ type: 'ready' })).toBe(true);
    expect(isReady({ type: 'openFile', path: '/etc/passwd' })).toBe(false);
    expect(isReady('ready')).toBe(false);
    expect(compareTitle('ParamFlow/1', 'ParamFlow/2')).toBe('Compare 1 ↔ 2');
  });

  it('names a spin side by its step and id, a task by its pathspec', () => {
    const spin = '/work/.spinlens/ParamFlow/end/20260101T100000-ab12';
    expect(compareTitle('ParamFlow/1/end/4', spin)).toBe('Compare 1/end/4 ↔ spin 20260101T100000-ab12 of end');
    expect(sideName('C:\\w\\.spinlens\\ParamFlow\\end\\x1')).toBe('spin x1 of end');
    expect(sideName('ParamFlow/1/end/4')).toBe('ParamFlow/1/end/4');
    const heading = rendered({ ...RESULT, a: 'ParamFlow/1/end/4', b: spin }).querySelector('h1')?.textContent;
    expect(heading).toBe('ParamFlow/1/end/4 vs spin 20260101T100000-ab12 of end');
  });

  it('parses a result, dropping malformed rows', () => {
    const raw = JSON.parse(JSON.stringify(RESULT)) as Record<string, unknown[]>;
    raw.artifacts?.push({ name: 'bad', status: 'exploded', type: 'x', summary: '', diff: null });
    raw.metrics?.push({ name: 'bad', a: {}, b: 1, delta: 1 });
    const parsed = parseCompareResult(raw);
    expect(parsed?.artifacts.map((a) => a.name)).toEqual(['end.score', 'end.note', 'start.label']);
    expect(parsed?.metrics).toHaveLength(1);
    expect(parseCompareResult({ a: 'x' })).toBeUndefined();
  });
});
