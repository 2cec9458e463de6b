/**
 * A laid-out flow as SVG: one `<g class="node">` per step (name, kind, the last
 * spin's outcome, spin and debug buttons) and one path per edge, labelled with
 * the split variable or the conditional's case. Colours are CSS classes that
 * media/graph.css maps to VS Code's theme variables. The view handles clicks
 * by delegation (data-action, data-step), so nothing here holds a listener.
 */
import { type StepOutcome, outcomeFor } from '../src/graphMessages';
import { ACTIONS_WIDTH, type FlowLayout, NODE_PADDING, type PlacedEdge, type PlacedNode, type Point, kindLine } from './layout';
import { svg } from './svg';

export type NodeAction = 'spin' | 'debug';

const ARROW_KINDS = ['normal', 'foreach', 'conditional', 'recursion'] as const;

/** The node's last line: how its last spin went, or nothing. */
export function outcomeText(outcome: StepOutcome | undefined): string {
  if (!outcome) return '';
  switch (outcome.status) {
    case 'ok':
      return `✓ ok · ${outcome.changed} changed`;
    case 'failed':
      return '✗ failed';
    case 'cancelled':
      return 'cancelled';
    case 'running':
      return 'spinning…';
  }
}

/** Arrow heads, one per edge kind so each takes its edge's colour from the stylesheet. */
export function arrowDefs(): SVGDefsElement {
  return svg(
    'defs',
    {},
    ...ARROW_KINDS.map((kind) =>
      svg(
        'marker',
        {
          id: `arrow-${kind}`,
          class: `arrow arrow-${kind}`,
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          markerWidth: 7,
          markerHeight: 7,
          orient: 'auto-start-reverse',
        },
        svg('path', { d: 'M 0 0 L 10 5 L 0 10 z' }),
      ),
    ),
  );
}

function pathData(points: readonly Point[]): string {
  return points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${round(p.x)} ${round(p.y)}`).join(' ');
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

function renderEdge(placed: PlacedEdge): SVGGElement {
  const { edge, points, label } = placed;
  const group = svg('g', {
    class: `edge edge-${edge.kind}`,
    'data-testid': 'edge',
    'data-from': edge.from,
    'data-to': edge.to,
    'data-kind': edge.kind,
  });
  if (points.length >= 2) {
    group.appendChild(svg('path', { class: 'edge-line', d: pathData(points), 'marker-end': `url(#arrow-${edge.kind})` }));
  }
  if (label) {
    group.appendChild(
      svg(
        'g',
        { class: 'edge-label', 'data-testid': 'edge-label', transform: `translate(${round(label.x)} ${round(label.y)})` },
        svg('rect', { width: label.width, height: label.height, rx: 3 }),
        svg('text', { x: label.width / 2, y: label.height / 2, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, label.text),
      ),
    );
  }
  return group;
}

/** A play triangle; the debug button adds a dot, as VS Code's "debug-alt" icon does. */
function actionButton(action: NodeAction, step: string, x: number, y: number): SVGGElement {
  const title = action === 'spin' ? `Spin ${step}` : `Debug ${step}`;
  return svg(
    'g',
    {
      class: `node-action action-${action}`,
      'data-testid': `action-${action}`,
      'data-action': action,
      'data-step': step,
      role: 'button',
      tabindex: 0,
      'aria-label': title,
      transform: `translate(${x} ${y})`,
    },
    svg('title', {}, title),
    svg('rect', { width: 20, height: 18, rx: 3 }),
    svg('path', { class: 'icon', d: action === 'spin' ? 'M 7 4 L 15 9 L 7 14 z' : 'M 8 4 L 16 9 L 8 14 z' }),
    action === 'debug' ? svg('circle', { class: 'icon', cx: 5, cy: 13, r: 2.5 }) : null,
  );
}

/** Fits `text` in `width` px of 11px text, with an ellipsis when it does not. */
export function fit(text: string, width: number, charWidth = 6.5): string {
  const room = Math.max(1, Math.floor(width / charWidth));
  return text.length <= room ? text : `${text.slice(0, Math.max(0, room - 1))}…`;
}

function renderNode(placed: PlacedNode, flow: string, outcome: StepOutcome | undefined): SVGGElement {
  const { node, width, height } = placed;
  const status = outcome?.status ?? 'none';
  const outcomeLine = outcomeText(outcome);
  const where = node.file === null ? `line ${node.defLine + 1}` : `${node.file}:${node.defLine + 1}`;
  const tooltip = [
    `${node.step} (${node.kind}), ${where}`,
    outcome?.status === 'failed' && outcome.error ? `last spin failed: ${outcome.error}` : outcomeLine,
    node.missing.length ? `self.next names ${node.missing.join(', ')}: no such step` : '',
  ]
    .filter(Boolean)
    .join('\n');
  const room = width - 2 * NODE_PADDING;
  const classes = ['node', `kind-${node.kind}`, `outcome-${status}`];
  if (node.missing.length) classes.push('has-missing');
  if (node.file !== null) classes.push('inherited');
  const group = svg(
    'g',
    {
      class: classes.join(' '),
      'data-testid': 'node',
      'data-step': node.step,
      'data-flow': flow,
      'data-kind': node.kind,
      'data-outcome': status,
      role: 'button',
      tabindex: 0,
      'aria-label': `${node.step}, ${node.kind}${outcomeLine ? `, ${outcomeLine}` : ''}`,
      transform: `translate(${round(placed.x)} ${round(placed.y)})`,
    },
    svg('title', {}, tooltip),
    svg('rect', { class: 'node-box', width, height, rx: 6 }),
    svg('text', { class: 'node-name', 'data-testid': 'node-name', x: NODE_PADDING, y: 22 }, fit(node.step, room, 8)),
    svg(
      'text',
      { class: 'node-kind', 'data-testid': 'node-kind', x: NODE_PADDING, y: 40 },
      fit(node.missing.length ? `${kindLine(node)} · ⚠ ${node.missing.join(', ')}?` : kindLine(node), room),
    ),
    svg(
      'text',
      { class: 'node-outcome', 'data-testid': 'node-outcome', x: NODE_PADDING, y: 60 },
      fit(outcomeLine, room - ACTIONS_WIDTH),
    ),
    actionButton('spin', node.step, width - NODE_PADDING - 44, height - 26),
    actionButton('debug', node.step, width - NODE_PADDING - 20, height - 26),
  );
  return group;
}

/** The drawing of one laid-out flow, edges under nodes. */
export function renderFlow(layout: FlowLayout, outcomes: readonly StepOutcome[]): SVGGElement {
  return svg(
    'g',
    { class: 'flow', 'data-testid': 'flow', 'data-flow': layout.flow },
    svg('g', { class: 'edges' }, ...layout.edges.map(renderEdge)),
    svg('g', { class: 'nodes' }, ...layout.nodes.map((n) => renderNode(n, layout.flow, outcomeFor(outcomes, layout.flow, n.node.step)))),
  );
}
