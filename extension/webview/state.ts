/** What the panel's sections share about the spin on display, and how they talk to the extension. */
import type { FromWebview } from '../src/messages';
import type { TerminalEvent } from '../src/protocol';

export type Status = 'idle' | 'starting' | 'preparing' | 'running' | 'ok' | 'failed' | 'cancelled';

export const STATUS_TEXT: Readonly<Record<Status, string>> = {
  idle: 'idle',
  starting: 'starting…',
  preparing: 'preparing…',
  running: 'running…',
  ok: 'ok',
  failed: 'failed',
  cancelled: 'cancelled',
};

export function isRunning(status: Status): boolean {
  return status === 'starting' || status === 'preparing' || status === 'running';
}

export interface SpinState {
  /** The spun document and step, as the extension announced them. */
  uri: string | undefined;
  step: string | undefined;
  status: Status;
  /** When the panel started showing this spin (ms), for the elapsed time. */
  startedAt: number | undefined;
  /** `finished` or `failed`, once the spin ended. */
  terminal: TerminalEvent | undefined;
}

/** Sends a message to the extension: only the shapes it accepts. */
export type Post = (message: FromWebview) => void;
