/**
 * The TypeScript mirror of docs/protocol.md (and server/spinlens/wire/events.py):
 * spin events, ValueDiff, the language server's commands, initialization
 * options and notifications. Keep the three in step.
 *
 * This module has no `vscode` import so the guards can be unit-tested and
 * reused anywhere.
 */
import { type ValuePage, parseValuePage } from '../viewer/pages';

// ---------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------

/** An output artifact compared with one baseline. */
export type ArtifactStatus = 'new' | 'changed' | 'unchanged';
export type Stream = 'stdout' | 'stderr';
export type FailureKind =
  | 'setup'
  | 'exception'
  | 'exit'
  | 'crash'
  | 'memory'
  | 'timeout'
  | 'cancelled';
/** The three baselines of an artifact, as keys of `ArtifactEvent.diffs`. */
export type Comparison = 'inputs' | 'source' | 'previous';
export const COMPARISONS: readonly Comparison[] = ['inputs', 'source', 'previous'];

/** Where a spin's inputs come from. */
export interface SourceInfo {
  flow: string;
  run_id: string;
  step: string;
  /** The step's task in the source run; null if the step never ran there. */
  task_id: string | null;
  /** Parent task pathspecs, in the order the step sees them. */
  parents: string[];
  /** The foreach split index, null outside a foreach. */
  index: number | null;
  /** A recursive step's iteration (0 first), null outside a loop. */
  iteration: number | null;
}

/**
 * Seconds. `prepare_s` (resolve + load, ~0 warm), `load_s` (execute the flow
 * text, bind inputs), `step_s` (the step function), `outputs_s` (fingerprint and
 * report outputs); a debug spin adds `paused_s` (stopped in the debugger, not in
 * `step_s`); the Python API adds `total_s`. A failure reports what was measured
 * before it.
 */
export interface Timings {
  prepare_s?: number;
  load_s?: number;
  step_s?: number;
  outputs_s?: number;
  paused_s?: number;
  ahead_s?: number;
  total_s?: number;
  [name: string]: number | undefined;
}

interface EventBase {
  spin_id: string;
}

/** Long preparation work (resolving the source, loading large inputs). */
export interface ProgressEvent extends EventBase {
  event: 'progress';
  message: string;
}

/** A debug spin waits for a DAP debugger (debugpy) on this loopback address. */
export interface DebugEvent extends EventBase {
  event: 'debug';
  host: string;
  port: number;
}

/** A debug spin's step stopped in the debugger (breakpoint, step, exception). */
export interface PausedEvent extends EventBase {
  event: 'paused';
  /** Where it stopped: the user's frame. */
  file: string;
  line: number;
  /** The function stopped in, e.g. the step's name. */
  function: string;
}

/** The debugger let the step run on after a `paused`. */
export interface ResumedEvent extends EventBase {
  event: 'resumed';
}

export interface StartedEvent extends EventBase {
  event: 'started';
  flow: string;
  step: string;
  /** Absolute path. */
  flow_file: string;
  source: SourceInfo;
  /** The kernel already held these inputs. */
  warm: boolean;
}

/** A chunk of output as written (not necessarily whole lines). */
export interface LogEvent extends EventBase {
  event: 'log';
  stream: Stream;
  text: string;
}

/**
 * One per output artifact. Metaflow's own (names starting with `_`) are
 * `internal`; after a step raised, what it had assigned comes `partial`.
 */
export interface ArtifactEvent extends EventBase {
  event: 'artifact';
  name: string;
  /** Qualified type, e.g. `pandas.core.frame.DataFrame`. */
  type: string;
  /** Bytes of the value's data (roughly its stored size). */
  size: number | null;
  /** Short repr. */
  summary: string;
  vs_inputs: ArtifactStatus;
  vs_source: ArtifactStatus;
  /** Null when there is no earlier spin of this source task in the history. */
  vs_previous: ArtifactStatus | null;
  /** For each comparison that is `changed`. */
  diffs: Partial<Record<Comparison, ValueDiff>>;
  error: string | null;
  /** Metaflow's own (`_graph_info`, `_foreach_stack`, ..., and the flow's `name`): hidden by default. */
  internal: boolean;
  /** A Parameter or Config of the flow (passed in, not the step's own): grouped apart. */
  parameter: boolean;
  /** Assigned by a step that then raised (before its `failed`): how far it got, not a result. */
  partial: boolean;
}

/** A card the step's `@card` rendered. */
export interface Card {
  type: string;
  id: string | null;
  /** Absolute path of the file holding the card's HTML. */
  path: string;
}

export interface FinishedEvent extends EventBase {
  event: 'finished';
  status: 'ok';
  /** Targets of the step's `self.next(...)` (recorded, not followed). */
  next_steps: string[];
  /** The `foreach=` artifact name. */
  foreach: string | null;
  /** Source-task artifacts this spin no longer produces. */
  removed: string[];
  /** Folder of this spin's record in the history. */
  record: string | null;
  /** The cards the step's `@card` decorators rendered. */
  cards: Card[];
  timings: Timings;
}

export interface FailedEvent extends EventBase {
  event: 'failed';
  status: 'failed';
  kind: FailureKind;
  /** One actionable sentence (or `Type: message`). */
  error: string;
  /**
   * Machine-readable cause: `syntax-error`, `no-flow`, `unknown-flow`, `unknown-step`,
   * `no-successful-run`, `artifact-load`, `flow-file-missing`, `metaflow-missing`,
   * `memory-limit`, `setup`.
   */
  code: string | null;
  /** Starts at the first user frame. */
  traceback: string | null;
  /** Innermost frame in the user's code. */
  file: string | null;
  line: number | null;
  /**
   * The user's frames, from the step down to the raise (innermost last); at most 20.
   * Optional: the failures the extension makes itself (spins.ts) have none.
   */
  frames?: FailureFrame[];
  timings: Timings;
}

/** One of the user's frames of a failed step's traceback. */
export interface FailureFrame {
  file: string;
  /** 1-based. */
  line: number;
  function: string;
}

/** Every spin event, discriminated on `event`. */
export type SpinEvent =
  | ProgressEvent
  | DebugEvent
  | PausedEvent
  | ResumedEvent
  | StartedEvent
  | LogEvent
  | ArtifactEvent
  | FinishedEvent
  | FailedEvent;

export type SpinEventName = SpinEvent['event'];
export type TerminalEvent = FinishedEvent | FailedEvent;

// ---------------------------------------------------------------------------
// ValueDiff
// ---------------------------------------------------------------------------

/** `[old, new]`. */
export type Pair<T> = [T, T];

/** JSON as the server writes it (NaN and infinities become strings). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface ColumnStats {
  nulls: number;
  min?: JsonValue;
  max?: JsonValue;
  mean?: JsonValue;
}

export interface TableDetail {
  rows: Pair<number>;
  schema: {
    added: string[];
    removed: string[];
    retyped: { column: string; old: string; new: string }[];
    reordered: boolean;
  };
  columns: Record<string, { old: ColumnStats | null; new: ColumnStats | null }>;
  aligned_by: 'index' | 'position' | null;
  changed_cells: number | null;
  changed_rows: number | null;
  changed_by_column: Record<string, number>;
  sample: { key: JsonValue; old: Record<string, JsonValue>; new: Record<string, JsonValue> }[];
  index_changed: boolean;
  rows_reordered: boolean;
}

export interface ArrayDetail {
  shape: Pair<number[]>;
  dtype: Pair<string>;
  size: Pair<number>;
  changed_elements: number;
  max_abs_diff: JsonValue;
  max_rel_diff: JsonValue;
  sample: { index: number[]; old: JsonValue; new: JsonValue }[];
}

export interface Counts {
  added: number;
  removed: number;
  changed?: number;
  unchanged: number;
}

export interface MappingDetail {
  size: Pair<number>;
  added: { key: JsonValue; value: JsonValue }[];
  removed: { key: JsonValue; value: JsonValue }[];
  changed: { key: JsonValue; diff: ValueDiff }[];
  counts: Counts;
}

export interface SequenceDetail {
  length: Pair<number>;
  added: { index: number; value: JsonValue }[];
  removed: { index: number; value: JsonValue }[];
  changed: { index: number; new_index: number; diff: ValueDiff }[];
  counts: Counts;
}

export interface SetDetail {
  size: Pair<number>;
  added: JsonValue[];
  removed: JsonValue[];
  counts: Counts;
}

export interface TextDetail {
  chars: Pair<number>;
  lines: Pair<number>;
  added: number;
  removed: number;
  /** Unified diff lines, starting with the `--- old` / `+++ new` header. */
  diff: string[];
  approximate: boolean;
}

export interface NumberDetail {
  old: JsonValue;
  new: JsonValue;
  abs_change: JsonValue;
  /** Null when old is 0. */
  rel_change: JsonValue;
}

export interface BoolDetail {
  old: boolean;
  new: boolean;
}

export interface ParamsDetail {
  class: Pair<string>;
  source: 'get_params' | 'fields';
  added: { key: JsonValue; value: JsonValue }[];
  removed: { key: JsonValue; value: JsonValue }[];
  changed: { key: JsonValue; diff: ValueDiff }[];
  counts: Counts;
  fitted?: { [key: string]: JsonValue };
  state_changed?: boolean;
}

export interface ObjectDetail {
  type: Pair<string>;
  size: Pair<number | null>;
  hash: Pair<string | null>;
  hashed: Pair<string | null>;
  repr: Pair<string>;
  notes: string[];
}

export interface TypeDetail {
  type: Pair<string>;
  repr: Pair<string>;
}

export interface ErrorDetail {
  type: Pair<string>;
  handler: string;
}

interface DiffDetails {
  table: TableDetail;
  array: ArrayDetail;
  mapping: MappingDetail;
  sequence: SequenceDetail;
  set: SetDetail;
  text: TextDetail;
  number: NumberDetail;
  bool: BoolDetail;
  none: Record<string, never>;
  params: ParamsDetail;
  object: ObjectDetail;
  type: TypeDetail;
  error: ErrorDetail;
}

export type DiffKind = keyof DiffDetails;
export const DIFF_KINDS: readonly DiffKind[] = [
  'table', 'array', 'mapping', 'sequence', 'set', 'text', 'number', 'bool', 'none',
  'params', 'object', 'type', 'error',
];

/**
 * What changed between an artifact's old and new value (`diff_values(old, new)`).
 * `detail` is read defensively: a handler that failed, ran out of time or hit the
 * depth limit (`{depth_limited: true}`) reports only what it has.
 */
export type ValueDiff = {
  [K in DiffKind]: {
    changed: boolean;
    kind: K;
    /** One line, at most 200 characters. */
    summary: string;
    detail: Partial<DiffDetails[K]> & { depth_limited?: boolean };
    /** A cap cut something. */
    truncated: boolean;
    error: string | null;
  };
}[DiffKind];

// ---------------------------------------------------------------------------
// Language server
// ---------------------------------------------------------------------------

/** The server is started as `<python> -m spinlens.cli lsp` and speaks LSP over stdio. */
export const SERVER_LAUNCH_ARGS: readonly string[] = ['-m', 'spinlens.cli', 'lsp'];

/** `initializationOptions`, and the `settings` of `workspace/didChangeConfiguration`. */
export interface ServerOptions {
  defaultSourceRun: string | null;
  historySize: number;
  diffRows: number;
  /** MB a spun step may allocate beyond its inputs (a `memory` failure past it); 0: no limit. */
  memoryLimitMB: number;
  /** Answer textDocument/inlayHint with the last spin's values (off by default). */
  inlayHints: boolean;
  /** MB of inputs a prewarm may load (inputs larger than what is left are skipped); 0: no prewarm. */
  prewarmMemoryMB: number;
}

export interface SpinArgs {
  uri: string;
  step: string;
  /** Chosen by the client, unique per request: every event of the spin carries it. */
  requestId?: string;
  /** The flow class, for files with several flows (lenses pass it). */
  flow?: string;
  run?: string;
  index?: number;
  task?: string;
  /** Artifact name -> Python literal text. */
  overrides?: Record<string, string>;
}
export type SpinStatus = 'ok' | 'failed' | 'cancelled';
export interface SpinResult {
  spinId: string;
  status: SpinStatus;
  error?: string;
}

export interface UriArgs {
  uri: string;
}

/**
 * With `requestId` or `spinId`: exactly that spin, queued or running, whatever
 * its file. With neither: every spin of `uri`'s file (running and queued).
 */
export interface CancelArgs {
  uri?: string;
  requestId?: string;
  spinId?: string;
}
export interface CancelResult {
  cancelled: boolean;
}

export interface ListRunsArgs {
  uri: string;
  flow?: string;
}
export type RunStatus = 'ok' | 'failed' | 'running';
export interface RunInfo {
  runId: string;
  status: RunStatus;
  /** Unix seconds. */
  created: number;
}
export interface ListRunsResult {
  /** Newest first. */
  runs: RunInfo[];
  /** The file's `setSourceRun` choice; null: none (then `defaultRun`, else the latest successful run). */
  chosen: string | null;
  /** The server's `defaultSourceRun` setting. */
  defaultRun: string | null;
}

export interface SetSourceRunArgs {
  uri: string;
  /** Null clears the file's choice (then `defaultSourceRun`, else the latest successful run). */
  runId: string | null;
}
export interface SetSourceRunResult {
  runId: string | null;
}

export interface RestartKernelResult {
  restarted: boolean;
}

/** One `@step` written in the document (0-based lines, as LSP counts them). */
export interface StepInfo {
  flow: string;
  name: string;
  /** The step's first decorator line (where its lenses are). */
  line: number;
  defLine: number;
  /** The last line of its body. */
  endLine: number;
}
export interface ListStepsResult {
  /** In line order; empty when the text does not parse. */
  steps: StepInfo[];
  /** Why there are no steps (a syntax error), else null. */
  error: string | null;
}

/** `runFlow`: `python flow.py run` for a flow with no run yet; `parameters` maps a Parameter's name to its text. */
export interface RunFlowArgs {
  uri: string;
  flow?: string;
  parameters?: Record<string, string>;
  /** Chosen by the client: its `spinlens/runLog` lines carry it, and a cancel can name it. */
  requestId?: string;
}
export interface RunFlowResult {
  status: SpinStatus;
  /** Metaflow's id of the run, once it named one. */
  runId?: string;
  error?: string;
}

export interface FlowArgs {
  uri: string;
  flow?: string;
}
/** A `Parameter` of the flow, as `python flow.py run --name value` takes it. */
export interface ParameterSpec {
  name: string;
  /** The default as command-line text; null when it is not a literal. */
  default: string | null;
  help: string | null;
  required: boolean;
}
export interface FlowParametersResult {
  flow: string;
  parameters: ParameterSpec[];
}

export interface ListTasksArgs {
  uri: string;
  step: string;
  flow?: string;
  run?: string;
}
/** One foreach child of a step in the source run. */
export interface TaskInfo {
  taskId: string;
  /** The innermost foreach split index; null outside a foreach. */
  index: number | null;
  /** The `foreach=` artifact's name. */
  var: string | null;
  /** A short repr of the child's split value. */
  value: string | null;
}
export interface ListTasksResult {
  runId: string;
  /** By split index, one per index. */
  tasks: TaskInfo[];
  /** The step's `setTask` choice; null: index 0. */
  chosen: number | null;
  /** More children than listed. */
  truncated: boolean;
}
export interface SetTaskArgs {
  uri: string;
  step: string;
  flow?: string;
  /** Null clears the choice (split index 0). */
  index: number | null;
}
export interface SetTaskResult {
  index: number | null;
}

/** `valuePage`: a spin's output (`spinId`) or a source-run task's artifact (`task`), and which page. */
export interface ValuePageArgs {
  uri: string;
  name: string;
  spinId?: string;
  task?: string;
  /** Entry positions into dicts and lists (a tree entry's `index`). */
  path?: number[];
  offset?: number;
  limit?: number;
  sort?: string;
  descending?: boolean;
  /** The whole repr instead (bounded): "Copy value". */
  asText?: boolean;
}
export interface ValuePageResult {
  page: ValuePage;
}

/**
 * A `workspace/executeCommand` command of the server, typed by its one argument
 * and its result; `parse` checks the result (it comes from another process)
 * and gives undefined when it is malformed.
 */
export class ServerCommandType<Args, Result> {
  constructor(
    readonly name: string,
    readonly parse: (value: unknown) => Result | undefined,
  ) {}

  /** The command's one argument, as `workspace/executeCommand` sends it (typed by `Args`). */
  readonly arguments = (args: Args): [Args] => [args];
}

/** Every server command (docs/protocol.md, "workspace/executeCommand"). */
export const ServerCommand = {
  spin: new ServerCommandType<SpinArgs, SpinResult>('spinlens.server.spin', parseSpinResult),
  /** As spin, waiting for a debugger first (the `debug` event says where). */
  debug: new ServerCommandType<SpinArgs, SpinResult>('spinlens.server.debug', parseSpinResult),
  cancel: new ServerCommandType<CancelArgs, CancelResult>('spinlens.server.cancel', parseCancelResult),
  listRuns: new ServerCommandType<ListRunsArgs, ListRunsResult>('spinlens.server.listRuns', parseListRunsResult),
  setSourceRun: new ServerCommandType<SetSourceRunArgs, SetSourceRunResult>(
    'spinlens.server.setSourceRun',
    parseSetSourceRunResult,
  ),
  restartKernel: new ServerCommandType<UriArgs, RestartKernelResult>(
    'spinlens.server.restartKernel',
    parseRestartKernelResult,
  ),
  listSteps: new ServerCommandType<UriArgs, ListStepsResult>('spinlens.server.listSteps', parseListStepsResult),
  runFlow: new ServerCommandType<RunFlowArgs, RunFlowResult>('spinlens.server.runFlow', parseRunFlowResult),
  flowParameters: new ServerCommandType<FlowArgs, FlowParametersResult>(
    'spinlens.server.flowParameters',
    parseFlowParametersResult,
  ),
  listTasks: new ServerCommandType<ListTasksArgs, ListTasksResult>('spinlens.server.listTasks', parseListTasksResult),
  setTask: new ServerCommandType<SetTaskArgs, SetTaskResult>('spinlens.server.setTask', parseSetTaskResult),
  explorerFlows: new ServerCommandType<ExplorerFlowsArgs, ExplorerFlowsResult>(
    'spinlens.server.explorer.flows',
    parseExplorerFlowsResult,
  ),
  explorerRuns: new ServerCommandType<ExplorerRunsArgs, ExplorerRunsResult>(
    'spinlens.server.explorer.runs',
    parseExplorerRunsResult,
  ),
  explorerSteps: new ServerCommandType<ExplorerStepsArgs, ExplorerStepsResult>(
    'spinlens.server.explorer.steps',
    parseExplorerStepsResult,
  ),
  explorerTasks: new ServerCommandType<ExplorerTasksArgs, ExplorerTasksResult>(
    'spinlens.server.explorer.tasks',
    parseExplorerTasksResult,
  ),
  explorerArtifacts: new ServerCommandType<ExplorerArtifactsArgs, ExplorerArtifactsResult>(
    'spinlens.server.explorer.artifacts',
    parseExplorerArtifactsResult,
  ),
  explorerCompare: new ServerCommandType<CompareArgs, CompareResult>(
    'spinlens.server.explorer.compare',
    parseCompareResult,
  ),
  /** A past task's @card HTML (the runs tree's "Show Cards"). */
  explorerCards: new ServerCommandType<ExplorerArtifactsArgs, ExplorerCardsResult>(
    'spinlens.server.explorer.cards',
    parseExplorerCardsResult,
  ),
  valuePage: new ServerCommandType<ValuePageArgs, ValuePageResult>('spinlens.server.valuePage', parseValuePageResult),
  /** The flow graph of the document's current text (the flow graph view). */
  flowGraph: new ServerCommandType<UriArgs, FileGraph>('spinlens.server.flowGraph', parseFileGraph),
  /** Load the inputs of the step at a line ahead of a spin (prewarm.ts). */
  prewarm: new ServerCommandType<PrewarmArgs, PrewarmResult>('spinlens.server.prewarm', parsePrewarmResult),
} as const;

/** `prewarm`: the cursor's 0-based line in a flow file. */
export interface PrewarmArgs {
  uri: string;
  line: number;
}

export type PrewarmStatus = 'done' | 'off' | 'busy' | 'noStep' | 'superseded' | 'failed';

export interface PrewarmResult {
  status: PrewarmStatus;
  step?: string;
  loaded: string[];
  skipped: string[];
  warm: boolean;
  error?: string;
}

const PREWARM_STATUSES: readonly string[] = ['done', 'off', 'busy', 'noStep', 'superseded', 'failed'];

function parsePrewarmResult(value: unknown): PrewarmResult | undefined {
  if (!isObject(value) || typeof value.status !== 'string' || !PREWARM_STATUSES.includes(value.status)) {
    return undefined;
  }
  const { loaded, skipped } = value;
  if (!isStringArray(loaded) || !isStringArray(skipped) || typeof value.warm !== 'boolean') return undefined;
  return {
    status: value.status as PrewarmStatus,
    ...(isString(value.step) ? { step: value.step } : {}),
    loaded,
    skipped,
    warm: value.warm,
    ...(isString(value.error) ? { error: value.error } : {}),
  };
}

/** A server -> client notification, typed by its params; `parse` checks them. */
export class ServerNotificationType<Params> {
  constructor(
    readonly method: string,
    readonly parse: (value: unknown) => Params | undefined,
  ) {}
}

export interface EventNotificationParams {
  uri: string;
  /** The `requestId` of the spin request; null if the request gave none. */
  requestId: string | null;
  event: SpinEvent;
}

/** Every spin event, as it happens (normalized: optional fields filled in). */
export const EventNotification = new ServerNotificationType<EventNotificationParams>(
  'spinlens/event',
  parseEventNotification,
);

export interface RunLogParams {
  uri: string;
  /** The `requestId` of the `runFlow` request; null if it gave none. */
  requestId: string | null;
  stream: Stream;
  text: string;
}

/** A `runFlow` run's output, line by line. */
export const RunLogNotification = new ServerNotificationType<RunLogParams>('spinlens/runLog', parseRunLogParams);

/**
 * Client-side commands. The server's code lenses call spinStep, debugStep and
 * showResults with `[uri, step, flow]`, runFlow with `[uri, flow]` (over a flow
 * with no run yet) and chooseTask with `[uri, step, flow]` (over a step inside
 * a foreach); the palette calls them with nothing.
 */
export const ClientCommand = {
  spinStep: 'spinlens.spinStep',
  debugStep: 'spinlens.debugStep',
  chooseSourceRun: 'spinlens.chooseSourceRun',
  cancelSpin: 'spinlens.cancelSpin',
  restartKernel: 'spinlens.restartKernel',
  showResults: 'spinlens.showResults',
  runFlow: 'spinlens.runFlow',
  chooseTask: 'spinlens.chooseTask',
  /** The value viewer on one value: `{uri, name, spinId | task}` (results rows, the runs tree; not the palette). */
  openValue: 'spinlens.openValue',
  /** The Runs and Spins views' actions (runsTree.ts, spinsTree.ts): a tree node is their argument. */
  runsRefresh: 'spinlens.runs.refresh',
  runsLoadMore: 'spinlens.runs.loadMore',
  runsOpenArtifact: 'spinlens.runs.openArtifact',
  runsUseAsSourceRun: 'spinlens.runs.useAsSourceRun',
  runsSpinTask: 'spinlens.runs.spinTask',
  runsCompareWith: 'spinlens.runs.compareWith',
  spinsShow: 'spinlens.spins.show',
  spinsCompare: 'spinlens.spins.compare',
  spinsCompareWithSource: 'spinlens.spins.compareWithSource',
  runsShowCards: 'spinlens.runs.showCards',
} as const;

// ---------------------------------------------------------------------------
// Guards (payloads come from another process: check before trusting)
// ---------------------------------------------------------------------------

type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStringOrNull = (v: unknown): boolean => v === null || isString(v);
const isNumberOrNull = (v: unknown): boolean => v === null || isNumber(v);
const isStringArray = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);
const isOptionalBoolean = (v: unknown): boolean => v === undefined || typeof v === 'boolean';
const isStatus = (v: unknown): v is ArtifactStatus =>
  v === 'new' || v === 'changed' || v === 'unchanged';
const FAILURE_KINDS: readonly string[] = [
  'setup',
  'exception',
  'exit',
  'crash',
  'memory',
  'timeout',
  'cancelled',
];

function isTimings(v: unknown): boolean {
  return isObject(v) && Object.values(v).every((t) => typeof t === 'number' || t === undefined);
}

function isSourceInfo(v: unknown): v is SourceInfo {
  return (
    isObject(v) &&
    isString(v.flow) &&
    isString(v.run_id) &&
    isString(v.step) &&
    isStringOrNull(v.task_id) &&
    isStringArray(v.parents) &&
    isNumberOrNull(v.index) &&
    isNumberOrNull(v.iteration)
  );
}

export function isValueDiff(v: unknown): v is ValueDiff {
  return (
    isObject(v) &&
    typeof v.changed === 'boolean' &&
    isString(v.kind) &&
    isString(v.summary) &&
    isObject(v.detail) &&
    (v.truncated === undefined || typeof v.truncated === 'boolean') &&
    (v.error === undefined || isStringOrNull(v.error))
  );
}

function isCard(v: unknown): v is Card {
  return isObject(v) && isString(v.type) && isStringOrNull(v.id) && isString(v.path);
}

function isFailureFrame(v: unknown): v is FailureFrame {
  return isObject(v) && isString(v.file) && typeof v.line === 'number' && isString(v.function);
}

function isDiffs(v: unknown): boolean {
  if (!isObject(v)) return false;
  return Object.entries(v).every(
    ([key, diff]) => (COMPARISONS as readonly string[]).includes(key) && isValueDiff(diff),
  );
}

const EVENT_CHECKS: Record<SpinEventName, (e: Obj) => boolean> = {
  progress: (e) => isString(e.message),
  debug: (e) => isString(e.host) && typeof e.port === 'number',
  paused: (e) => isString(e.file) && typeof e.line === 'number' && isString(e.function),
  resumed: () => true,
  started: (e) =>
    isString(e.flow) &&
    isString(e.step) &&
    isString(e.flow_file) &&
    isSourceInfo(e.source) &&
    typeof e.warm === 'boolean',
  log: (e) => (e.stream === 'stdout' || e.stream === 'stderr') && isString(e.text),
  artifact: (e) =>
    isString(e.name) &&
    isString(e.type) &&
    isNumberOrNull(e.size) &&
    isString(e.summary) &&
    isStatus(e.vs_inputs) &&
    isStatus(e.vs_source) &&
    (e.vs_previous === null || e.vs_previous === undefined || isStatus(e.vs_previous)) &&
    (e.diffs === undefined || isDiffs(e.diffs)) &&
    (e.error === undefined || isStringOrNull(e.error)) &&
    isOptionalBoolean(e.internal) &&
    isOptionalBoolean(e.parameter) &&
    isOptionalBoolean(e.partial),
  finished: (e) =>
    e.status === 'ok' &&
    isStringArray(e.next_steps) &&
    isStringOrNull(e.foreach) &&
    (e.removed === undefined || isStringArray(e.removed)) &&
    (e.record === undefined || isStringOrNull(e.record)) &&
    (e.cards === undefined || (Array.isArray(e.cards) && e.cards.every(isCard))) &&
    isTimings(e.timings),
  failed: (e) =>
    e.status === 'failed' &&
    isString(e.kind) &&
    FAILURE_KINDS.includes(e.kind) &&
    isString(e.error) &&
    (e.code === undefined || isStringOrNull(e.code)) &&
    (e.traceback === undefined || isStringOrNull(e.traceback)) &&
    (e.file === undefined || isStringOrNull(e.file)) &&
    (e.line === undefined || isNumberOrNull(e.line)) &&
    (e.frames === undefined || (Array.isArray(e.frames) && e.frames.every(isFailureFrame))) &&
    (e.timings === undefined || isTimings(e.timings)),
};

export function isSpinEvent(value: unknown): value is SpinEvent {
  if (!isObject(value) || !isString(value.spin_id) || !isString(value.event)) return false;
  const check = (EVENT_CHECKS as Record<string, ((e: Obj) => boolean) | undefined>)[value.event];
  return check !== undefined && check(value);
}

/**
 * The event with the optional fields the server may leave out filled in, so
 * consumers can rely on every field of its type being present.
 */
export function normalizeEvent(event: SpinEvent): SpinEvent {
  switch (event.event) {
    case 'artifact':
      return {
        ...event,
        vs_previous: event.vs_previous ?? null,
        diffs: event.diffs ?? {},
        error: event.error ?? null,
        internal: event.internal ?? false,
        parameter: event.parameter ?? false,
        partial: event.partial ?? false,
      };
    case 'finished':
      return {
        ...event,
        removed: event.removed ?? [],
        record: event.record ?? null,
        cards: event.cards ?? [],
      };
    case 'failed':
      return {
        ...event,
        code: event.code ?? null,
        traceback: event.traceback ?? null,
        file: event.file ?? null,
        line: event.line ?? null,
        frames: event.frames ?? [],
        timings: event.timings ?? {},
      };
    default:
      return event;
  }
}

/**
 * The params of a `spinlens/event` notification, the event normalized; undefined
 * if malformed. A server older than `requestId` leaves it out (undefined here).
 */
export function parseEventNotification(value: unknown): EventNotificationParams | undefined {
  if (!isObject(value) || !isString(value.uri) || !isSpinEvent(value.event)) return undefined;
  const requestId = value.requestId;
  if (requestId !== undefined && requestId !== null && !isString(requestId)) return undefined;
  return { uri: value.uri, requestId: requestId as string | null, event: normalizeEvent(value.event) };
}

export function isTerminalEvent(event: SpinEvent): event is TerminalEvent {
  return event.event === 'finished' || event.event === 'failed';
}

const SPIN_STATUSES: readonly string[] = ['ok', 'failed', 'cancelled'];

export function isSpinResult(value: unknown): value is SpinResult {
  return (
    isObject(value) &&
    isString(value.spinId) &&
    isString(value.status) &&
    SPIN_STATUSES.includes(value.status) &&
    (value.error === undefined || value.error === null || isString(value.error))
  );
}

function parseSpinResult(value: unknown): SpinResult | undefined {
  return isSpinResult(value) ? value : undefined;
}

function parseCancelResult(value: unknown): CancelResult | undefined {
  return isObject(value) && typeof value.cancelled === 'boolean' ? { cancelled: value.cancelled } : undefined;
}

function parseSetSourceRunResult(value: unknown): SetSourceRunResult | undefined {
  return isObject(value) && isStringOrNull(value.runId) ? { runId: value.runId as string | null } : undefined;
}

function parseRestartKernelResult(value: unknown): RestartKernelResult | undefined {
  return isObject(value) && typeof value.restarted === 'boolean' ? { restarted: value.restarted } : undefined;
}

export function isRunInfo(value: unknown): value is RunInfo {
  return (
    isObject(value) &&
    isString(value.runId) &&
    (value.status === 'ok' || value.status === 'failed' || value.status === 'running') &&
    isNumber(value.created)
  );
}

/** A `listRuns` result with its malformed runs dropped; undefined if it is no such result. */
export function parseListRunsResult(value: unknown): ListRunsResult | undefined {
  if (!isObject(value) || !Array.isArray(value.runs)) return undefined;
  if (!isStringOrNull(value.chosen) || !isStringOrNull(value.defaultRun)) return undefined;
  return {
    runs: value.runs.filter(isRunInfo),
    chosen: value.chosen as string | null,
    defaultRun: value.defaultRun as string | null,
  };
}

function isStepInfo(value: unknown): value is StepInfo {
  return (
    isObject(value) &&
    isString(value.flow) &&
    isString(value.name) &&
    isNumber(value.line) &&
    isNumber(value.defLine) &&
    isNumber(value.endLine)
  );
}

/** A `listSteps` result with its malformed steps dropped; undefined if it is no such result. */
export function parseListStepsResult(value: unknown): ListStepsResult | undefined {
  if (!isObject(value) || !Array.isArray(value.steps) || !isStringOrNull(value.error)) return undefined;
  return { steps: value.steps.filter(isStepInfo), error: value.error as string | null };
}

function parseRunFlowResult(value: unknown): RunFlowResult | undefined {
  if (!isObject(value) || !isString(value.status) || !SPIN_STATUSES.includes(value.status)) return undefined;
  if (value.runId !== undefined && !isString(value.runId)) return undefined;
  if (value.error !== undefined && !isString(value.error)) return undefined;
  const result: RunFlowResult = { status: value.status as SpinStatus };
  if (value.runId !== undefined) result.runId = value.runId;
  if (value.error !== undefined) result.error = value.error;
  return result;
}

function isParameterSpec(value: unknown): value is ParameterSpec {
  return (
    isObject(value) &&
    isString(value.name) &&
    isStringOrNull(value.default) &&
    isStringOrNull(value.help) &&
    typeof value.required === 'boolean'
  );
}

/** A `flowParameters` result with its malformed parameters dropped. */
export function parseFlowParametersResult(value: unknown): FlowParametersResult | undefined {
  if (!isObject(value) || !isString(value.flow) || !Array.isArray(value.parameters)) return undefined;
  return { flow: value.flow, parameters: value.parameters.filter(isParameterSpec) };
}

function isTaskInfo(value: unknown): value is TaskInfo {
  return (
    isObject(value) &&
    isString(value.taskId) &&
    isNumberOrNull(value.index) &&
    isStringOrNull(value.var) &&
    isStringOrNull(value.value)
  );
}

/** A `listTasks` result with its malformed tasks dropped. */
export function parseListTasksResult(value: unknown): ListTasksResult | undefined {
  if (!isObject(value) || !isString(value.runId) || !Array.isArray(value.tasks)) return undefined;
  if (!isNumberOrNull(value.chosen) || typeof value.truncated !== 'boolean') return undefined;
  return {
    runId: value.runId,
    tasks: value.tasks.filter(isTaskInfo),
    chosen: value.chosen as number | null,
    truncated: value.truncated,
  };
}

export function parseValuePageResult(value: unknown): ValuePageResult | undefined {
  const page = isObject(value) ? parseValuePage(value.page) : undefined;
  return page ? { page } : undefined;
}

function parseSetTaskResult(value: unknown): SetTaskResult | undefined {
  return isObject(value) && isNumberOrNull(value.index) ? { index: value.index as number | null } : undefined;
}

export function parseRunLogParams(value: unknown): RunLogParams | undefined {
  if (!isObject(value) || !isString(value.uri) || !isString(value.text)) return undefined;
  if (value.stream !== 'stdout' && value.stream !== 'stderr') return undefined;
  if (!isStringOrNull(value.requestId)) return undefined;
  return { uri: value.uri, requestId: value.requestId as string | null, stream: value.stream, text: value.text };
}

// ---------------------------------------------------------------------------
// The flow graph (`flowGraph`): server/spinlens/flow_graph.py's payload
// ---------------------------------------------------------------------------

export type NodeKind = 'start' | 'end' | 'linear' | 'split' | 'foreach' | 'join' | 'conditional' | 'recursive';
export type EdgeKind = 'normal' | 'foreach' | 'conditional' | 'recursion';

export const NODE_KINDS: readonly NodeKind[] = [
  'start',
  'end',
  'linear',
  'split',
  'foreach',
  'join',
  'conditional',
  'recursive',
];
export const EDGE_KINDS: readonly EdgeKind[] = ['normal', 'foreach', 'conditional', 'recursion'];

export interface GraphNode {
  step: string;
  kind: NodeKind;
  /** 0-based lines of the first decorator, the `def` and the body's last line. */
  line: number;
  defLine: number;
  endLine: number;
  /** null: in the document; else the path of the base flow's module defining it. */
  file: string | null;
  /** Its decorators other than `@step`. */
  decorators: string[];
  /** Targets of its `self.next` that are no step of the flow. */
  missing: string[];
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: EdgeKind;
  /** The split variable of a foreach (null for num_parallel). */
  foreach: string | null;
  /** The artifact a conditional switches on, and the case key(s) of this branch. */
  condition: string | null;
  key: string | null;
  line: number;
}

export interface FlowGraph {
  name: string;
  line: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** Why the text does not parse (0-based line and column). */
export interface SourceError {
  message: string;
  line: number;
  column: number;
}

export interface FileGraph {
  filename: string;
  flows: FlowGraph[];
  defaultFlow: string | null;
  /** A syntax error: then `flows` is empty. */
  error: SourceError | null;
}

// The graph is drawn in a webview, so its checks are stricter than the other
// results': plain objects only, bounded sizes, step names that are identifiers.
const MAX_NAME = 256;
const MAX_TEXT = 4096;
const MAX_LINE = 10_000_000;
const MAX_ITEMS = 10_000;
/** Step and flow names are Python identifiers (letters, digits and underscores). */
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

export function isPlainObject(value: unknown): value is Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

export function isName(value: unknown): value is string {
  return typeof value === 'string' && value.length <= MAX_NAME && IDENTIFIER.test(value);
}

function isLine(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_LINE;
}

export function isBoundedText(value: unknown, max = MAX_TEXT): value is string {
  return typeof value === 'string' && value.length <= max;
}

export function isBoundedTextOrNull(value: unknown): value is string | null {
  return value === null || isBoundedText(value);
}

/** Every item parsed, or undefined if there are too many or one is malformed. */
export function listOf<T>(value: unknown, item: (raw: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value) || value.length > MAX_ITEMS) return undefined;
  const items: T[] = [];
  for (const raw of value) {
    const parsed = item(raw);
    if (parsed === undefined) return undefined;
    items.push(parsed);
  }
  return items;
}

function parseNode(raw: unknown): GraphNode | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { step, kind, line, defLine, endLine, file } = raw;
  if (!isName(step) || !NODE_KINDS.includes(kind as NodeKind)) return undefined;
  if (!isLine(line) || !isLine(defLine) || !isLine(endLine) || !isBoundedTextOrNull(file)) return undefined;
  const decorators = listOf(raw.decorators, (d) => (isBoundedText(d, MAX_NAME) ? d : undefined));
  const missing = listOf(raw.missing, (m) => (isBoundedText(m, MAX_NAME) ? m : undefined));
  if (!decorators || !missing) return undefined;
  return { step, kind: kind as NodeKind, line, defLine, endLine, file, decorators, missing };
}

function parseEdge(raw: unknown): GraphEdge | undefined {
  if (!isPlainObject(raw)) return undefined;
  const { from, to, kind, foreach, condition, key, line } = raw;
  if (!isName(from) || !isName(to) || !EDGE_KINDS.includes(kind as EdgeKind) || !isLine(line)) return undefined;
  if (!isBoundedTextOrNull(foreach) || !isBoundedTextOrNull(condition) || !isBoundedTextOrNull(key)) return undefined;
  return { from, to, kind: kind as EdgeKind, foreach, condition, key, line };
}

function parseFlow(raw: unknown): FlowGraph | undefined {
  if (!isPlainObject(raw) || !isName(raw.name) || !isLine(raw.line)) return undefined;
  const nodes = listOf(raw.nodes, parseNode);
  const edges = listOf(raw.edges, parseEdge);
  if (!nodes || !edges) return undefined;
  const steps = new Set(nodes.map((n) => n.step));
  // An edge between steps the flow does not have could not be laid out.
  if (steps.size !== nodes.length || edges.some((e) => !steps.has(e.from) || !steps.has(e.to))) return undefined;
  return { name: raw.name, line: raw.line, nodes, edges };
}

function parseSourceError(raw: unknown): SourceError | null | undefined {
  if (raw === null) return null;
  if (!isPlainObject(raw) || !isBoundedText(raw.message) || !isLine(raw.line) || !isLine(raw.column)) return undefined;
  return { message: raw.message, line: raw.line, column: raw.column };
}

/** The server's graph payload if it has the documented shape, else undefined. */
export function parseFileGraph(raw: unknown): FileGraph | undefined {
  if (!isPlainObject(raw) || !isBoundedText(raw.filename)) return undefined;
  const flows = listOf(raw.flows, parseFlow);
  const error = parseSourceError(raw.error);
  if (!flows || error === undefined) return undefined;
  const defaultFlow = raw.defaultFlow;
  if (defaultFlow !== null && !(isName(defaultFlow) && flows.some((f) => f.name === defaultFlow))) return undefined;
  return { filename: raw.filename, flows, defaultFlow, error };
}

// ---------------------------------------------------------------------------
// The runs explorer and comparisons (server/spinlens/lsp/explorer.py)
// ---------------------------------------------------------------------------

/** No fields: the flows of the workspace's files. */
export interface ExplorerFlowsArgs {}
export interface ExplorerFlow {
  flow: string;
  /** The file that defines it; later requests name it. */
  uri: string;
  path: string;
}
export interface ExplorerFlowsResult {
  flows: ExplorerFlow[];
}
export interface ExplorerRunsArgs {
  uri: string;
  flow: string;
  offset?: number;
  limit?: number;
}
export interface ExplorerRun {
  runId: string;
  status: RunStatus;
  /** Unix seconds. */
  created: number;
  user: string | null;
  tags: string[];
  /** Parameter name -> short value. */
  parameters: Record<string, string>;
}
export interface ExplorerRunsResult {
  /** Newest first. */
  runs: ExplorerRun[];
  total: number;
  more: boolean;
}
export interface ExplorerStepsArgs {
  uri: string;
  flow: string;
  run: string;
}
export interface ExplorerStep {
  name: string;
  created: number;
}
export interface ExplorerStepsResult {
  steps: ExplorerStep[];
}
export interface ExplorerTasksArgs {
  uri: string;
  flow: string;
  run: string;
  step: string;
  offset?: number;
  limit?: number;
}
export interface ExplorerTask {
  taskId: string;
  status: RunStatus;
  index: number | null;
  var: string | null;
  value: string | null;
}
export interface ExplorerTasksResult {
  tasks: ExplorerTask[];
  total: number;
  more: boolean;
}
export interface ExplorerArtifactsArgs {
  uri: string;
  /** A task's Flow/run/step/task. */
  pathspec: string;
}
export interface ExplorerArtifact {
  name: string;
  type: string;
  size: number | null;
  /** A bounded text; null when too large to load for the tree. */
  value: string | null;
}
export interface ExplorerArtifactsResult {
  pathspec: string;
  artifacts: ExplorerArtifact[];
}
export interface CompareArgs {
  uri: string;
  /** Two runs (Flow/run), or two of: a task (Flow/run/step/task), a spin's record folder (absolute). */
  a: string;
  b: string;
}
export interface CompareParameter {
  name: string;
  a: string | null;
  b: string | null;
  changed: boolean;
}
export type CompareStatus = 'added' | 'removed' | 'changed' | 'same';
export interface CompareArtifact {
  name: string;
  status: CompareStatus;
  type: string;
  summary: string;
  diff: ValueDiff | null;
}
export interface CompareMetric {
  name: string;
  a: number | string;
  b: number | string;
  delta: number | string;
}
export interface CompareResult {
  a: string;
  b: string;
  parameters: CompareParameter[];
  artifacts: CompareArtifact[];
  metrics: CompareMetric[];
  truncated: boolean;
}
/** One @card of a past task; `html` null (with a `note`) when too large or unreadable. */
export interface ExplorerCard {
  type: string;
  id: string | null;
  html: string | null;
  size: number | null;
  note: string | null;
}
export interface ExplorerCardsResult {
  pathspec: string;
  cards: ExplorerCard[];
  truncated: boolean;
}
export interface RunsChangedParams {
  flow: string;
  uri: string;
}

/** A flow of the workspace has a new run (or its newest run moved on). */
export const RunsChangedNotification = new ServerNotificationType<RunsChangedParams>(
  'spinlens/runsChanged',
  parseRunsChangedParams,
);

const RUN_STATUSES: readonly string[] = ['ok', 'failed', 'running'];
const COMPARE_STATUSES: readonly string[] = ['added', 'removed', 'changed', 'same'];
const isNumberOrText = (v: unknown): v is number | string => isNumber(v) || isString(v);
const isPage = (v: Obj): boolean => isNumber(v.total) && typeof v.more === 'boolean';

function isExplorerFlow(v: unknown): v is ExplorerFlow {
  return isObject(v) && isString(v.flow) && isString(v.uri) && isString(v.path);
}

export function parseExplorerFlowsResult(value: unknown): ExplorerFlowsResult | undefined {
  if (!isObject(value) || !Array.isArray(value.flows)) return undefined;
  return { flows: value.flows.filter(isExplorerFlow) };
}

function isExplorerRun(v: unknown): v is ExplorerRun {
  return (
    isObject(v) &&
    isString(v.runId) &&
    RUN_STATUSES.includes(v.status as string) &&
    isNumber(v.created) &&
    isStringOrNull(v.user) &&
    isStringArray(v.tags) &&
    isObject(v.parameters) &&
    Object.values(v.parameters).every(isString)
  );
}

export function parseExplorerRunsResult(value: unknown): ExplorerRunsResult | undefined {
  if (!isObject(value) || !Array.isArray(value.runs) || !isPage(value)) return undefined;
  return { runs: value.runs.filter(isExplorerRun), total: value.total as number, more: value.more as boolean };
}

export function parseExplorerStepsResult(value: unknown): ExplorerStepsResult | undefined {
  if (!isObject(value) || !Array.isArray(value.steps)) return undefined;
  const steps = value.steps.filter((s): s is ExplorerStep => isObject(s) && isString(s.name) && isNumber(s.created));
  return { steps };
}

function isExplorerTask(v: unknown): v is ExplorerTask {
  return (
    isObject(v) &&
    isString(v.taskId) &&
    RUN_STATUSES.includes(v.status as string) &&
    isNumberOrNull(v.index) &&
    isStringOrNull(v.var) &&
    isStringOrNull(v.value)
  );
}

export function parseExplorerTasksResult(value: unknown): ExplorerTasksResult | undefined {
  if (!isObject(value) || !Array.isArray(value.tasks) || !isPage(value)) return undefined;
  return { tasks: value.tasks.filter(isExplorerTask), total: value.total as number, more: value.more as boolean };
}

function isExplorerArtifact(v: unknown): v is ExplorerArtifact {
  return isObject(v) && isString(v.name) && isString(v.type) && isNumberOrNull(v.size) && isStringOrNull(v.value);
}

export function parseExplorerArtifactsResult(value: unknown): ExplorerArtifactsResult | undefined {
  if (!isObject(value) || !isString(value.pathspec) || !Array.isArray(value.artifacts)) return undefined;
  return { pathspec: value.pathspec, artifacts: value.artifacts.filter(isExplorerArtifact) };
}

function isCompareParameter(v: unknown): v is CompareParameter {
  return isObject(v) && isString(v.name) && isStringOrNull(v.a) && isStringOrNull(v.b) && typeof v.changed === 'boolean';
}

function isCompareArtifact(v: unknown): v is CompareArtifact {
  return (
    isObject(v) &&
    isString(v.name) &&
    COMPARE_STATUSES.includes(v.status as string) &&
    isString(v.type) &&
    isString(v.summary) &&
    (v.diff === null || isObject(v.diff))
  );
}

function isCompareMetric(v: unknown): v is CompareMetric {
  return isObject(v) && isString(v.name) && isNumberOrText(v.a) && isNumberOrText(v.b) && isNumberOrText(v.delta);
}

export function parseCompareResult(value: unknown): CompareResult | undefined {
  if (!isObject(value) || !isString(value.a) || !isString(value.b)) return undefined;
  if (!Array.isArray(value.parameters) || !Array.isArray(value.artifacts) || !Array.isArray(value.metrics)) {
    return undefined;
  }
  return {
    a: value.a,
    b: value.b,
    parameters: value.parameters.filter(isCompareParameter),
    artifacts: value.artifacts.filter(isCompareArtifact),
    metrics: value.metrics.filter(isCompareMetric),
    truncated: value.truncated === true,
  };
}

function isExplorerCard(v: unknown): v is ExplorerCard {
  return (
    isObject(v) &&
    isString(v.type) &&
    isStringOrNull(v.id) &&
    isStringOrNull(v.html) &&
    (v.size === null || isNumber(v.size)) &&
    isStringOrNull(v.note)
  );
}

export function parseExplorerCardsResult(value: unknown): ExplorerCardsResult | undefined {
  if (!isObject(value) || !isString(value.pathspec) || !Array.isArray(value.cards)) return undefined;
  return { pathspec: value.pathspec, cards: value.cards.filter(isExplorerCard), truncated: value.truncated === true };
}

export function parseRunsChangedParams(value: unknown): RunsChangedParams | undefined {
  return isObject(value) && isString(value.flow) && isString(value.uri)
    ? { flow: value.flow, uri: value.uri }
    : undefined;
}
