/** The event streams of fixtures/events.json (made by make_fixtures.py from the backend). */
import { existsSync, readFileSync } from 'node:fs';
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

/**
 * The Python that has the backend: `SPINLENS_LSP_PYTHON`, else the repository's
 * `.venv` (`make test-extension` creates it first). Tests that need the real
 * backend fail, rather than skip, without one.
 */
export function backendPython(): string {
  const python = process.env.SPINLENS_LSP_PYTHON ?? repoFile('.venv/bin/python');
  if (!existsSync(python)) {
    throw new Error(`no backend Python at ${python}: run \`make test-extension\` (it creates .venv), or set SPINLENS_LSP_PYTHON`);
  }
  return python;
}
