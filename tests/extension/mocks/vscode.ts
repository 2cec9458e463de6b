/**
 * A small hand-written stand-in for the `vscode` module: only what the
 * extension's modules touch, with knobs (`mock`) the tests turn.
 */
import * as path from 'node:path';

type Listener<T> = (value: T) => unknown;

export class Disposable {
  constructor(private readonly fn: () => void = () => undefined) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  event = (listener: Listener<T>): Disposable => {
    this.listeners.push(listener);
    return new Disposable(() => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    });
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
  ) {}
  static parse(value: string, _strict?: boolean): Uri {
    const m = /^([a-z][\w+.-]*):(?:\/\/([^/]*))?(.*)$/i.exec(value);
    if (!m) throw new Error(`invalid uri: ${value}`);
    return new Uri(m[1] ?? '', m[2] ?? '', decodeURIComponent(m[3] ?? ''));
  }
  static file(fsPath: string): Uri {
    return new Uri('file', '', fsPath);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri {
    return new Uri(base.scheme, base.authority, path.posix.join(base.path, ...parts));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${encodeURI(this.path)}`;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export enum StatusBarAlignment {
  Left = 1,
  Right = 2,
}

export enum ViewColumn {
  Active = -1,
  Beside = -2,
  One = 1,
  Two = 2,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

// ---- knobs --------------------------------------------------------------------------

export interface FakeWebview {
  html: string;
  cspSource: string;
  posted: unknown[];
  asWebviewUri(uri: Uri): Uri;
  postMessage(message: unknown): Promise<boolean>;
  onDidReceiveMessage(listener: Listener<unknown>): Disposable;
  receive(message: unknown): void;
}

export interface FakePanel {
  viewType: string;
  title: string;
  options: unknown;
  webview: FakeWebview;
  visible: boolean;
  viewColumn: number | undefined;
  iconPath: unknown;
  revealed: number;
  reveal(): void;
  onDidDispose(listener: Listener<void>): Disposable;
  dispose(): void;
}

export const mock = {
  config: {} as Record<string, unknown>,
  extensions: {} as Record<string, unknown>,
  workspaceFolders: [] as { uri: Uri; name: string; index: number }[],
  activeTextEditor: undefined as unknown,
  messages: [] as { level: string; text: string; items: string[] }[],
  /** What the next show*Message resolves to. */
  messageAnswer: undefined as string | undefined,
  panels: [] as FakePanel[],
  opened: [] as { uri: Uri; options: unknown }[],
  commands: new Map<string, (...args: unknown[]) => unknown>(),
  statusItems: [] as Record<string, unknown>[],
  quickPickAnswer: undefined as unknown,
  quickPicks: [] as { items: unknown[]; options: unknown }[],
  /** Debug sessions asked for with debug.startDebugging, and its answer. */
  debugStarts: [] as { folder: unknown; configuration: Record<string, unknown> }[],
  debugStartAnswer: true as boolean | Error,
  debugFactories: new Map<string, unknown>(),
  debugTerminated: new EventEmitter<{ configuration: Record<string, unknown> }>(),
  reset(): void {
    this.config = {};
    this.extensions = {};
    this.workspaceFolders = [];
    this.activeTextEditor = undefined;
    this.messages = [];
    this.messageAnswer = undefined;
    this.panels = [];
    this.opened = [];
    this.commands = new Map();
    this.statusItems = [];
    this.quickPickAnswer = undefined;
    this.quickPicks = [];
    this.debugStarts = [];
    this.debugStartAnswer = true;
    this.debugFactories = new Map();
    this.debugTerminated = new EventEmitter();
  },
};

function fakePanel(viewType: string, title: string, options: unknown): FakePanel {
  const received = new EventEmitter<unknown>();
  const disposed = new EventEmitter<void>();
  const webview: FakeWebview = {
    html: '',
    cspSource: 'https://webview.example',
    posted: [],
    asWebviewUri: (uri) => Uri.parse(`https://webview.example${uri.path}`),
    postMessage(message) {
      this.posted.push(message);
      return Promise.resolve(true);
    },
    onDidReceiveMessage: (listener) => received.event(listener),
    receive: (message) => received.fire(message),
  };
  const panel: FakePanel = {
    viewType,
    title,
    options,
    webview,
    visible: true,
    viewColumn: ViewColumn.Two,
    iconPath: undefined,
    revealed: 0,
    reveal() {
      this.revealed++;
    },
    onDidDispose: (listener) => disposed.event(listener),
    dispose: () => disposed.fire(),
  };
  return panel;
}

function message(level: string) {
  return (text: string, ...items: string[]): Promise<string | undefined> => {
    mock.messages.push({ level, text, items });
    return Promise.resolve(mock.messageAnswer);
  };
}

export const window = {
  get activeTextEditor(): unknown {
    return mock.activeTextEditor;
  },
  showInformationMessage: message('info'),
  showWarningMessage: message('warning'),
  showErrorMessage: message('error'),
  showQuickPick: (items: unknown[], options: unknown): Promise<unknown> => {
    mock.quickPicks.push({ items, options });
    const answer = mock.quickPickAnswer;
    return Promise.resolve(typeof answer === 'function' ? (answer as (i: unknown[]) => unknown)(items) : answer);
  },
  createTreeView: (_id: string, _options: unknown): Disposable => new Disposable(),
  onDidChangeActiveTextEditor: (_listener: unknown): Disposable => new Disposable(),
  onDidChangeTextEditorSelection: (_listener: unknown): Disposable => new Disposable(),
  createWebviewPanel: (viewType: string, title: string, _show: unknown, options: unknown): FakePanel => {
    const panel = fakePanel(viewType, title, options);
    mock.panels.push(panel);
    return panel;
  },
  showTextDocument: (uri: Uri, options: unknown): Promise<unknown> => {
    mock.opened.push({ uri, options });
    return Promise.resolve({});
  },
  createStatusBarItem: (): Record<string, unknown> => {
    const item: Record<string, unknown> = { show: () => undefined, dispose: () => undefined };
    mock.statusItems.push(item);
    return item;
  },
  createOutputChannel: (name: string) => ({
    name,
    lines: [] as string[],
    append(text: string) {
      this.lines.push(text);
    },
    appendLine(text: string) {
      this.lines.push(text);
    },
    show: () => undefined,
    dispose: () => undefined,
  }),
  withProgress: <T>(_options: unknown, task: (progress: unknown, token: unknown) => Promise<T>): Promise<T> =>
    task({ report: () => undefined }, { isCancellationRequested: false, onCancellationRequested: () => new Disposable() }),
};

export const workspace = {
  getConfiguration: (section?: string) => ({
    get: <T>(key: string, fallback?: T): T | undefined => {
      const full = section ? `${section}.${key}` : key;
      return (full in mock.config ? mock.config[full] : fallback) as T | undefined;
    },
  }),
  get workspaceFolders() {
    return mock.workspaceFolders.length ? mock.workspaceFolders : undefined;
  },
  getWorkspaceFolder: (uri: Uri) =>
    mock.workspaceFolders.find((f) => uri.fsPath === f.uri.fsPath || uri.fsPath.startsWith(`${f.uri.fsPath}/`)),
  onDidChangeConfiguration: (_listener: unknown) => new Disposable(),
  registerTextDocumentContentProvider: (_scheme: string, _provider: unknown): Disposable => new Disposable(),
};

export const extensions = {
  getExtension: (id: string): unknown => mock.extensions[id],
};

export const commands = {
  registerCommand: (name: string, handler: (...args: unknown[]) => unknown): Disposable => {
    mock.commands.set(name, handler);
    return new Disposable(() => mock.commands.delete(name));
  },
  executeCommand: (name: string, ...args: unknown[]): Promise<unknown> =>
    Promise.resolve(mock.commands.get(name)?.(...args)),
  getCommands: (_filterInternal?: boolean): Promise<string[]> => Promise.resolve([...mock.commands.keys()]),
};

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  description?: string;
  tooltip?: string;
  contextValue?: string;
  command?: unknown;
  constructor(
    readonly label: string,
    readonly collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export class DebugAdapterServer {
  constructor(
    readonly port: number,
    readonly host?: string,
  ) {}
}

export const debug = {
  registerDebugAdapterDescriptorFactory: (type: string, factory: unknown): Disposable => {
    mock.debugFactories.set(type, factory);
    return new Disposable(() => mock.debugFactories.delete(type));
  },
  startDebugging: (folder: unknown, configuration: Record<string, unknown>): Promise<boolean> => {
    mock.debugStarts.push({ folder, configuration });
    const answer = mock.debugStartAnswer;
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  },
  onDidTerminateDebugSession: (listener: (session: { configuration: Record<string, unknown> }) => void): Disposable =>
    mock.debugTerminated.event(listener),
};
