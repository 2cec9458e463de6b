/**
 * "Spinlens: Choose Interpreter": every interpreter found (the Python
 * extension's environments, the workspace's .venv/venv, conda's, PATH's), each
 * with what it has (Python and Metaflow versions), then the chosen one saved as
 * `spinlens.python`, which restarts the server with it.
 */
import * as vscode from 'vscode';
import { type BackendCheck, type Exec, checkBackend, describeCheck, execProcess } from './install';
import { type Candidate, type CandidateSource, type DiscoveryDeps, findInterpreters } from './python';

export const CHOOSE_INTERPRETER_COMMAND = 'spinlens.chooseInterpreter';

const SOURCE_LABELS: Record<CandidateSource, string> = {
  'python-extension': 'Python extension',
  workspace: 'workspace',
  conda: 'conda',
  path: 'PATH',
};

export interface InterpreterItem extends vscode.QuickPickItem {
  /** Undefined for "Enter interpreter path…". */
  python: string | undefined;
}

const ENTER_PATH: InterpreterItem = {
  label: '$(edit) Enter interpreter path…',
  description: 'any Python 3.10+ with Metaflow',
  python: undefined,
};

function usable(check: BackendCheck): boolean {
  return check.status === 'ok';
}

/**
 * Quick pick items: each found interpreter that runs, once per environment (a
 * PATH entry and a conda env may be the same prefix), usable ones first, the
 * current one marked.
 */
export async function interpreterItems(
  candidates: readonly Candidate[],
  current: string | undefined,
  bundled: boolean,
  exec: Exec = execProcess,
): Promise<InterpreterItem[]> {
  const checks = await Promise.all(candidates.map((c) => checkBackend(c.python, bundled, exec)));
  const seen = new Set<string>();
  const rows: { item: InterpreterItem; usable: boolean }[] = [];
  candidates.forEach((candidate, i) => {
    const check = checks[i];
    if (!check || check.status === 'no-interpreter' || check.status === 'broken') return;
    if (seen.has(check.facts.prefix)) return;
    seen.add(check.facts.prefix);
    const here = candidate.python === current;
    rows.push({
      usable: usable(check),
      item: {
        label: `${usable(check) ? '$(check)' : '$(warning)'} ${candidate.python}`,
        description: `${SOURCE_LABELS[candidate.source]}${here ? ' · current' : ''}`,
        detail: describeCheck(check),
        python: candidate.python,
      },
    });
  });
  rows.sort((a, b) => Number(b.usable) - Number(a.usable));
  return [...rows.map((r) => r.item), ENTER_PATH];
}

export interface PickerDeps {
  discovery: () => DiscoveryDeps;
  current: () => string | undefined;
  bundled: () => boolean;
  save: (python: string) => Promise<void>;
  exec?: Exec;
}

/** Runs the picker; the chosen interpreter (saved), or undefined. */
export async function chooseInterpreterCommand(deps: PickerDeps): Promise<string | undefined> {
  const items = findInterpreters(deps.discovery()).then((found) =>
    interpreterItems(found, deps.current(), deps.bundled(), deps.exec),
  );
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Spinlens: the Python that runs spins (it needs Metaflow)',
    placeHolder: 'Looking for interpreters: Python extension, workspace .venv, conda, PATH',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return undefined;
  let python = picked.python;
  if (python === undefined) {
    python = (
      await vscode.window.showInputBox({
        title: 'Spinlens: Python interpreter',
        prompt: 'Path of a Python 3.10+ that has Metaflow',
        value: deps.current() ?? '',
        ignoreFocusOut: true,
      })
    )?.trim();
    if (!python) return undefined;
  }
  await deps.save(python);
  return python;
}
