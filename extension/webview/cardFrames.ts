/**
 * @card previews: each card's HTML in an `<iframe sandbox="allow-scripts">` whose
 * `srcdoc` is the card with the panel's nonce on its own `<script>` elements.
 *
 * A srcdoc frame inherits the panel's CSP, so only those scripts run (the card
 * draws itself with them); without allow-same-origin its origin is opaque: no
 * acquireVsCodeApi, no access to the panel's DOM. What it can still do is
 * `parent.postMessage`, so dropCardMessages keeps its messages from the panel.
 */

/** Exactly this: scripts, and nothing that would give the card the panel's origin. */
export const CARD_SANDBOX = 'allow-scripts';

/** The nonce of the script running the panel (read once, while it runs). */
function readNonce(): string {
  const script = document.currentScript ?? document.querySelector('script[nonce]');
  if (!(script instanceof HTMLElement)) return '';
  // Browsers hide the attribute once the CSP has read it; the property keeps it.
  return script.nonce || script.getAttribute('nonce') || '';
}

const PANEL_NONCE = readNonce();

export function panelNonce(): string {
  return PANEL_NONCE;
}

/**
 * The card's document for `srcdoc`: parsed (DOMParser runs nothing), every
 * `nonce` it carried removed, then the panel's nonce set on its own `<script>`s and
 * `<style>`s (the frame inherits the panel's policy, which lets nonce-carrying ones run).
 */
export function cardSrcdoc(html: string, nonce: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  for (const node of Array.from(doc.querySelectorAll('[nonce]'))) node.removeAttribute('nonce');
  if (nonce) for (const node of Array.from(doc.querySelectorAll('script, style'))) node.setAttribute('nonce', nonce);
  return serializeDocument(doc);
}

const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source', 'track', 'wbr', 'basefont', 'bgsound', 'frame', 'keygen']);
// noscript is not among them: DOMParser parses with scripting off, so its content is markup.
const RAW_TEXT = new Set(['script', 'style', 'xmp', 'iframe', 'noembed', 'noframes', 'plaintext']);

const escapeText = (s: string): string => s.replace(/&/g, '&amp;').replace(/\u00a0/g, '&nbsp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string): string => s.replace(/&/g, '&amp;').replace(/\u00a0/g, '&nbsp;').replace(/"/g, '&quot;');

/**
 * HTML's serialisation algorithm (as the DOM's own serialiser does it), written out
 * because the panel's script uses none of the DOM's HTML getters or sinks.
 */
export function serializeDocument(doc: Document): string {
  const out: string[] = ['<!DOCTYPE html>'];
  const walk = (node: Node, rawText: boolean): void => {
    if (node.nodeType === Node.TEXT_NODE) {
      out.push(rawText ? (node.nodeValue ?? '') : escapeText(node.nodeValue ?? ''));
    } else if (node.nodeType === Node.COMMENT_NODE) {
      out.push(`<!--${node.nodeValue ?? ''}-->`);
    } else if (node.nodeType === Node.ELEMENT_NODE) {
      const element = node as Element;
      const html = element.namespaceURI === 'http://www.w3.org/1999/xhtml';
      const tag = html ? element.localName : element.tagName;
      out.push(`<${tag}`);
      for (const attr of Array.from(element.attributes)) out.push(` ${attr.name}="${escapeAttr(attr.value)}"`);
      out.push('>');
      if (html && VOID.has(tag)) return;
      const children = element instanceof HTMLTemplateElement ? element.content.childNodes : element.childNodes;
      for (const child of Array.from(children)) walk(child, html && RAW_TEXT.has(tag));
      out.push(`</${tag}>`);
    }
  };
  walk(doc.documentElement, false);
  return out.join('');
}

/** A card frame: sandboxed, its document set from the card's HTML. */
export function cardFrame(html: string, title: string): HTMLIFrameElement {
  const frame = document.createElement('iframe');
  frame.setAttribute('sandbox', CARD_SANDBOX);
  frame.setAttribute('data-testid', 'card-frame');
  frame.setAttribute('title', title);
  frame.className = 'card-frame';
  frame.srcdoc = cardSrcdoc(html, panelNonce());
  return frame;
}

/**
 * Whether a message came from a frame inside this document (a card, or a frame
 * a card made): its window's parent chain reaches ours. VS Code's host messages
 * come from the webview's outer frame, our parent, so they never do. A sandboxed
 * frame's messages have origin "null"; the host's never.
 */
export function fromInnerFrame(event: MessageEvent<unknown>, own: Window = window): boolean {
  if (event.origin === 'null') return true;
  let source = event.source;
  for (let depth = 0; source && depth < 32; depth++) {
    if (!('parent' in source)) return false; // a MessagePort or ServiceWorker: not a frame
    const up: Window | null = source.parent;
    if (!up || up === source) return false; // reached the top without passing through ours
    if (up === own) return true;
    source = up;
  }
  return false;
}

/** A capturing listener for the panel's window: stops messages from inner frames before any other listener. */
export function dropCardMessages(event: MessageEvent<unknown>): void {
  if (!fromInnerFrame(event)) return;
  event.stopImmediatePropagation();
  console.warn('Spinlens: ignored a message from a card frame');
}
