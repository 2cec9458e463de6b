/**
 * Pan (drag the background) and zoom (wheel, around the pointer) of the graph's
 * viewport group. The transform lives here, not in the drawing, so a redraw of
 * the graph (an edit, a new outcome) keeps where the user was looking.
 */

export interface Transform {
  x: number;
  y: number;
  k: number;
}

export const MIN_SCALE = 0.2;
export const MAX_SCALE = 3;
const FIT_MARGIN = 16;
/** A pointer that moved less than this between down and up made a click, not a drag. */
const DRAG_SLOP = 4;

export function clampScale(k: number): number {
  return Math.min(MAX_SCALE, Math.max(MIN_SCALE, k));
}

/** The transform showing a `width` x `height` drawing whole, centred, never enlarged past 1. */
export function fitTransform(width: number, height: number, viewWidth: number, viewHeight: number): Transform {
  if (width <= 0 || height <= 0 || viewWidth <= 0 || viewHeight <= 0) return { x: 0, y: 0, k: 1 };
  const k = clampScale(Math.min(1, (viewWidth - 2 * FIT_MARGIN) / width, (viewHeight - 2 * FIT_MARGIN) / height));
  return { x: (viewWidth - width * k) / 2, y: Math.max(FIT_MARGIN, (viewHeight - height * k) / 2), k };
}

/** `t` zoomed by `factor` keeping the drawing's point under (px, py) in place. */
export function zoomAt(t: Transform, factor: number, px: number, py: number): Transform {
  const k = clampScale(t.k * factor);
  const ratio = k / t.k;
  return { x: px - (px - t.x) * ratio, y: py - (py - t.y) * ratio, k };
}

export function transformAttribute(t: Transform): string {
  return `translate(${t.x} ${t.y}) scale(${t.k})`;
}

export class PanZoom {
  private transform: Transform = { x: 0, y: 0, k: 1 };
  private drag: { pointer: number; startX: number; startY: number; from: Transform } | undefined;
  /** Set when the last pointer gesture moved: the click that ends it is not a click on a node. */
  private dragged = false;

  constructor(
    private readonly surface: SVGSVGElement,
    private readonly viewport: SVGGElement,
  ) {
    surface.addEventListener('wheel', (event) => this.onWheel(event), { passive: false });
    surface.addEventListener('pointerdown', (event) => this.onDown(event));
    surface.addEventListener('pointermove', (event) => this.onMove(event));
    surface.addEventListener('pointerup', (event) => this.onUp(event));
    surface.addEventListener('pointercancel', (event) => this.onUp(event));
  }

  get current(): Transform {
    return { ...this.transform };
  }

  set(transform: Transform): void {
    this.transform = { ...transform, k: clampScale(transform.k) };
    this.viewport.setAttribute('transform', transformAttribute(this.transform));
  }

  fit(width: number, height: number): void {
    const box = this.surface.getBoundingClientRect();
    this.set(fitTransform(width, height, box.width, box.height));
  }

  zoom(factor: number): void {
    const box = this.surface.getBoundingClientRect();
    this.set(zoomAt(this.transform, factor, box.width / 2, box.height / 2));
  }

  /** Whether the click now being handled ended a drag (and so must not open a step). */
  consumeDrag(): boolean {
    const dragged = this.dragged;
    this.dragged = false;
    return dragged;
  }

  private onWheel(event: WheelEvent): void {
    event.preventDefault();
    const box = this.surface.getBoundingClientRect();
    const factor = Math.exp(-event.deltaY * (event.deltaMode === 1 ? 0.05 : 0.0015));
    this.set(zoomAt(this.transform, factor, event.clientX - box.left, event.clientY - box.top));
  }

  private onDown(event: PointerEvent): void {
    if (event.button !== 0) return;
    this.dragged = false;
    this.drag = { pointer: event.pointerId, startX: event.clientX, startY: event.clientY, from: this.transform };
  }

  private onMove(event: PointerEvent): void {
    const drag = this.drag;
    if (!drag || drag.pointer !== event.pointerId) return;
    const dx = event.clientX - drag.startX;
    const dy = event.clientY - drag.startY;
    if (!this.dragged && Math.hypot(dx, dy) < DRAG_SLOP) return;
    if (!this.dragged) this.surface.setPointerCapture?.(event.pointerId);
    this.dragged = true;
    this.set({ x: drag.from.x + dx, y: drag.from.y + dy, k: drag.from.k });
  }

  private onUp(event: PointerEvent): void {
    if (this.drag?.pointer !== event.pointerId) return;
    this.drag = undefined;
    if (this.surface.hasPointerCapture?.(event.pointerId)) this.surface.releasePointerCapture(event.pointerId);
  }
}
