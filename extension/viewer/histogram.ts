/**
 * An array's histogram (or line plot of its first values), drawn by uPlot
 * (MIT, ~50 KB, canvas only: no eval, no inline <style>; its few element styles
 * are set through the CSSOM, which the nonce-only CSP allows). Bundled into
 * media/viewer.js: no CDN.
 */
import uPlot from 'uplot';
import type { ArrayPage } from './pages';

const HEIGHT = 220;

/** Bars at each bin's left edge, one series of counts. */
export function histogramData(histogram: NonNullable<ArrayPage['histogram']>): [number[], number[]] {
  return [histogram.edges.slice(0, -1), histogram.counts.slice()];
}

/** The first values as (position, value); NaN and infinities (sent as text) become gaps. */
export function lineData(line: NonNullable<ArrayPage['line']>): [number[], (number | null)[]] {
  return [line.map((_, i) => i), line.map((v) => (typeof v === 'number' ? v : null))];
}

export function drawChart(target: HTMLElement, page: ArrayPage, mode: 'histogram' | 'line'): uPlot | undefined {
  const width = Math.max(240, Math.min(900, target.clientWidth || 600));
  const stroke = getComputedStyle(document.body).getPropertyValue('--vscode-charts-blue').trim() || '#3794ff';
  const axis = { stroke: getComputedStyle(document.body).color || '#ccc', grid: { stroke: 'rgba(128,128,128,0.2)' } };
  if (mode === 'histogram' && page.histogram) {
    const bars = uPlot.paths.bars ? uPlot.paths.bars({ size: [0.95, Infinity], align: 1 }) : undefined;
    return new uPlot(
      {
        width,
        height: HEIGHT,
        scales: { x: { time: false } },
        legend: { show: false },
        axes: [axis, axis],
        series: [{}, { label: 'count', stroke, fill: stroke, paths: bars }],
      },
      histogramData(page.histogram),
      target,
    );
  }
  if (mode === 'line' && page.line) {
    return new uPlot(
      {
        width,
        height: HEIGHT,
        scales: { x: { time: false } },
        legend: { show: false },
        axes: [axis, axis],
        series: [{}, { label: 'value', stroke, spanGaps: false }],
      },
      lineData(page.line),
      target,
    );
  }
  return undefined;
}
