/** Diffs of collections as lists of changed, added and removed entries: mappings, sequences, sets, parameter objects. */
import type { ValueDiff } from '../src/protocol';
import type { Detail, DiffContext, Renderer } from './diff';
import { el } from './dom';
import { numberChange } from './diffValues';
import { countsText, fact, formatValue, isObject, pair, pairChange } from './values';

/** Nesting depth below which a changed entry's own diff is shown. */
const MAX_DEPTH = 6;

/** One entry as the server sends it: a key (mappings, params) or an index (sequences). */
type Entry = { key?: unknown; index?: unknown; new_index?: unknown; value?: unknown; diff?: unknown };

interface Entries {
  changed?: Entry[];
  added?: unknown[];
  removed?: unknown[];
}

type Label = (entry: Entry) => string;

const keyLabel: Label = (entry) => formatValue(entry.key);

function indexLabel(entry: Entry): string {
  if (typeof entry.new_index === 'number' && entry.new_index !== entry.index) {
    return `[${String(entry.index)} → ${entry.new_index}]`;
  }
  return `[${formatValue(entry.index)}]`;
}

/** Whether a nested diff has more to show than its summary line. */
function hasDetail(diff: ValueDiff): boolean {
  return isObject(diff.detail) && Object.keys(diff.detail).length > 0 && diff.kind !== 'number' && diff.kind !== 'bool';
}

/** A changed entry's one line: a number's own change (exact digits), else the server's summary. */
function entrySummary(nested: ValueDiff | undefined): Node | string {
  if (nested?.kind === 'number' && isObject(nested.detail)) return numberChange(nested.detail);
  return nested && typeof nested.summary === 'string' ? nested.summary : 'changed';
}

/** Added / removed / changed entries of a mapping, sequence, set or params diff. */
function renderEntries(box: HTMLElement, d: Entries, context: DiffContext, label: Label): void {
  const list = el('ul', { className: 'entries', testid: 'entries' });
  for (const entry of (Array.isArray(d.changed) ? d.changed : []).filter(isObject)) {
    // A nested diff is a ValueDiff when it is an object: the server writes nothing else there.
    const nested = isObject(entry.diff) ? (entry.diff as ValueDiff) : undefined;
    const summary = entrySummary(nested);
    const head = el(
      'summary',
      {},
      el('span', { className: 'mark changed' }, '~ '),
      el('span', { className: 'key' }, label(entry)),
      el('span', { className: 'sep' }, ': '),
      summary,
    );
    const item = el('li', { className: 'entry changed', testid: 'entry', data: { change: 'changed' } });
    if (nested && context.depth < MAX_DEPTH && hasDetail(nested)) {
      const details = el('details', {}, head, context.nested(nested));
      if (context.depth === 0) details.open = true;
      item.appendChild(details);
    } else {
      item.appendChild(el('div', { className: 'flat' }, ...Array.from(head.childNodes)));
    }
    list.appendChild(item);
  }
  for (const [kind, mark] of [['added', '+ '], ['removed', '− ']] as const) {
    const entries = d[kind];
    for (const entry of Array.isArray(entries) ? entries : []) {
      const item = el(
        'li',
        { className: `entry ${kind}`, testid: 'entry', data: { change: kind } },
        el('span', { className: `mark ${kind}` }, mark),
      );
      if (isObject(entry) && ('key' in entry || 'index' in entry)) {
        item.appendChild(el('span', { className: 'key' }, label(entry)));
        if ('value' in entry) item.appendChild(el('span', { className: 'sep' }, ': '));
        if ('value' in entry) item.appendChild(el('span', { className: 'value' }, formatValue(entry.value)));
      } else {
        item.appendChild(el('span', { className: 'value' }, formatValue(entry)));
      }
      list.appendChild(item);
    }
  }
  if (list.childNodes.length) box.appendChild(list);
}

export const renderMapping: Renderer<Detail<'mapping'>> = (box, d, context) => {
  const facts = el('div', { className: 'facts' });
  if (pair(d.size)) facts.appendChild(fact('keys', pairChange(d.size)));
  const counts = countsText(d.counts);
  if (counts) facts.appendChild(fact('entries', counts));
  box.appendChild(facts);
  renderEntries(box, d, context, keyLabel);
};

export const renderSequence: Renderer<Detail<'sequence'>> = (box, d, context) => {
  const facts = el('div', { className: 'facts' });
  if (pair(d.length)) facts.appendChild(fact('length', pairChange(d.length)));
  const counts = countsText(d.counts);
  if (counts) facts.appendChild(fact('items', counts));
  box.appendChild(facts);
  renderEntries(box, d, context, indexLabel);
};

export const renderSet: Renderer<Detail<'set'>> = (box, d, context) => {
  const facts = el('div', { className: 'facts' });
  if (pair(d.size)) facts.appendChild(fact('size', pairChange(d.size)));
  const counts = countsText(d.counts);
  if (counts) facts.appendChild(fact('items', counts));
  box.appendChild(facts);
  renderEntries(box, { added: d.added, removed: d.removed }, context, keyLabel);
};

export const renderParams: Renderer<Detail<'params'>> = (box, d, context) => {
  const facts = el('div', { className: 'facts' });
  if (pair(d.class)) facts.appendChild(fact('class', pairChange(d.class)));
  if (d.source) facts.appendChild(fact('compared', d.source === 'get_params' ? 'get_params()' : 'dataclass fields'));
  const counts = countsText(d.counts);
  if (counts) facts.appendChild(fact('params', counts));
  if (typeof d.state_changed === 'boolean') {
    facts.appendChild(fact('fitted state', d.state_changed ? 'changed' : 'unchanged'));
  }
  box.appendChild(facts);
  renderEntries(box, d, context, keyLabel);
  if (isObject(d.fitted) && Object.keys(d.fitted).length) {
    box.appendChild(el('div', { className: 'section-label' }, 'Fitted attributes'));
    box.appendChild(el('pre', { className: 'json' }, JSON.stringify(d.fitted, null, 2)));
  }
};
