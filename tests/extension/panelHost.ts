/** A ResultsPanel on the fake `vscode` module, in a workspace at `root`: what the panel tests share. */
import type * as vscode from 'vscode';
import { ResultsPanel } from '../../extension/src/panel';
import { type SpinRecord, SpinStore } from '../../extension/src/spins';
import { type FakePanel, Uri, mock, window } from './mocks/vscode';

export function panelHost(root = '/work/project') {
  mock.reset();
  mock.workspaceFolders = [{ uri: Uri.file(root), name: 'project', index: 0 }];
  const store = new SpinStore();
  const cancelled: SpinRecord[] = [];
  const out = window.createOutputChannel('Spinlens');
  const panel = new ResultsPanel(
    Uri.file('/ext') as unknown as vscode.Uri,
    store,
    { cancel: (r) => cancelled.push(r), diffRows: () => 7 },
    out as unknown as vscode.OutputChannel,
  );
  /** The webview panel the extension created last. */
  const fake = (): FakePanel => {
    const p = mock.panels.at(-1);
    if (!p) throw new Error('no panel');
    return p;
  };
  return { store, panel, cancelled, out, fake };
}
