/** The event streams of fixtures/events.json (made by make_fixtures.py from the backend). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type RawEvent = Record<string, unknown> & { event: string; spin_id: string };

export interface Fixtures {
  ok: RawEvent[];
  failed: RawEvent[];
  rejected: RawEvent[];
  cancelled: RawEvent[];
}

export function loadFixtures(): Fixtures {
  const file = fileURLToPath(new URL('./fixtures/events.json', import.meta.url));
  return JSON.parse(readFileSync(file, 'utf8')) as Fixtures;
}

export function repoFile(relative: string): string {
  return fileURLToPath(new URL(`../../${relative}`, import.meta.url));
}
