/** Activation: wiring only. The logic lives in the modules it connects. */
import * as vscode from 'vscode';
import { cancelRecord, registerCommands } from './commands';
import { DEBUG_TYPE, DebugSessions, SpinlensDebugAdapterFactory } from './debug';
import { registerFlowGraph } from './flowGraph';
import { CHOOSE_INTERPRETER_COMMAND, chooseInterpreterCommand } from './interpreterPicker';
import { ResultsPanel } from './panel';
import { registerPrewarm } from './prewarm';
import { onPythonEnvironmentChange, saveInterpreterSetting, systemDiscovery } from './python';
import { registerRunsTree } from './runsTree';
import { registerSpinsTree } from './spinsTree';
import { SpinlensServer, launchArgs } from './server';
import { SECTION, getSettings } from './settings';
import { SPIN_AT_CURSOR_COMMAND, spinAtCursor } from './spinAtCursor';
import { SpinStore } from './spins';
import { START_SERVER_COMMAND, StatusBar } from './statusBar';
import { watchTrust } from './trust';
import { copyValue, pageArgs, registerValueViewer } from './valueViewer';

let server: SpinlensServer | undefined;

function normalizeUri(uri: string): string {
  try {
    return vscode.Uri.parse(uri, true).toString();
  } catch {
    return uri;
  }
}

export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel('Spinlens');
  const store = new SpinStore(normalizeUri);
  const statusBar = new StatusBar(store);
  const spinServer = new SpinlensServer(context.extensionPath, output);
  server = spinServer;
  const values = registerValueViewer({ extensionUri: context.extensionUri, server: spinServer, output });
  const panel = new ResultsPanel(
    context.extensionUri,
    store,
    {
      cancel: (record) => cancelRecord({ server: spinServer }, record),
      diffRows: () => getSettings().diffRows,
      valuePage: (ref, limit) =>
        values.fetchPage(pageArgs(ref, { path: [], offset: 0, limit, sort: null, descending: false })),
      openValue: (ref) => values.viewer.open(ref),
      copyValue: (ref) => copyValue(values.fetchPage, ref),
    },
    output,
  );

  context.subscriptions.push(
    output,
    statusBar,
    panel,
    { dispose: () => void spinServer.dispose() },
    spinServer.onState((state) => statusBar.setServerState(state, spinServer.interpreter?.python)),
    spinServer.onEvent(({ uri, requestId, event }) => store.route(uri, event, requestId)),
    ...registerCommands({ server: spinServer, store, panel, output }),
    ...registerRunsTree({ server: spinServer, store, panel, output, extensionUri: context.extensionUri }),
    ...registerSpinsTree({ store, panel, server: spinServer, extensionUri: context.extensionUri }),
    ...registerFlowGraph({ extensionUri: context.extensionUri, server: spinServer, spins: store, output }),
    ...values.disposables,
    // The step the cursor rests in gets its inputs loaded (never when untrusted).
    ...registerPrewarm(spinServer, output),
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, new SpinlensDebugAdapterFactory()),
    new DebugSessions(store, { cancel: (record) => cancelRecord({ server: spinServer }, record), output }),
    vscode.commands.registerCommand(START_SERVER_COMMAND, () => spinServer.restart()),
    vscode.commands.registerCommand(CHOOSE_INTERPRETER_COMMAND, () =>
      chooseInterpreterCommand({
        discovery: systemDiscovery,
        current: () => spinServer.interpreter?.python,
        bundled: () => launchArgs(context.extensionPath).bundled,
        save: saveInterpreterSetting,
      }),
    ),
    vscode.commands.registerCommand(SPIN_AT_CURSOR_COMMAND, () =>
      spinAtCursor({ server: spinServer, store, panel, output }),
    ),
    // Restricted Mode: no server (lenses say why); trusting the workspace starts it.
    watchTrust(() => void spinServer.restart()),
    vscode.workspace.onDidChangeConfiguration((change) => {
      if (!change.affectsConfiguration(SECTION)) return;
      panel.sendSettings();
      if (change.affectsConfiguration(`${SECTION}.python`)) {
        // A new interpreter: a new server (its init options carry the other settings).
        spinServer.scheduleRestart('the spinlens.python setting changed');
      } else {
        void spinServer.sendConfiguration();
      }
    }),
  );

  void onPythonEnvironmentChange(() => {
    if (getSettings().python === '') {
      spinServer.scheduleRestart("the Python extension's active environment changed");
    }
  }).then((subscription) => {
    if (subscription) context.subscriptions.push(subscription);
  });

  void spinServer.ready();
}

export async function deactivate(): Promise<void> {
  await server?.dispose();
  server = undefined;
}
