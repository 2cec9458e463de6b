/**
 * Where an artifact row goes: its group (the step's own artifacts, the flow's
 * Parameters and Configs, Metaflow's), and its place in the group. The order
 * depends only on names and statuses, so two spins of a step list their rows
 * alike however the events arrived.
 */
import type { ArtifactEvent, ArtifactStatus } from '../src/protocol';

/** A row's status against the chosen comparison; `none`: nothing to compare with. */
export type Shown = ArtifactStatus | 'none';

export type GroupId = 'step' | 'parameters' | 'internal';

export interface Group {
  id: GroupId;
  /** The heading of the group's rows; null: no heading (the step's own rows). */
  label: string | null;
  /** Closed until the reader opens it (the choice is remembered). */
  collapsible: boolean;
}

/** The groups in the order the tables list them. */
export const GROUPS: readonly Group[] = [
  { id: 'step', label: null, collapsible: false },
  { id: 'parameters', label: 'Parameters and configs', collapsible: true },
  { id: 'internal', label: "Metaflow's own artifacts", collapsible: true },
];

/** The one place a row's group is chosen. */
export function groupOf(e: ArtifactEvent): GroupId {
  if (e.internal) return 'internal';
  if (e.parameter) return 'parameters';
  return 'step';
}

/** Changed and new first (what the spin did), then rows with nothing to compare with, then unchanged. */
const RANK: Readonly<Record<Shown, number>> = { changed: 0, new: 0, none: 1, unchanged: 2 };

// A–Z the way a reader sorts (case aside, iter_2 before iter_10); code points break ties.
const collator = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });

export interface Sortable {
  name: string;
  status: Shown;
}

export function compareRows(a: Sortable, b: Sortable): number {
  const byRank = RANK[a.status] - RANK[b.status];
  if (byRank) return byRank;
  return collator.compare(a.name, b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
