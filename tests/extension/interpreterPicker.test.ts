import { beforeEach, describe, expect, it } from 'vitest';
import type { Exec, InterpreterFacts } from '../../extension/src/install';
import { type InterpreterItem, chooseInterpreterCommand, interpreterItems } from '../../extension/src/interpreterPicker';
import type { DiscoveryDeps } from '../../extension/src/python';
import { mock } from './mocks/vscode';

beforeEach(() => mock.reset());

/** Each path answers the probe with its own facts (prefix, Metaflow), or does not run. */
function machine(table: Record<string, Partial<InterpreterFacts> | 'missing' | 'broken'>): Exec {
  return (file) => {
    const entry = table[file];
    if (entry === undefined || entry === 'missing') return Promise.resolve({ code: null, stdout: '', stderr: '', spawnError: 'ENOENT' });
    if (entry === 'broken') return Promise.resolve({ code: 127, stdout: '', stderr: 'pyenv: python3.10: command not found' });
    const facts: InterpreterFacts = {
      executable: file,
      prefix: file.replace(/\/bin\/python3?(\.\d+)?$/, ''),
      version: [3, 12, 1],
      metaflow: '2.19.3',
      spinlens: false,
      pip: true,
      externallyManaged: false,
      ...entry,
    };
    return Promise.resolve({ code: 0, stdout: JSON.stringify(facts), stderr: '' });
  };
}

const EXEC = machine({
  '/usr/bin/python3': { metaflow: null, prefix: '/usr', externallyManaged: true },
  '/usr/bin/python3.12': { metaflow: null, prefix: '/usr' },
  '/w/.venv/bin/python': {},
  '/shims/python3.10': 'broken',
});

describe('interpreterItems', () => {
  it('shows each environment once, usable ones first, with what it has', async () => {
    const items = await interpreterItems(
      [
        { python: '/usr/bin/python3', source: 'path' },
        { python: '/usr/bin/python3.12', source: 'path' },
        { python: '/w/.venv/bin/python', source: 'workspace' },
        { python: '/shims/python3.10', source: 'path' },
      ],
      '/usr/bin/python3',
      true,
      EXEC,
    );
    expect(items.map((i) => [i.label, i.description, i.detail])).toEqual([
      ['$(check) /w/.venv/bin/python', 'workspace', 'Python 3.12.1 · Metaflow 2.19.3'],
      ['$(warning) /usr/bin/python3', 'PATH · current', 'Python 3.12.1 · no Metaflow'],
      ['$(edit) Enter interpreter path…', 'any Python 3.10+ with Metaflow', undefined],
    ]);
  });
});

describe('chooseInterpreterCommand', () => {
  const discovery = (): DiscoveryDeps => ({
    pythonExtension: () => Promise.resolve([]),
    workspaceFolders: ['/w'],
    conda: () => Promise.resolve([]),
    pathDirs: ['/usr/bin'],
    exists: (file) => file === '/w/.venv/bin/python' || file === '/usr/bin/python3',
    list: () => ['python3'],
  });

  it('saves the interpreter picked from what was found', async () => {
    const saved: string[] = [];
    mock.quickPickAnswer = async (items: Promise<InterpreterItem[]>) => (await items)[0];
    const python = await chooseInterpreterCommand({
      discovery,
      current: () => undefined,
      bundled: () => true,
      save: (p) => {
        saved.push(p);
        return Promise.resolve();
      },
      exec: EXEC,
    });
    expect(python).toBe('/w/.venv/bin/python');
    expect(saved).toEqual(['/w/.venv/bin/python']);
    expect(mock.quickPicks[0]?.options).toMatchObject({ title: expect.stringContaining('needs Metaflow') });
  });

  it('saves nothing when the picker is dismissed', async () => {
    const saved: string[] = [];
    const python = await chooseInterpreterCommand({
      discovery,
      current: () => undefined,
      bundled: () => true,
      save: (p) => {
        saved.push(p);
        return Promise.resolve();
      },
      exec: EXEC,
    });
    expect(python).toBeUndefined();
    expect(saved).toEqual([]);
  });
});
