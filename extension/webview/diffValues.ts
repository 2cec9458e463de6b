/** Diffs of single values: text (a unified diff), numbers, booleans, other objects and types, errors. */
import type { Detail, Renderer } from './diff';
import { el } from './dom';
import { change, fact, formatSize, formatValue, pair, pairChange } from './values';

export const renderText: Renderer<Detail<'text'>> = (box, d) => {
  const facts = el('div', { className: 'facts' });
  if (pair(d.lines)) facts.appendChild(fact('lines', pairChange(d.lines)));
  if (pair(d.chars)) facts.appendChild(fact('characters', pairChange(d.chars)));
  if (typeof d.added === 'number' || typeof d.removed === 'number') {
    facts.appendChild(fact('lines changed', `+${formatValue(d.added || 0)} −${formatValue(d.removed || 0)}`));
  }
  if (d.approximate) facts.appendChild(el('div', { className: 'fact note' }, 'Approximate (long text).'));
  box.appendChild(facts);
  const lines = Array.isArray(d.diff) ? d.diff.map(String) : [];
  // The `--- old` / `+++ new` header says nothing here.
  let start = 0;
  while (start < lines.length && start < 2 && /^(---|\+\+\+) /.test(lines[start] ?? '')) start++;
  if (lines.length <= start) return;
  const pre = el('pre', { className: 'unified', testid: 'unified-diff' });
  for (const line of lines.slice(start)) {
    const cls = line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : 'ctx';
    pre.appendChild(el('span', { className: `line ${cls}`, data: { line: cls } }, line));
    pre.appendChild(document.createTextNode('\n'));
  }
  box.appendChild(pre);
};

/** `+x` for a positive change, `x` otherwise. */
function signed(n: unknown): string {
  return typeof n === 'number' && n > 0 ? `+${formatValue(n)}` : formatValue(n);
}

/**
 * A number's change on one line, `old → new (+abs, +rel%)`, with the digits that
 * tell old from new (the server's summary rounds to 6 and may read `x → x`).
 */
export function numberChange(d: Detail<'number'>): HTMLSpanElement {
  const line = el('span', { className: 'number-change', testid: 'number-change' }, change(d.old, d.new));
  const deltas: string[] = [];
  if (d.abs_change !== undefined && d.abs_change !== null) deltas.push(signed(d.abs_change));
  if (typeof d.rel_change === 'number') {
    deltas.push(`${signed(Number((d.rel_change * 100).toPrecision(4)))}%`);
  }
  if (deltas.length) line.appendChild(el('span', { className: 'delta' }, ` (${deltas.join(', ')})`));
  return line;
}

/** One line: the diff's summary is not repeated above it (renderDiff). */
export const renderNumber: Renderer<Detail<'number'>> = (box, d) => {
  box.appendChild(el('div', { className: 'facts' }, numberChange(d)));
};

/** One line, as a number's. */
export const renderBool: Renderer<Detail<'bool'>> = (box, d) => {
  box.appendChild(el('div', { className: 'facts' }, change(d.old, d.new)));
};

/** Any other object (and a type): type, size, content hash, reprs, notes. */
export const renderObject: Renderer<Detail<'object'>> = (box, d) => {
  const facts = el('div', { className: 'facts' });
  if (pair(d.type)) facts.appendChild(fact('type', pairChange(d.type)));
  if (pair(d.size)) {
    facts.appendChild(fact('size', pairChange(d.size, (s) => (typeof s === 'number' ? formatSize(s) : formatValue(s)))));
  }
  if (pair(d.hash)) {
    facts.appendChild(fact('hash', pairChange(d.hash, (h) => (typeof h === 'string' ? h.slice(0, 12) : formatValue(h)))));
  }
  if (pair(d.hashed)) facts.appendChild(fact('hashed by', pairChange(d.hashed)));
  box.appendChild(facts);
  const repr = pair(d.repr);
  if (repr) {
    box.appendChild(
      el(
        'div',
        { className: 'reprs' },
        el('div', { className: 'repr old' }, el('span', { className: 'label' }, 'old: '), formatValue(repr[0])),
        el('div', { className: 'repr new' }, el('span', { className: 'label' }, 'new: '), formatValue(repr[1])),
      ),
    );
  }
  if (Array.isArray(d.notes) && d.notes.length) {
    box.appendChild(el('ul', { className: 'notes' }, ...d.notes.map((n) => el('li', {}, String(n)))));
  }
};

export const renderError: Renderer<Detail<'error'>> = (box, d) => {
  const facts = el('div', { className: 'facts' });
  if (pair(d.type)) facts.appendChild(fact('type', pairChange(d.type)));
  if (d.handler) facts.appendChild(fact('handler', String(d.handler)));
  box.appendChild(facts);
};

/** Both None: nothing to add to the summary. */
export const renderNone: Renderer<Detail<'none'>> = () => undefined;

/** A kind this panel does not know: its detail as JSON. */
export const renderUnknown: Renderer<object> = (box, d) => {
  if (Object.keys(d).length) box.appendChild(el('pre', { className: 'json' }, JSON.stringify(d, null, 2)));
};
