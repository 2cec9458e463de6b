/**
 * The grid's paging and sorting, as pure state: what page to ask for next, and
 * which answer is still wanted (a reply that a newer request overtook is dropped).
 */

export const PAGE_ROWS = 100;

export interface GridState {
  offset: number;
  sort: string | null;
  descending: boolean;
  total: number;
}

export const initialGrid = (): GridState => ({ offset: 0, sort: null, descending: false, total: 0 });

/** A click on a column's header: sort by it ascending, then descending, then not at all. */
export function clickHeader(state: GridState, column: string): GridState {
  if (state.sort !== column) return { ...state, sort: column, descending: false, offset: 0 };
  if (!state.descending) return { ...state, descending: true, offset: 0 };
  return { ...state, sort: null, descending: false, offset: 0 };
}

/** The next (`+1`) or previous (`-1`) page, kept inside the rows there are. */
export function turnPage(state: GridState, step: 1 | -1, rows = PAGE_ROWS): GridState {
  const last = Math.max(0, Math.floor((Math.max(state.total, 1) - 1) / rows) * rows);
  const offset = Math.min(last, Math.max(0, state.offset + step * rows));
  return { ...state, offset };
}

/** "Rows 101–200 of 2,000,000". */
export function rangeText(offset: number, shown: number, total: number): string {
  if (total === 0) return 'No rows';
  const fmt = (n: number): string => n.toLocaleString('en-US');
  return `Rows ${fmt(offset + 1)}–${fmt(offset + shown)} of ${fmt(total)}`;
}

/** Hands out request ids and remembers the newest per slot ("grid", a tree path...). */
export class Requests {
  private next = 1;
  private readonly newest = new Map<string, number>();

  issue(slot: string): number {
    const id = this.next++;
    this.newest.set(slot, id);
    return id;
  }

  /** The slot `id` was issued for, if it is still that slot's newest request. */
  settle(id: number): string | undefined {
    for (const [slot, newest] of this.newest) {
      if (newest === id) {
        this.newest.delete(slot);
        return slot;
      }
    }
    return undefined;
  }

  clear(): void {
    this.newest.clear();
  }
}
