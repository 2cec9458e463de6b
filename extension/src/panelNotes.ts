/**
 * The results panel's messages about spins other than the one it shows, and
 * about the shown spin's foreach child: extension -> webview, beside
 * messages.ts's. Types only (the webview's script imports them).
 */

/** A spin the panel lists beside the one it shows: queued behind another, or running. */
export interface QueueItem {
  requestId: string;
  step: string;
  state: 'queued' | 'running';
  /** The step of the spin ahead of it in the same file (it runs when that one ends). */
  after: string | undefined;
}

/**
 * Extension -> webview messages about spins other than the one shown, and about
 * the shown spin's foreach child (the results panel's own, beside messages.ts's).
 */
export type PanelNote =
  | { type: 'queue'; items: QueueItem[] }
  /** `alphas=0.01`: the foreach child the shown spin ran, when the picker knew its value. */
  | { type: 'child'; text: string };
