/*
 * Spinlens results panel (webview script). Plain DOM, no framework.
 *
 * Every piece of text that comes from a spin event is inserted with
 * textContent / text nodes, never as HTML, so artifact reprs, logs and
 * tracebacks containing markup show as text. There are no inline handlers: the
 * CSP only runs this file (by nonce).
 *
 * Messages in:  {type: "spin", uri, step} | {type: "event", event} | {type: "settings", diffRows}
 * Messages out: {type: "ready"} | {type: "openFile", file, line} | {type: "cancel"}
 */
'use strict';

const SpinlensPanel = (() => {
  const COMPARISONS = [
    ['source', 'source run'],
    ['inputs', 'inputs'],
    ['previous', 'previous spin'],
  ];
  const MAX_LOG_CHARS = 1_000_000;
  const MAX_DEPTH = 6;
  const STATUS_TEXT = {
    idle: 'idle',
    starting: 'starting…',
    preparing: 'preparing…',
    running: 'running…',
    ok: 'ok',
    failed: 'failed',
    cancelled: 'cancelled',
  };

  // ------------------------------------------------------------------ helpers

  /**
   * el('div', {className, testid, title, data: {...}}, ...children): children are
   * nodes or strings (strings become text nodes, never markup).
   */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    if (attrs) {
      for (const [key, value] of Object.entries(attrs)) {
        if (value === undefined || value === null || value === false) continue;
        if (key === 'className') node.className = value;
        else if (key === 'testid') node.setAttribute('data-testid', value);
        else if (key === 'data') {
          for (const [k, v] of Object.entries(value)) node.setAttribute(`data-${k}`, String(v));
        } else if (key === 'text') node.textContent = String(value);
        else node.setAttribute(key, String(value));
      }
    }
    append(node, ...children);
    return node;
  }

  function append(node, ...children) {
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    }
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function isObject(value) {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  }

  function formatNumber(n) {
    if (!Number.isFinite(n)) return String(n);
    if (Number.isInteger(n)) return Math.abs(n) < 1e15 ? String(n) : n.toExponential(6);
    const abs = Math.abs(n);
    if (abs !== 0 && (abs < 1e-4 || abs >= 1e15)) return n.toExponential(6).replace(/\.?0+e/, 'e');
    return String(Number.parseFloat(n.toPrecision(10)));
  }

  /** A JSON value from a diff, shown the way Python would print it. */
  function formatValue(value) {
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

  function formatSize(bytes) {
    if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return '?';
    let value = bytes;
    for (const unit of ['B', 'KB', 'MB', 'GB']) {
      if (value < 1024 || unit === 'GB') {
        return unit === 'B' ? `${Math.round(value)} B` : `${value.toFixed(1)} ${unit}`;
      }
      value /= 1024;
    }
    return `${bytes} B`;
  }

  function formatSeconds(seconds) {
    if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '?';
    if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
    return `${seconds.toFixed(2)} s`;
  }

  function shortType(name) {
    const last = String(name).split('.').pop() || String(name);
    return last.replace(/^[<']+|[>']+$/g, '');
  }

  function basename(uriOrPath) {
    const text = String(uriOrPath);
    try {
      return decodeURIComponent(text.split('/').pop() || text);
    } catch {
      return text.split('/').pop() || text;
    }
  }

  function pair(value) {
    return Array.isArray(value) && value.length === 2 ? value : undefined;
  }

  /** "a → b", or just "a" when both sides are equal. */
  function change(old, now, format = formatValue) {
    const a = format(old);
    const b = format(now);
    if (a === b) return el('span', { className: 'same' }, a);
    return el(
      'span',
      { className: 'change' },
      el('span', { className: 'old' }, a),
      el('span', { className: 'arrow' }, ' → '),
      el('span', { className: 'new' }, b),
    );
  }

  function pairChange(value, format = formatValue) {
    const p = pair(value);
    return p ? change(p[0], p[1], format) : el('span', {}, format(value));
  }

  function fact(label, ...value) {
    return el('div', { className: 'fact' }, el('span', { className: 'label' }, `${label}: `), ...value);
  }

  function countsText(counts) {
    if (!isObject(counts)) return undefined;
    const parts = [];
    for (const key of ['changed', 'added', 'removed', 'unchanged']) {
      if (typeof counts[key] === 'number') parts.push(`${counts[key].toLocaleString('en-US')} ${key}`);
    }
    return parts.length ? parts.join(', ') : undefined;
  }

  function plural(n, noun) {
    return `${n.toLocaleString('en-US')} ${noun}${n === 1 ? '' : 's'}`;
  }

  // ------------------------------------------------------------------ ValueDiff

  /** A ValueDiff as DOM (recursive for mappings, sequences and params). */
  function renderDiff(diff, options = {}, depth = 0) {
    const rows = options.diffRows || 20;
    if (!isObject(diff)) return el('div', { className: 'diff', testid: 'diff' }, 'No diff reported.');
    const kind = typeof diff.kind === 'string' ? diff.kind : 'unknown';
    const detail = isObject(diff.detail) ? diff.detail : {};
    const box = el('div', { className: `diff diff-${kind}`, testid: 'diff', data: { kind } });
    if (depth === 0 && typeof diff.summary === 'string') {
      box.appendChild(el('div', { className: 'diff-summary', testid: 'diff-summary' }, diff.summary));
    }
    if (typeof diff.error === 'string' && diff.error) {
      box.appendChild(el('div', { className: 'diff-error' }, `Comparison incomplete: ${diff.error}`));
    }
    if (detail.depth_limited) {
      box.appendChild(el('div', { className: 'note' }, 'Nested too deep to compare further.'));
      return box;
    }
    const render = RENDERERS[kind] || renderUnknown;
    try {
      render(box, detail, rows, depth);
    } catch (error) {
      box.appendChild(el('div', { className: 'diff-error' }, `Cannot show this diff: ${String(error)}`));
    }
    if (diff.truncated) {
      box.appendChild(el('div', { className: 'note' }, 'Truncated: only part of the difference is listed.'));
    }
    return box;
  }

  function renderTable(box, d, rows) {
    const facts = el('div', { className: 'facts' });
    if (pair(d.rows)) facts.appendChild(fact('rows', pairChange(d.rows)));
    if (d.aligned_by) facts.appendChild(fact('rows aligned by', String(d.aligned_by)));
    if (typeof d.changed_cells === 'number') {
      const inRows = typeof d.changed_rows === 'number' ? ` in ${plural(d.changed_rows, 'row')}` : '';
      facts.appendChild(fact('changed', `${plural(d.changed_cells, 'cell')}${inRows}`));
    }
    if (isObject(d.changed_by_column) && Object.keys(d.changed_by_column).length) {
      const list = Object.entries(d.changed_by_column).map(([c, n]) => `${c} (${formatValue(n)})`);
      facts.appendChild(fact('by column', list.join(', ')));
    }
    if (d.index_changed) facts.appendChild(el('div', { className: 'fact' }, 'The index changed.'));
    if (d.rows_reordered) facts.appendChild(el('div', { className: 'fact' }, 'Rows were reordered.'));
    box.appendChild(facts);

    const schema = isObject(d.schema) ? d.schema : {};
    const schemaFacts = el('div', { className: 'facts schema', testid: 'schema' });
    if (Array.isArray(schema.added) && schema.added.length) {
      schemaFacts.appendChild(fact('columns added', el('span', { className: 'new' }, schema.added.map(String).join(', '))));
    }
    if (Array.isArray(schema.removed) && schema.removed.length) {
      schemaFacts.appendChild(fact('columns removed', el('span', { className: 'old' }, schema.removed.map(String).join(', '))));
    }
    if (Array.isArray(schema.retyped)) {
      for (const r of schema.retyped) {
        if (isObject(r)) schemaFacts.appendChild(fact(`${r.column} type`, change(r.old, r.new)));
      }
    }
    if (schema.reordered) schemaFacts.appendChild(el('div', { className: 'fact' }, 'Columns were reordered.'));
    if (schemaFacts.childNodes.length) box.appendChild(schemaFacts);

    if (isObject(d.columns)) {
      const changed = Object.entries(d.columns).filter(
        ([, s]) => isObject(s) && JSON.stringify(s.old) !== JSON.stringify(s.new),
      );
      if (changed.length) {
        const stats = ['nulls', 'min', 'max', 'mean'];
        const table = el('table', { className: 'grid columns', testid: 'column-stats' });
        table.appendChild(el('thead', {}, el('tr', {}, el('th', {}, 'column'), ...stats.map((s) => el('th', {}, s)))));
        const body = el('tbody');
        for (const [name, s] of changed.slice(0, 50)) {
          const old = isObject(s.old) ? s.old : null;
          const now = isObject(s.new) ? s.new : null;
          const tr = el('tr', {}, el('td', { className: 'name' }, name));
          for (const stat of stats) {
            const a = old ? old[stat] : undefined;
            const b = now ? now[stat] : undefined;
            const fmt = (v) => (v === undefined ? '–' : formatValue(v));
            tr.appendChild(el('td', {}, old === null ? el('span', { className: 'new' }, fmt(b)) : now === null ? el('span', { className: 'old' }, fmt(a)) : change(a, b, fmt)));
          }
          body.appendChild(tr);
        }
        table.appendChild(body);
        box.appendChild(el('div', { className: 'section-label' }, 'Column statistics (changed)'));
        box.appendChild(el('div', { className: 'scroll' }, table));
      }
    }

    const sample = Array.isArray(d.sample) ? d.sample.filter(isObject) : [];
    if (sample.length) {
      const columns = [];
      for (const row of sample) {
        for (const side of [row.old, row.new]) {
          if (!isObject(side)) continue;
          for (const c of Object.keys(side)) if (!columns.includes(c)) columns.push(c);
        }
      }
      const table = el('table', { className: 'grid sample', testid: 'sample-table' });
      table.appendChild(el('thead', {}, el('tr', {}, el('th', {}, 'row'), ...columns.map((c) => el('th', {}, c)))));
      const body = el('tbody');
      for (const row of sample.slice(0, rows)) {
        const old = isObject(row.old) ? row.old : {};
        const now = isObject(row.new) ? row.new : {};
        const tr = el('tr', { testid: 'sample-row' }, el('td', { className: 'key' }, formatValue(row.key)));
        for (const c of columns) {
          const inOld = Object.prototype.hasOwnProperty.call(old, c);
          const inNew = Object.prototype.hasOwnProperty.call(now, c);
          if (!inOld && !inNew) {
            tr.appendChild(el('td', { className: 'unchanged-cell' }, ''));
          } else {
            const shown = !inOld
              ? el('span', { className: 'new' }, formatValue(now[c]))
              : !inNew
                ? el('span', { className: 'old' }, formatValue(old[c]))
                : change(old[c], now[c]);
            tr.appendChild(el('td', { className: 'changed-cell', testid: 'changed-cell', data: { column: c } }, shown));
          }
        }
        body.appendChild(tr);
      }
      table.appendChild(body);
      box.appendChild(el('div', { className: 'section-label' }, 'Changed rows (sample)'));
      box.appendChild(el('div', { className: 'scroll' }, table));
      const total = typeof d.changed_rows === 'number' ? d.changed_rows : sample.length;
      if (total > Math.min(rows, sample.length)) {
        box.appendChild(el('div', { className: 'note' }, `Showing ${Math.min(rows, sample.length)} of ${plural(total, 'changed row')}.`));
      }
    }
  }

  function renderArray(box, d, rows) {
    const facts = el('div', { className: 'facts' });
    if (pair(d.shape)) facts.appendChild(fact('shape', pairChange(d.shape, (s) => `(${Array.isArray(s) ? s.join(', ') : formatValue(s)})`)));
    if (pair(d.dtype)) facts.appendChild(fact('dtype', pairChange(d.dtype)));
    if (typeof d.changed_elements === 'number') {
      const size = pair(d.size) ? ` of ${formatValue(d.size[0])}` : '';
      facts.appendChild(fact('changed', `${formatValue(d.changed_elements)}${size} elements`));
    }
    if (d.max_abs_diff !== undefined && d.max_abs_diff !== null) facts.appendChild(fact('max abs diff', formatValue(d.max_abs_diff)));
    if (d.max_rel_diff !== undefined && d.max_rel_diff !== null) facts.appendChild(fact('max rel diff', formatValue(d.max_rel_diff)));
    box.appendChild(facts);
    const sample = Array.isArray(d.sample) ? d.sample.filter(isObject) : [];
    if (sample.length) {
      const table = el('table', { className: 'grid sample', testid: 'sample-table' });
      table.appendChild(el('thead', {}, el('tr', {}, el('th', {}, 'index'), el('th', {}, 'old'), el('th', {}, 'new'))));
      const body = el('tbody');
      for (const cell of sample.slice(0, rows)) {
        const index = Array.isArray(cell.index) ? `[${cell.index.join(', ')}]` : formatValue(cell.index);
        body.appendChild(
          el('tr', { testid: 'sample-row' },
            el('td', { className: 'key' }, index),
            el('td', { className: 'old' }, formatValue(cell.old)),
            el('td', { className: 'new changed-cell', testid: 'changed-cell' }, formatValue(cell.new)),
          ),
        );
      }
      table.appendChild(body);
      box.appendChild(el('div', { className: 'scroll' }, table));
    }
  }

  /** Added / removed / changed entries of a mapping, sequence or params diff. */
  function renderEntries(box, d, rows, depth, where) {
    const list = el('ul', { className: 'entries', testid: 'entries' });
    const label = (entry) => where(entry);
    for (const entry of (Array.isArray(d.changed) ? d.changed : []).filter(isObject)) {
      const nested = isObject(entry.diff) ? entry.diff : undefined;
      const summary = nested && typeof nested.summary === 'string' ? nested.summary : 'changed';
      const head = el('summary', {},
        el('span', { className: 'mark changed' }, '~ '),
        el('span', { className: 'key' }, label(entry)),
        el('span', { className: 'sep' }, ': '),
        summary,
      );
      const item = el('li', { className: 'entry changed', testid: 'entry', data: { change: 'changed' } });
      if (nested && depth < MAX_DEPTH && hasDetail(nested)) {
        const details = el('details', {}, head, renderDiff(nested, { diffRows: rows }, depth + 1));
        if (depth === 0) details.open = true;
        item.appendChild(details);
      } else {
        item.appendChild(el('div', { className: 'flat' }, ...Array.from(head.childNodes)));
      }
      list.appendChild(item);
    }
    for (const [kind, mark] of [['added', '+ '], ['removed', '− ']]) {
      for (const entry of (Array.isArray(d[kind]) ? d[kind] : [])) {
        const item = el('li', { className: `entry ${kind}`, testid: 'entry', data: { change: kind } },
          el('span', { className: `mark ${kind}` }, mark));
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

  function hasDetail(diff) {
    return isObject(diff.detail) && Object.keys(diff.detail).length > 0 && diff.kind !== 'number' && diff.kind !== 'bool';
  }

  function keyLabel(entry) {
    return formatValue(entry.key);
  }

  function indexLabel(entry) {
    if (typeof entry.new_index === 'number' && entry.new_index !== entry.index) {
      return `[${entry.index} → ${entry.new_index}]`;
    }
    return `[${formatValue(entry.index)}]`;
  }

  function renderMapping(box, d, rows, depth) {
    const facts = el('div', { className: 'facts' });
    if (pair(d.size)) facts.appendChild(fact('keys', pairChange(d.size)));
    const counts = countsText(d.counts);
    if (counts) facts.appendChild(fact('entries', counts));
    box.appendChild(facts);
    renderEntries(box, d, rows, depth, keyLabel);
  }

  function renderSequence(box, d, rows, depth) {
    const facts = el('div', { className: 'facts' });
    if (pair(d.length)) facts.appendChild(fact('length', pairChange(d.length)));
    const counts = countsText(d.counts);
    if (counts) facts.appendChild(fact('items', counts));
    box.appendChild(facts);
    renderEntries(box, d, rows, depth, indexLabel);
  }

  function renderSet(box, d, rows, depth) {
    const facts = el('div', { className: 'facts' });
    if (pair(d.size)) facts.appendChild(fact('size', pairChange(d.size)));
    const counts = countsText(d.counts);
    if (counts) facts.appendChild(fact('items', counts));
    box.appendChild(facts);
    renderEntries(box, { added: d.added, removed: d.removed }, rows, depth, keyLabel);
  }

  function renderParams(box, d, rows, depth) {
    const facts = el('div', { className: 'facts' });
    if (pair(d.class)) facts.appendChild(fact('class', pairChange(d.class)));
    if (d.source) facts.appendChild(fact('compared', d.source === 'get_params' ? 'get_params()' : 'dataclass fields'));
    const counts = countsText(d.counts);
    if (counts) facts.appendChild(fact('params', counts));
    if (typeof d.state_changed === 'boolean') {
      facts.appendChild(fact('fitted state', d.state_changed ? 'changed' : 'unchanged'));
    }
    box.appendChild(facts);
    renderEntries(box, d, rows, depth, keyLabel);
    if (isObject(d.fitted) && Object.keys(d.fitted).length) {
      box.appendChild(el('div', { className: 'section-label' }, 'Fitted attributes'));
      box.appendChild(el('pre', { className: 'json' }, JSON.stringify(d.fitted, null, 2)));
    }
  }

  function renderText(box, d, rows) {
    const facts = el('div', { className: 'facts' });
    if (pair(d.lines)) facts.appendChild(fact('lines', pairChange(d.lines)));
    if (pair(d.chars)) facts.appendChild(fact('characters', pairChange(d.chars)));
    if (typeof d.added === 'number' || typeof d.removed === 'number') {
      facts.appendChild(fact('lines changed', `+${formatValue(d.added || 0)} −${formatValue(d.removed || 0)}`));
    }
    if (d.approximate) facts.appendChild(el('div', { className: 'fact note' }, 'Approximate (long text).'));
    box.appendChild(facts);
    const lines = Array.isArray(d.diff) ? d.diff.map(String) : [];
    let start = 0;
    while (start < lines.length && start < 2 && /^(---|\+\+\+) /.test(lines[start])) start++;
    if (lines.length > start) {
      const pre = el('pre', { className: 'unified', testid: 'unified-diff' });
      for (const line of lines.slice(start)) {
        const cls = line.startsWith('@@') ? 'hunk' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : 'ctx';
        pre.appendChild(el('span', { className: `line ${cls}`, data: { line: cls } }, line));
        pre.appendChild(document.createTextNode('\n'));
      }
      box.appendChild(pre);
    }
  }

  function renderNumber(box, d) {
    const facts = el('div', { className: 'facts' });
    facts.appendChild(fact('value', change(d.old, d.new)));
    if (d.abs_change !== undefined && d.abs_change !== null) {
      const n = d.abs_change;
      facts.appendChild(fact('abs change', typeof n === 'number' && n > 0 ? `+${formatValue(n)}` : formatValue(n)));
    }
    if (typeof d.rel_change === 'number') {
      const pct = d.rel_change * 100;
      facts.appendChild(fact('rel change', `${pct > 0 ? '+' : ''}${formatNumber(Number(pct.toPrecision(4)))}%`));
    } else if (d.rel_change !== undefined) {
      facts.appendChild(fact('rel change', d.rel_change === null ? 'n/a (old is 0)' : formatValue(d.rel_change)));
    }
    box.appendChild(facts);
  }

  function renderBool(box, d) {
    box.appendChild(el('div', { className: 'facts' }, fact('value', change(d.old, d.new))));
  }

  function renderObject(box, d) {
    const facts = el('div', { className: 'facts' });
    if (pair(d.type)) facts.appendChild(fact('type', pairChange(d.type)));
    if (pair(d.size)) facts.appendChild(fact('size', pairChange(d.size, (s) => (typeof s === 'number' ? formatSize(s) : formatValue(s)))));
    if (pair(d.hash)) facts.appendChild(fact('hash', pairChange(d.hash, (h) => (typeof h === 'string' ? h.slice(0, 12) : formatValue(h)))));
    if (pair(d.hashed)) facts.appendChild(fact('hashed by', pairChange(d.hashed)));
    box.appendChild(facts);
    if (pair(d.repr)) {
      box.appendChild(el('div', { className: 'reprs' },
        el('div', { className: 'repr old' }, el('span', { className: 'label' }, 'old: '), formatValue(d.repr[0])),
        el('div', { className: 'repr new' }, el('span', { className: 'label' }, 'new: '), formatValue(d.repr[1])),
      ));
    }
    if (Array.isArray(d.notes) && d.notes.length) {
      box.appendChild(el('ul', { className: 'notes' }, ...d.notes.map((n) => el('li', {}, String(n)))));
    }
  }

  function renderError(box, d) {
    const facts = el('div', { className: 'facts' });
    if (pair(d.type)) facts.appendChild(fact('type', pairChange(d.type)));
    if (d.handler) facts.appendChild(fact('handler', String(d.handler)));
    box.appendChild(facts);
  }

  function renderNone() {}

  function renderUnknown(box, d) {
    if (Object.keys(d).length) box.appendChild(el('pre', { className: 'json' }, JSON.stringify(d, null, 2)));
  }

  const RENDERERS = {
    table: renderTable,
    array: renderArray,
    mapping: renderMapping,
    sequence: renderSequence,
    set: renderSet,
    text: renderText,
    number: renderNumber,
    bool: renderBool,
    none: renderNone,
    params: renderParams,
    object: renderObject,
    type: renderObject,
    error: renderError,
  };

  // ------------------------------------------------------------------ the panel

  function createPanel(root, vscode) {
    const state = {
      uri: undefined,
      step: undefined,
      status: 'idle',
      comparison: 'source',
      diffRows: 20,
      artifacts: new Map(),
      logChars: 0,
      startedAt: undefined,
      timer: undefined,
      terminal: undefined,
      // Kept across spins: whoever wants Metaflow's internal artifacts wants them every time.
      showInternal: false,
    };

    // Static skeleton.
    const flowEl = el('span', { className: 'flow', testid: 'flow' });
    const stepEl = el('span', { className: 'step', testid: 'step' });
    const statusEl = el('span', { className: 'status badge', testid: 'status', data: { status: 'idle' } }, STATUS_TEXT.idle);
    const cancelButton = el('button', { className: 'cancel', testid: 'cancel', type: 'button', hidden: true }, 'Cancel');
    const sourceEl = el('div', { className: 'source', testid: 'source' });
    const timingsEl = el('div', { className: 'timings', testid: 'timings' });
    const progressEl = el('div', { className: 'progress', testid: 'progress', hidden: true });
    const header = el('header', { className: 'header' },
      el('div', { className: 'title' }, el('h1', {}, flowEl, stepEl), statusEl, cancelButton),
      sourceEl, timingsEl, progressEl);

    const emptyEl = el('div', { className: 'empty', testid: 'empty' },
      'No spin yet. Click “▶ Spin this step” above a @step, or run “Spinlens: Spin step”.');

    const failureEl = el('section', { className: 'failure', testid: 'failure', hidden: true });

    const logEl = el('pre', { className: 'log', testid: 'log' });
    const logEmptyEl = el('div', { className: 'muted', testid: 'log-empty' }, 'No output yet.');
    const logTrimmedEl = el('div', { className: 'muted', testid: 'log-trimmed', hidden: true },
      `Earlier output not shown: the panel keeps the last ${MAX_LOG_CHARS.toLocaleString('en-US')} characters.`);
    const outputSection = el('section', { className: 'output' },
      el('h2', {}, 'Output'), logEmptyEl, logTrimmedEl, logEl);

    const select = el('select', { testid: 'comparison', 'aria-label': 'Compare with' });
    for (const [value, label] of COMPARISONS) select.appendChild(el('option', { value }, label));
    select.value = state.comparison;
    const countEl = el('span', { className: 'count muted', testid: 'artifact-count' });
    /** The step's own rows, then Metaflow's internal ones (shown only on request). */
    function artifactTable(testid, rowsTestid) {
      const rows = el('tbody', { testid: rowsTestid });
      const internalRows = el('tbody', { className: 'internal', testid: 'internal-rows', hidden: true });
      const table = el('table', { className: 'artifacts', testid },
        el('colgroup', {},
          el('col', { className: 'col-toggle' }), el('col', { className: 'col-name' }), el('col', { className: 'col-type' }),
          el('col', { className: 'col-size' }), el('col', { className: 'col-status' }), el('col', { className: 'col-value' })),
        el('thead', {}, el('tr', {},
          el('th', { className: 'toggle-col' }, ''),
          el('th', {}, 'artifact'), el('th', {}, 'type'), el('th', { className: 'num' }, 'size'),
          el('th', {}, 'vs'), el('th', {}, 'value'))),
        rows, internalRows);
      return { table, rows, internalRows };
    }
    const results = artifactTable('artifacts', 'artifact-rows');
    const noArtifactsEl = el('div', { className: 'muted', testid: 'no-artifacts', hidden: true }, 'No artifacts.');
    const partial = artifactTable('partial-artifacts', 'partial-rows');
    const partialEl = el('div', { className: 'partial', testid: 'partial', hidden: true },
      el('h3', {}, 'Assigned before the failure (partial)'),
      el('div', { className: 'note' }, 'The step raised after assigning these: how far it got, not its result.'),
      partial.table);
    const internalToggle = el('button', { className: 'link-button', testid: 'internal-toggle', type: 'button', 'aria-pressed': 'false', hidden: true });
    const artifactsSection = el('section', { className: 'artifacts-section' },
      el('div', { className: 'section-head' },
        el('h2', {}, 'Artifacts'), countEl,
        el('label', { className: 'compare' }, 'compare with ', select)),
      results.table, noArtifactsEl, partialEl, internalToggle);
    const cardList = el('ul', { className: 'cards' });
    const cardsEl = el('section', { className: 'cards-section', testid: 'cards', hidden: true }, el('h2', {}, 'Cards'), cardList);
    const footerEl = el('section', { className: 'footer', testid: 'footer', hidden: true });
    const content = el('div', { className: 'content', hidden: true }, failureEl, outputSection, artifactsSection, cardsEl, footerEl);

    clear(root);
    append(root, header, emptyEl, content);

    select.addEventListener('change', () => {
      if (COMPARISONS.some(([v]) => v === select.value)) state.comparison = select.value;
      for (const entry of state.artifacts.values()) updateRow(entry);
    });
    cancelButton.addEventListener('click', () => vscode.postMessage({ type: 'cancel' }));
    internalToggle.addEventListener('click', () => {
      state.showInternal = !state.showInternal;
      layoutArtifacts();
    });

    // ---- state changes

    function setStatus(status) {
      state.status = status;
      statusEl.textContent = STATUS_TEXT[status] || status;
      statusEl.setAttribute('data-status', status);
      const running = status === 'starting' || status === 'preparing' || status === 'running';
      cancelButton.hidden = !running;
      if (running && state.timer === undefined) {
        state.timer = setInterval(renderTimings, 250);
      } else if (!running && state.timer !== undefined) {
        clearInterval(state.timer);
        state.timer = undefined;
      }
      renderTimings();
    }

    function reset(uri, step) {
      state.uri = uri;
      state.step = step;
      state.artifacts = new Map();
      state.logChars = 0;
      state.terminal = undefined;
      state.startedAt = Date.now();
      flowEl.textContent = basename(uri);
      stepEl.textContent = step ? `.${step}` : '';
      clear(sourceEl);
      clear(timingsEl);
      clear(failureEl);
      failureEl.hidden = true;
      clear(logEl);
      logTrimmedEl.hidden = true;
      logEmptyEl.hidden = false;
      logEmptyEl.textContent = 'No output yet.';
      for (const tbody of [results.rows, results.internalRows, partial.rows, partial.internalRows]) clear(tbody);
      layoutArtifacts();
      clear(cardList);
      cardsEl.hidden = true;
      clear(footerEl);
      footerEl.hidden = true;
      progressEl.hidden = true;
      progressEl.textContent = '';
      emptyEl.hidden = true;
      content.hidden = false;
      setStatus('starting');
    }

    function renderTimings() {
      clear(timingsEl);
      const terminal = state.terminal;
      if (terminal && isObject(terminal.timings)) {
        const t = terminal.timings;
        const parts = [];
        for (const [key, label] of [['prepare_s', 'prepare'], ['load_s', 'load'], ['step_s', 'step'], ['outputs_s', 'outputs'], ['total_s', 'total']]) {
          if (typeof t[key] === 'number') parts.push(`${label} ${formatSeconds(t[key])}`);
        }
        timingsEl.textContent = parts.join(' · ');
      } else if (state.startedAt !== undefined && state.status !== 'idle') {
        timingsEl.textContent = `${formatSeconds((Date.now() - state.startedAt) / 1000)} elapsed`;
      }
    }

    function onStarted(e) {
      flowEl.textContent = String(e.flow);
      stepEl.textContent = `.${e.step}`;
      state.step = e.step;
      clear(sourceEl);
      const s = isObject(e.source) ? e.source : {};
      const parts = [`run ${s.run_id}`];
      if (s.task_id !== null && s.task_id !== undefined) parts.push(`task ${s.task_id}`);
      if (typeof s.index === 'number') parts.push(`index ${s.index}`);
      append(sourceEl,
        el('span', { className: 'label' }, 'inputs from '),
        el('span', { testid: 'source-run', title: Array.isArray(s.parents) ? `parents: ${s.parents.join(', ')}` : undefined }, parts.join(' · ')),
        el('span', { className: `kernel badge ${e.warm ? 'warm' : 'cold'}`, testid: 'kernel' }, e.warm ? 'warm kernel' : 'new kernel'),
      );
      progressEl.hidden = true;
      setStatus('running');
    }

    function onProgress(e) {
      progressEl.hidden = false;
      progressEl.textContent = String(e.message);
      if (state.status === 'starting') setStatus('preparing');
    }

    function onLog(e) {
      const stream = e.stream === 'stderr' ? 'stderr' : 'stdout';
      const text = String(e.text);
      const atBottom = logEl.scrollHeight - logEl.scrollTop - logEl.clientHeight < 8;
      const last = logEl.lastElementChild;
      if (last && last.getAttribute('data-stream') === stream) {
        last.appendChild(document.createTextNode(text));
      } else {
        logEl.appendChild(el('span', { className: stream, data: { stream } }, text));
      }
      logEmptyEl.hidden = true;
      state.logChars += text.length;
      trimLog();
      if (atBottom) logEl.scrollTop = logEl.scrollHeight;
    }

    // Keep the newest MAX_LOG_CHARS characters: older spans go whole, then the
    // oldest one left loses its start (one long stream is cut, never cleared).
    function trimLog() {
      while (state.logChars > MAX_LOG_CHARS && logEl.firstElementChild) {
        const first = logEl.firstElementChild;
        const size = first.textContent.length;
        const excess = state.logChars - MAX_LOG_CHARS;
        if (size <= excess) {
          logEl.removeChild(first);
          state.logChars -= size;
        } else {
          first.textContent = first.textContent.slice(excess);
          state.logChars -= excess;
        }
        logTrimmedEl.hidden = false;
      }
    }

    function statusOf(e, comparison) {
      const value = e[`vs_${comparison}`];
      return value === 'new' || value === 'changed' || value === 'unchanged' ? value : 'none';
    }

    function onArtifact(e) {
      const name = String(e.name);
      const existing = state.artifacts.get(name);
      if (existing) {
        existing.event = e;
        updateRow(existing);
        return;
      }
      const badge = el('span', { className: 'badge', testid: 'artifact-status' });
      const toggle = el('button', { className: 'toggle', type: 'button', 'aria-expanded': 'false', title: 'Show the difference' }, '▸');
      const summaryCell = el('td', { className: 'summary' });
      const row = el('tr', { className: 'artifact', testid: 'artifact-row', data: { name } },
        el('td', { className: 'toggle-col' }, toggle),
        el('td', { className: 'name' }, name),
        el('td', { className: 'type', title: String(e.type) }, shortType(e.type)),
        el('td', { className: 'num size' }, formatSize(e.size)),
        el('td', {}, badge),
        summaryCell);
      const detailCell = el('td', { colspan: '6' });
      const detailRow = el('tr', { className: 'detail', testid: 'artifact-detail', data: { name }, hidden: true }, detailCell);
      const entry = { event: e, row, badge, toggle, summaryCell, detailRow, detailCell, expanded: false };
      row.addEventListener('click', (ev) => {
        if (ev.target instanceof Element && ev.target.closest('a')) return;
        entry.expanded = !entry.expanded;
        updateRow(entry);
      });
      state.artifacts.set(name, entry);
      const group = e.partial ? partial : results;
      const tbody = e.internal ? group.internalRows : group.rows;
      tbody.appendChild(row);
      tbody.appendChild(detailRow);
      layoutArtifacts();
      updateRow(entry);
    }

    function countArtifacts(isPartial, isInternal) {
      let n = 0;
      for (const { event: e } of state.artifacts.values()) {
        if (Boolean(e.partial) === isPartial && Boolean(e.internal) === isInternal) n++;
      }
      return n;
    }

    /** Counts, tables and notes for the artifacts so far and the internal toggle. */
    function layoutArtifacts() {
      const own = countArtifacts(false, false);
      const ownPartial = countArtifacts(true, false);
      const internal = countArtifacts(false, true);
      const internalPartial = countArtifacts(true, true);
      countEl.textContent = own ? plural(own, 'artifact') : '';
      internalToggle.hidden = internal + internalPartial === 0;
      internalToggle.textContent = `${state.showInternal ? 'hide' : 'show'} Metaflow's internal artifacts (${internal + internalPartial})`;
      internalToggle.setAttribute('aria-pressed', String(state.showInternal));
      results.internalRows.hidden = !state.showInternal;
      partial.internalRows.hidden = !state.showInternal;
      const shows = (mine, theirs) => mine > 0 || (state.showInternal && theirs > 0);
      // While the spin runs the table stays, so the first rows do not move the page;
      // a spin that ended without any says so instead of showing an empty table.
      const ended = state.terminal !== undefined;
      results.table.hidden = ended && !shows(own, internal);
      noArtifactsEl.hidden = !ended || own + ownPartial > 0;
      partialEl.hidden = !shows(ownPartial, internalPartial);
    }

    function updateRow(entry) {
      const e = entry.event;
      const status = statusOf(e, state.comparison);
      entry.row.setAttribute('data-status', status);
      entry.badge.className = `badge status-${status}`;
      entry.badge.setAttribute('data-status', status);
      entry.badge.textContent = status === 'none' ? '—' : status;
      clear(entry.summaryCell);
      append(entry.summaryCell, String(e.summary));
      if (e.error) entry.summaryCell.appendChild(el('span', { className: 'artifact-error', testid: 'artifact-error' }, ` ⚠ ${e.error}`));
      entry.toggle.textContent = entry.expanded ? '▾' : '▸';
      entry.toggle.setAttribute('aria-expanded', String(entry.expanded));
      entry.detailRow.hidden = !entry.expanded;
      clear(entry.detailCell);
      if (entry.expanded) entry.detailCell.appendChild(renderArtifactDetail(e));
    }

    function renderArtifactDetail(e) {
      const [comparison, label] = COMPARISONS.find(([v]) => v === state.comparison) || COMPARISONS[0];
      const status = statusOf(e, comparison);
      const box = el('div', { className: 'artifact-detail' });
      box.appendChild(el('div', { className: 'facts' },
        fact('type', String(e.type)),
        fact('size', formatSize(e.size)),
        fact('value', String(e.summary))));
      if (e.error) box.appendChild(el('div', { className: 'diff-error' }, String(e.error)));
      if (status === 'none') {
        box.appendChild(el('div', { className: 'note' }, `No ${label} to compare with.`));
      } else if (status === 'unchanged') {
        box.appendChild(el('div', { className: 'note' }, `Unchanged vs the ${label}.`));
      } else if (status === 'new') {
        box.appendChild(el('div', { className: 'note' }, `New: not in the ${label}.`));
      } else {
        const diff = isObject(e.diffs) ? e.diffs[comparison] : undefined;
        box.appendChild(diff ? renderDiff(diff, { diffRows: state.diffRows }) : el('div', { className: 'note' }, `Changed vs the ${label} (no diff reported).`));
      }
      return box;
    }

    function fileLink(file, line, text) {
      const a = el('a', { href: '#', className: 'file-link', testid: 'file-link', data: { file, line: line ?? '' } }, text);
      a.addEventListener('click', (ev) => {
        ev.preventDefault();
        vscode.postMessage({ type: 'openFile', file, line: typeof line === 'number' ? line : null });
      });
      return a;
    }

    /** Traceback text with `File "...", line N` turned into links. */
    function renderTraceback(text) {
      const pre = el('pre', { className: 'traceback', testid: 'traceback' });
      const pattern = /File "([^"]+)", line (\d+)/;
      for (const line of String(text).split('\n')) {
        const m = pattern.exec(line);
        if (m) {
          pre.appendChild(document.createTextNode(line.slice(0, m.index)));
          pre.appendChild(fileLink(m[1], Number(m[2]), m[0]));
          pre.appendChild(document.createTextNode(line.slice(m.index + m[0].length)));
        } else {
          pre.appendChild(document.createTextNode(line));
        }
        pre.appendChild(document.createTextNode('\n'));
      }
      return pre;
    }

    function onFailed(e) {
      state.terminal = e;
      layoutArtifacts();
      const cancelled = e.kind === 'cancelled';
      clear(failureEl);
      failureEl.className = `failure ${cancelled ? 'cancelled' : ''}`;
      failureEl.appendChild(el('h2', {}, cancelled ? 'Cancelled' : `Failed (${e.kind})`));
      failureEl.appendChild(el('div', { className: 'error', testid: 'failure-error' }, String(e.error)));
      if (e.code) failureEl.appendChild(el('div', { className: 'muted' }, `code: ${e.code}`));
      if (typeof e.file === 'string' && e.file) {
        const where = typeof e.line === 'number' ? `${basename(e.file)}:${e.line}` : basename(e.file);
        const link = fileLink(e.file, typeof e.line === 'number' ? e.line : null, where);
        link.setAttribute('data-testid', 'failure-location');
        failureEl.appendChild(el('div', { className: 'location' }, 'at ', link));
      }
      if (typeof e.traceback === 'string' && e.traceback) failureEl.appendChild(renderTraceback(e.traceback));
      failureEl.hidden = false;
      progressEl.hidden = true;
      if (state.logChars === 0) logEmptyEl.textContent = 'No output.';
      setStatus(cancelled ? 'cancelled' : 'failed');
    }

    /** The step's @card output. A click opens the card's HTML file as text: this CSP renders no HTML from data. */
    function renderCards(cards) {
      clear(cardList);
      for (const card of cards) {
        if (!isObject(card) || typeof card.path !== 'string' || !card.path) continue;
        const link = fileLink(card.path, null, String(card.type));
        link.setAttribute('data-testid', 'card');
        link.setAttribute('title', card.path);
        const id = typeof card.id === 'string' && card.id ? el('span', { className: 'card-id muted', testid: 'card-id' }, card.id) : null;
        cardList.appendChild(el('li', {}, link, id));
      }
      cardsEl.hidden = cardList.childNodes.length === 0;
    }

    function onFinished(e) {
      state.terminal = e;
      layoutArtifacts();
      renderCards(Array.isArray(e.cards) ? e.cards : []);
      clear(footerEl);
      const next = Array.isArray(e.next_steps) ? e.next_steps.map(String) : [];
      if (next.length) {
        const foreach = e.foreach ? ` (foreach over ${e.foreach})` : '';
        footerEl.appendChild(el('div', { testid: 'next-steps' }, `next: ${next.join(', ')}${foreach}`));
      }
      if (Array.isArray(e.removed) && e.removed.length) {
        footerEl.appendChild(el('div', { className: 'removed', testid: 'removed' }, `no longer produced (vs the source run): ${e.removed.map(String).join(', ')}`));
      }
      if (e.record) footerEl.appendChild(el('div', { className: 'muted', testid: 'record' }, `recorded in ${e.record}`));
      footerEl.hidden = footerEl.childNodes.length === 0;
      progressEl.hidden = true;
      if (state.logChars === 0) logEmptyEl.textContent = 'No output.';
      setStatus('ok');
    }

    function onEvent(e) {
      if (!isObject(e) || typeof e.event !== 'string') return;
      if (state.status === 'idle') reset(state.uri || '', state.step || '');
      switch (e.event) {
        case 'progress': onProgress(e); break;
        case 'started': onStarted(e); break;
        case 'log': onLog(e); break;
        case 'artifact': onArtifact(e); break;
        case 'finished': onFinished(e); break;
        case 'failed': onFailed(e); break;
        default: break;
      }
    }

    function handleMessage(message) {
      if (!isObject(message)) return;
      switch (message.type) {
        case 'spin':
          if (typeof message.uri === 'string' && typeof message.step === 'string') reset(message.uri, message.step);
          break;
        case 'event':
          onEvent(message.event);
          break;
        case 'settings':
          if (typeof message.diffRows === 'number' && message.diffRows >= 1) {
            state.diffRows = Math.floor(message.diffRows);
            for (const entry of state.artifacts.values()) if (entry.expanded) updateRow(entry);
          }
          break;
        default:
          break;
      }
    }

    return { handleMessage, state };
  }

  return { createPanel, renderDiff, formatValue, formatSize, formatSeconds, shortType, el };
})();

if (typeof module === 'object' && module && module.exports) {
  module.exports = SpinlensPanel;
}

if (typeof acquireVsCodeApi === 'function') {
  // eslint-disable-next-line no-undef
  const vscodeApi = acquireVsCodeApi();
  const panel = SpinlensPanel.createPanel(document.getElementById('app') || document.body, vscodeApi);
  window.addEventListener('message', (event) => panel.handleMessage(event.data));
  vscodeApi.postMessage({ type: 'ready' });
}
