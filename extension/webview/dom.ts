/**
 * Building DOM from data without markup: strings become text nodes or
 * `textContent`, never HTML, so artifact reprs, logs and tracebacks that contain
 * markup show as text.
 */

type AttributeValue = string | number | boolean | null | undefined;

/** `className`, `testid` (data-testid), `data` (data-*), or any attribute. Children carry the text. */
export interface Attrs {
  className?: string;
  testid?: string;
  data?: Record<string, string | number>;
  [attribute: string]: AttributeValue | Record<string, string | number>;
}

/** A child: a node, or a string (a text node); null, undefined and false are skipped. */
export type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'data' && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) node.setAttribute(`data-${k}`, String(v));
    } else if (key === 'className') node.className = String(value);
    else if (key === 'testid') node.setAttribute('data-testid', String(value));
    else node.setAttribute(key, String(value));
  }
  append(node, ...children);
  return node;
}

export function append<T extends Node>(node: T, ...children: Child[]): T {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}
