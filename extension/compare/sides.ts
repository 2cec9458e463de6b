/**
 * A comparison side's short name, for the panel's title and heading: a run or a
 * task is its pathspec; a spin is the absolute path of its history record folder
 * (`…/<Flow>/<step>/<spin id>`), named by its step and id. No DOM, no `vscode`:
 * the extension host and the webview both use it.
 */
export function isSpinSide(side: string): boolean {
  return side.startsWith('/') || /^[A-Za-z]:[\\/]/.test(side);
}

export function sideName(side: string): string {
  if (!isSpinSide(side)) return side;
  const parts = side.split(/[\\/]/).filter(Boolean);
  const id = parts[parts.length - 1] ?? side;
  const step = parts[parts.length - 2];
  return step ? `spin ${id} of ${step}` : `spin ${id}`;
}

/** The side without its flow name (`run/step/task`), or the spin's name. */
export function shortSideName(side: string): string {
  return isSpinSide(side) ? sideName(side) : side.split('/').slice(1).join('/');
}
