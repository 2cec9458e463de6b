/**
 * The spins of this window and their events.
 *
 * Each spin request carries a `requestId` this store chose, and the server puts
 * it on every event of that spin, so events are matched by it whatever order
 * the spins run in. No `vscode` import: the routing is unit-tested.
 */
import { randomUUID } from 'node:crypto';
import {
  type ArtifactEvent,
  type FailedEvent,
  type SpinEvent,
  type SpinResult,
  type TerminalEvent,
} from './protocol';
import type { QueueItem } from './panelNotes';

export type SpinState = 'pending' | 'running' | 'ok' | 'failed' | 'cancelled';

export interface SpinRecord {
  readonly id: number;
  /** Sent with the spin request; the server's events for it carry it back. */
  readonly requestId: string;
  readonly uri: string;
  step: string;
  spinId: string | undefined;
  state: SpinState;
  events: SpinEvent[];
  artifacts: ArtifactEvent[];
  terminal: TerminalEvent | undefined;
  flowFile: string | undefined;
  /** ms since the epoch. */
  readonly startedAt: number;
  endedAt: number | undefined;
  /** Characters of log text held (older log events are dropped past the cap). */
  logChars: number;
  /** The server command that ran it (spin, or debug when available). */
  readonly debug: boolean;
}

export interface SpinChange {
  record: SpinRecord;
  /** The event just added; undefined for a new spin or a state change. */
  event?: SpinEvent;
}

export type Listener = (change: SpinChange) => void;

export const MAX_RECORDS = 50;
export const MAX_LOG_CHARS = 4_000_000;

export function isDone(record: SpinRecord): boolean {
  return record.state === 'ok' || record.state === 'failed' || record.state === 'cancelled';
}

/** The step's own artifacts: Metaflow's internal ones are bookkeeping, not results. */
export function userArtifacts(record: SpinRecord): ArtifactEvent[] {
  return record.artifacts.filter((a) => !a.internal);
}

/** The step's own artifacts that differ from the source run (changed or new there). */
export function changedCount(record: SpinRecord): number {
  return userArtifacts(record).filter((a) => a.vs_source !== 'unchanged').length;
}

/** Every unfinished spin but `shown`, oldest first, each with the spin ahead of it in its file. */
export function queueItems(active: readonly SpinRecord[], shown: SpinRecord | undefined): QueueItem[] {
  const items: QueueItem[] = [];
  active.forEach((record, i) => {
    if (record === shown || isDone(record)) return;
    const ahead = active.slice(0, i).filter((r) => r.uri === record.uri && !isDone(r));
    items.push({
      requestId: record.requestId,
      step: record.step,
      state: record.state === 'pending' ? 'queued' : 'running',
      after: ahead[ahead.length - 1]?.step,
    });
  });
  return items;
}

export class SpinStore {
  private records: SpinRecord[] = [];
  private listeners: Listener[] = [];
  private nextId = 1;
  /** Unique to this store, so two windows on one server never share a request id. */
  private readonly prefix = randomUUID();

  constructor(
    private readonly normalizeUri: (uri: string) => string = (uri) => uri,
    private readonly now: () => number = () => Date.now(),
  ) {}

  onDidChange(listener: Listener): { dispose(): void } {
    this.listeners.push(listener);
    return {
      dispose: () => {
        this.listeners = this.listeners.filter((l) => l !== listener);
      },
    };
  }

  private emit(change: SpinChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }

  /** A new spin of `step` in `uri`, requested now. */
  begin(uri: string, step: string, debug = false): SpinRecord {
    const id = this.nextId++;
    const record: SpinRecord = {
      id,
      requestId: `${this.prefix}-${id}`,
      uri: this.normalizeUri(uri),
      step,
      spinId: undefined,
      state: 'pending',
      events: [],
      artifacts: [],
      terminal: undefined,
      flowFile: undefined,
      startedAt: this.now(),
      endedAt: undefined,
      logChars: 0,
      debug,
    };
    this.records.push(record);
    this.prune();
    this.emit({ record });
    return record;
  }

  private prune(): void {
    while (this.records.length > MAX_RECORDS) {
      const index = this.records.findIndex(isDone);
      if (index < 0) break;
      this.records.splice(index, 1);
    }
  }

  /**
   * The spin an event belongs to: the one whose request id it carries, else the
   * one with its spin id; undefined if neither (and it is no stray's start).
   * `requestId` undefined means the server predates request ids (an older
   * spinlens package in the chosen interpreter): it runs a file's spins in the
   * order requested, so a new spin id goes to the oldest spin still waiting.
   */
  private recordFor(uri: string, event: SpinEvent, requestId: string | null | undefined): SpinRecord | undefined {
    if (typeof requestId === 'string') {
      const requested = this.records.find((r) => r.requestId === requestId);
      if (requested) {
        requested.spinId ??= event.spin_id;
        return requested;
      }
    }
    const mine = this.records.filter((r) => r.uri === uri);
    const known = mine.find((r) => r.spinId === event.spin_id);
    if (known) return known;
    if (requestId === undefined) {
      const waiting = mine.find((r) => r.spinId === undefined && !isDone(r));
      if (waiting) {
        waiting.spinId = event.spin_id;
        return waiting;
      }
    }
    if (event.event === 'started') {
      // A spin this window did not ask for (another client of the server): show it too.
      const record = this.begin(uri, event.step);
      record.spinId = event.spin_id;
      return record;
    }
    return undefined;
  }

  /**
   * Adds a server event to its spin (`requestId`: the one the notification
   * carried); returns that spin (undefined when unknown).
   */
  route(uri: string, event: SpinEvent, requestId?: string | null): SpinRecord | undefined {
    const record = this.recordFor(this.normalizeUri(uri), event, requestId);
    if (!record) return undefined;
    this.apply(record, event);
    this.emit({ record, event });
    return record;
  }

  private apply(record: SpinRecord, event: SpinEvent): void {
    record.events.push(event);
    if (record.state === 'pending') record.state = 'running';
    switch (event.event) {
      case 'started':
        record.state = 'running';
        record.flowFile = event.flow_file;
        record.step = event.step;
        break;
      case 'log':
        record.logChars += event.text.length;
        this.trimLogs(record);
        break;
      case 'artifact':
        record.artifacts.push(event);
        break;
      case 'finished':
      case 'failed':
        this.end(record, event);
        break;
      default:
        break;
    }
  }

  private end(record: SpinRecord, event: TerminalEvent): void {
    record.terminal = event;
    record.state =
      event.event === 'finished' ? 'ok' : event.kind === 'cancelled' ? 'cancelled' : 'failed';
    record.endedAt = this.now();
  }

  private trimLogs(record: SpinRecord): void {
    while (record.logChars > MAX_LOG_CHARS) {
      const index = record.events.findIndex((e) => e.event === 'log');
      const dropped = record.events[index];
      if (index < 0 || !dropped || dropped.event !== 'log') break;
      record.events.splice(index, 1);
      record.logChars -= dropped.text.length;
    }
  }

  /**
   * The server answered the spin request (or the request failed). A spin that
   * ended without its terminal event gets a `failed` one, so every view settles.
   */
  complete(record: SpinRecord, result: SpinResult | undefined, error?: string): void {
    if (result && record.spinId === undefined) record.spinId = result.spinId;
    if (isDone(record)) return;
    // The terminal event normally came first; these settle a spin that ended without one.
    if (result && result.status === 'ok' && error === undefined) {
      record.state = 'ok';
      record.endedAt = this.now();
      this.emit({ record });
      return;
    }
    const cancelled = result?.status === 'cancelled';
    const failed: FailedEvent = {
      event: 'failed',
      spin_id: record.spinId ?? '',
      status: 'failed',
      kind: cancelled ? 'cancelled' : 'setup',
      error: error ?? result?.error ?? `The spin ended with status "${result?.status ?? 'unknown'}".`,
      code: null,
      traceback: null,
      file: null,
      line: null,
      timings: {},
    };
    this.apply(record, failed);
    this.emit({ record, event: failed });
  }

  /** The newest spin of `step` in `uri`. */
  latest(uri: string, step?: string): SpinRecord | undefined {
    const key = this.normalizeUri(uri);
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i];
      if (r && r.uri === key && (step === undefined || r.step === step)) return r;
    }
    return undefined;
  }

  /** The spin still running in `uri` (or in any document). */
  running(uri?: string): SpinRecord | undefined {
    const key = uri === undefined ? undefined : this.normalizeUri(uri);
    for (let i = this.records.length - 1; i >= 0; i--) {
      const r = this.records[i];
      if (r && !isDone(r) && (key === undefined || r.uri === key)) return r;
    }
    return undefined;
  }

  /** The unfinished spins (of `uri`, or of every document), oldest first. */
  active(uri?: string): SpinRecord[] {
    const key = uri === undefined ? undefined : this.normalizeUri(uri);
    return this.records.filter((r) => !isDone(r) && (key === undefined || r.uri === key));
  }

  /** The most recently begun spin. */
  last(): SpinRecord | undefined {
    return this.records[this.records.length - 1];
  }
}
