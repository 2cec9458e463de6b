"""Find a spin's inputs through Metaflow's Client: source run, task and parents.

Runs in the kernel, which has Metaflow imported. It reads, never writes: the
original run's datastore stays byte-identical.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Any

from metaflow import Flow, Run, Step, Task
from metaflow.client.filecache import FileBlobCache, FileCache, TaskMetadataCache
from metaflow.datastore import FlowDataStore
from metaflow.datastore.exceptions import DataException
from metaflow.exception import MetaflowNamespaceMismatch, MetaflowNotFound
from metaflow.plugins import DATASTORES
from metaflow.plugins.datastores.local_storage import LocalStorage

from ..errors import NoSuccessfulRun, SpinError
from ..wire.events import SourceInfo

# Reads from a remote datastore in flight at once. Threads, not Metaflow's
# get_many: that starts a process pool of S3_WORKER_COUNT (64) workers per call,
# seconds of start-up on a laptop's cores for a join's few kilobytes per task.
PARALLEL_READS = 16


@dataclass(frozen=True)
class Target:
    """What the user asked to spin."""

    flow: str
    step: str
    run: str | None = None
    index: int | None = None
    task: str | None = None
    iteration: int | None = None  # a recursive step's iteration: 0 first, -1 last


class _BlobCache(FileBlobCache):
    """The Client's blob cache, which can also say whether a blob is on this machine."""

    def has(self, key: str) -> bool:
        return os.path.exists(self._path(key))


@dataclass
class TaskInputs:
    """One task's artifact table: name -> content key, as Metaflow stored it."""

    pathspec: str
    objects: dict[str, str]
    info: dict[str, dict[str, Any]]
    datastore: Any  # metaflow TaskDataStore, read-only
    datastore_type: str = "local"
    datastore_root: str = ""
    # Where the task's datastore lives (s3://..., a local folder), for messages.
    location: str = ""
    # Its blobs come over the network (S3, Azure, GCS...): loading them is a download.
    remote: bool = False
    blob_cache: _BlobCache | None = None
    content_store: Any = None  # the flow datastore's ContentAddressedStore

    def download(self, keys: list[str]) -> None:
        """Fetch these blobs into the local client cache, several at once. The
        first goes alone: the cache indexes its folder on its first write."""
        self._download_one(keys[0])
        with ThreadPoolExecutor(PARALLEL_READS) as pool:
            for _ in pool.map(self._download_one, keys[1:]):
                pass

    def _download_one(self, key: str) -> None:
        for _key, _blob in self.content_store.load_blobs([key]):
            pass  # load_blobs stores the blob in the cache as it yields it

    def cached(self, key: str) -> bool:
        """The blob is in the local client cache already, so loading it downloads nothing."""
        try:
            return self.blob_cache is not None and self.blob_cache.has(key)
        except Exception:  # the cache's layout is Metaflow's: unknown means "not cached"
            return False


@dataclass
class Resolved:
    source: SourceInfo
    parents: list[TaskInputs]  # in the order the step sees them
    source_task: TaskInputs | None  # the step's own task in the source run
    attempt: int = 0  # the source task's attempt: current.retry_count in the spin
    origin_run_id: str | None = None  # the run a resumed source task was cloned from


# (type, root, flow) -> the flow's datastore, its blob cache, whether it is remote
_flow_datastores: dict[tuple[str, str, str], tuple[FlowDataStore, _BlobCache, bool]] = {}
_file_caches: list[FileCache] = []


def _file_cache() -> FileCache:
    if not _file_caches:
        _file_caches.append(FileCache())
    return _file_caches[0]


class _Metadata:
    """Each task's metadata, read once per resolve (the Client reads it anew on
    every ``metadata_dict``: files per task locally, a request with a service)."""

    def __init__(self) -> None:
        self._by_pathspec: dict[str, dict[str, str]] = {}

    def __call__(self, task: Task) -> dict[str, str]:
        found = self._by_pathspec.get(task.pathspec)
        if found is None:
            found = self._by_pathspec[task.pathspec] = task.metadata_dict
        return found


def _flow_datastore(
    task: Task, meta: _Metadata, like: Task | None
) -> tuple[tuple[str, str, str], FlowDataStore, _BlobCache, bool]:
    """The datastore holding the task's artifacts; ``like`` names a task of the
    same run whose datastore to use when this one records none (the _parameters
    task)."""
    recorded = meta(task)
    ds_type, ds_root = recorded.get("ds-type"), recorded.get("ds-root")
    if (not ds_type or not ds_root) and like is not None:
        like_meta = meta(like)
        ds_type, ds_root = like_meta.get("ds-type"), like_meta.get("ds-root")
    if not ds_type or not ds_root:
        raise SpinError(f"Task {task.pathspec} records no datastore (ds-type/ds-root).")
    flow = task.path_components[0]
    key = (ds_type, ds_root, flow)
    if key not in _flow_datastores:
        impls = [d for d in DATASTORES if d.TYPE == ds_type]
        if not impls:
            raise SpinError(f"Datastore type '{ds_type}' of {task.pathspec} is not available here.")
        impls[0].datastore_root = ds_root
        flow_ds = FlowDataStore(flow, environment=None, storage_impl=impls[0], ds_root=ds_root)
        # Share the Client's cache of decompressed blobs and task metadata (as
        # Metaflow's spin does): a cold kernel then skips the gunzip of inputs
        # any earlier spin or Client read already unpacked, and, for a remote
        # datastore, their download. It lives outside the run's datastore
        # (METAFLOW_CLIENT_CACHE_PATH).
        cache = _file_cache()
        flow_ds.set_metadata_cache(TaskMetadataCache(cache, ds_type, ds_root, flow))
        blob_cache = _BlobCache(cache, FileCache.flow_ds_id(ds_type, ds_root, flow))
        flow_ds.ca_store.set_blob_cache(blob_cache)
        # Anything not kept on this machine's disk (S3, Azure, GCS, ...) is a download.
        remote = not issubclass(impls[0], LocalStorage)
        _flow_datastores[key] = (flow_ds, blob_cache, remote)
    return (key, *_flow_datastores[key])


def _attempt(task: Task, meta: _Metadata) -> int:
    """``Task.current_attempt``, from the metadata already read (the Client's
    property reads it all again)."""
    chosen = getattr(task, "_attempt", None)  # a Task made for one attempt
    return int(chosen) if chosen is not None else int(meta(task).get("attempt", 0))


def _open_task(flow_ds: FlowDataStore, task: Task, attempt: int, *, where: str) -> Any:
    _, run_id, step, task_id = task.path_components
    try:
        return flow_ds.get_task_datastore(run_id, step, task_id, attempt=attempt, mode="r")
    except DataException:
        raise SpinError(
            f"Task {task.pathspec} has no completed attempt {attempt} in its datastore ({where})."
        ) from None


def _open_tasks(tasks: list[Task], meta: _Metadata, like: Task | None = None) -> list[TaskInputs]:
    """The tasks' artifact tables, in order. A remote datastore's tasks open
    side by side: each costs a few round trips to S3 (its attempt, done marker
    and artifact table), which a join of thousands would otherwise pay in turn."""
    found: dict[str, TaskInputs] = {}
    groups: dict[tuple[str, str, str], tuple[FlowDataStore, _BlobCache, bool, list[Task]]] = {}
    for task in tasks:
        key, flow_ds, blob_cache, remote = _flow_datastore(task, meta, like)
        groups.setdefault(key, (flow_ds, blob_cache, remote, []))[3].append(task)
    for (ds_type, ds_root, _flow), (flow_ds, blob_cache, remote, members) in groups.items():
        open_one = partial(_open_task, flow_ds, where=f"{ds_type} at {ds_root}")
        attempts = [_attempt(task, meta) for task in members]
        # The first opens alone: it creates the storage's S3 client, which
        # threads racing to create it would each build anew.
        opened = [open_one(members[0], attempts[0])]
        if remote and len(members) > 1:  # a few round trips each: overlap them
            with ThreadPoolExecutor(PARALLEL_READS) as pool:
                opened += pool.map(open_one, members[1:], attempts[1:])
        else:
            opened += map(open_one, members[1:], attempts[1:])
        for task, task_ds in zip(members, opened, strict=True):
            found[task.pathspec] = TaskInputs(
                task.pathspec,
                dict(task_ds._objects),
                dict(task_ds._info),
                task_ds,
                datastore_type=ds_type,
                datastore_root=ds_root,
                location="/".join([ds_root.rstrip("/"), task.pathspec]),
                remote=remote,
                blob_cache=blob_cache,
                content_store=flow_ds.ca_store,
            )
    return [found[t.pathspec] for t in tasks]


def task_inputs(task: Task, meta: _Metadata | None = None) -> TaskInputs:
    """One task's artifact table, as Metaflow stored it."""
    return _open_tasks([task], meta or _Metadata())[0]


def _find_run(flow: str, run_id: str | None) -> Run:
    if run_id is not None:
        try:
            return Run(f"{flow}/{run_id}", _namespace_check=False)
        except MetaflowNotFound:
            raise SpinError(f"Run {flow}/{run_id} does not exist.") from None
    # The user's own runs first (Metaflow's default namespace), then anyone's.
    latest = None
    for namespaced in (True, False):
        try:
            runs = Flow(flow, _namespace_check=namespaced)
        except (MetaflowNotFound, MetaflowNamespaceMismatch):
            continue
        for run in runs.runs():
            latest = latest or run.id
            if run.successful:
                return run
    raise NoSuccessfulRun(flow, latest)


def latest_successful_run(flow: str) -> str:
    """The run a spin that names none takes now: a newer one may have finished
    since a kernel loaded its inputs."""
    return str(_find_run(flow, None).id)


def _foreach_path(task: Task, meta: _Metadata) -> tuple[int, ...]:
    """The task's split index in each enclosing foreach, outermost first. Metaflow
    records it in the task's metadata ("step:index,..."), which is read without
    touching the datastore; runs of older Metaflow have only the artifact."""
    recorded = meta(task).get("foreach-execution-path")
    if recorded is not None:
        return tuple(int(frame.rpartition(":")[2]) for frame in recorded.split(",") if frame)
    try:
        return tuple(frame.index for frame in task["_foreach_stack"].data)
    except KeyError:
        return ()


def _iteration(task: Task) -> int | None:
    """Which iteration of a recursive step the task ran (None outside a loop)."""
    try:
        stack = task["_iteration_stack"].data
    except KeyError:
        return None
    return stack[-1] if stack else None


def _graph_steps(task: Task) -> dict[str, Any]:
    return dict(task["_graph_info"].data["steps"])


def _is_recursive(steps: dict[str, Any], name: str) -> bool:
    return name in steps.get(name, {}).get("next", ())


def _pick_task(run: Run, target: Target, meta: _Metadata) -> Task:
    if target.task is not None:
        try:
            return Task(f"{run.pathspec}/{target.step}/{target.task}", _namespace_check=False)
        except MetaflowNotFound:
            raise SpinError(
                f"Task {target.task} of step '{target.step}' does not exist in run {run.id}."
            ) from None
    try:
        step = Step(f"{run.pathspec}/{target.step}", _namespace_check=False)
    except MetaflowNotFound:
        raise SpinError(
            f"Step '{target.step}' did not run in {run.pathspec}, so it has no inputs "
            f"there. Pick a run where it ran (--run ID)."
        ) from None
    tasks = list(step)
    if len(tasks) > 1 and _is_recursive(_graph_steps(tasks[0]), target.step):
        return _pick_iteration(run, target, tasks, meta)
    if target.iteration is not None:
        raise SpinError(f"Step '{target.step}' is not a recursive step; drop --iteration.")
    if len(tasks) == 1 and target.index is None:
        return tasks[0]
    return _pick_split(run, target, tasks, meta)


def _pick_split(run: Run, target: Target, tasks: list[Task], meta: _Metadata) -> Task:
    by_path = sorted(((_foreach_path(t, meta), t) for t in tasks), key=lambda pair: pair[0])
    wanted = 0 if target.index is None else target.index
    for path, task in by_path:
        if path and path[-1] == wanted:
            return task
    indices = sorted({path[-1] for path, _ in by_path if path})
    if not indices:
        raise SpinError(f"Step '{target.step}' is not inside a foreach; drop --index.")
    raise SpinError(
        f"Step '{target.step}' has no foreach split with index {wanted} in run {run.id}; "
        f"indices there: {indices[0]}..{indices[-1]}."
    )


def _pick_iteration(run: Run, target: Target, tasks: list[Task], meta: _Metadata) -> Task:
    """A recursive step ran once per iteration (per foreach split, inside one)."""
    if target.index is not None or any(_foreach_path(t, meta) for t in tasks[:1]):
        wanted = 0 if target.index is None else target.index
        tasks = [t for t in tasks if _foreach_path(t, meta)[-1:] == (wanted,)]
    ordered = sorted(tasks, key=lambda t: _iteration(t) or 0)
    wanted_iteration = 0 if target.iteration is None else target.iteration
    try:
        return ordered[wanted_iteration]
    except IndexError:
        raise SpinError(
            f"Step '{target.step}' ran {len(ordered)} iterations in run {run.id}; "
            f"--iteration takes 0..{len(ordered) - 1} (or -1 for the last)."
        ) from None


def _real_parents(task: Task, parents: list[Task]) -> list[Task]:
    """The tasks a step really took its inputs from. Metaflow's Client lists, as
    parents, every task of the steps that can lead to it: each iteration of a
    loop for every iteration and for the step after it, and both branches of a
    conditional for the step where they meet. The parent of iteration n is
    iteration n-1 (or the step before the loop, for the first); the step after
    a loop reads its last iteration; a step that is no join has the one parent
    whose transition chose it."""
    steps = _graph_steps(task)
    name = task.path_components[2]
    if _is_recursive(steps, name):
        iteration = _iteration(task) or 0
        if iteration == 0:
            return [p for p in parents if p.path_components[2] != name]
        return [
            p for p in parents if p.path_components[2] == name and _iteration(p) == iteration - 1
        ]
    kept: list[Task] = []
    loops: dict[str, list[Task]] = {}
    for parent in parents:
        parent_step = parent.path_components[2]
        if _is_recursive(steps, parent_step):
            loops.setdefault(parent_step, []).append(parent)
        else:
            kept.append(parent)
    for iterations in loops.values():
        kept.append(max(iterations, key=lambda t: _iteration(t) or 0))
    if len(kept) > 1 and steps.get(name, {}).get("type") != "join":
        chosen = [p for p in kept if name in _transition_targets(p)]
        kept = chosen or kept
    return kept


def _transition_targets(task: Task) -> tuple[str, ...]:
    """The steps a task's ``self.next`` chose (a conditional records the taken one)."""
    try:
        return tuple(task["_transition"].data[0])
    except (KeyError, TypeError, IndexError):
        return ()


def _ordered_parents(task: Task, parents: list[Task], meta: _Metadata) -> list[Task]:
    """Joins see their inputs in the original run's order, not metadata order."""
    if len(parents) < 2:
        return parents
    steps = {p.path_components[2] for p in parents}
    if len(steps) == 1:  # a foreach join: order by split index
        return sorted(parents, key=lambda p: _foreach_path(p, meta)[-1:] or (0,))
    # Metaflow's runtime gathers static-join inputs from a set, so there is no
    # original order to keep: use the flow's source order, which is stable.
    rank = {name: i for i, name in enumerate(task["_graph_info"].data["steps"])}
    return sorted(parents, key=lambda p: rank.get(p.path_components[2], len(rank)))


def resolve(target: Target) -> Resolved:
    run = _find_run(target.flow, target.run)
    meta = _Metadata()
    task = _pick_task(run, target, meta)
    if target.step == "start":  # Metaflow names the first step so
        params = Step(f"{run.pathspec}/_parameters", _namespace_check=False).task
        if params is None:
            raise SpinError(f"Run {run.pathspec} records no parameters task.")
        parent_tasks = [params]
    else:
        parent_tasks = list(task.parent_tasks)
        if len(parent_tasks) > 1:
            parent_tasks = _ordered_parents(task, _real_parents(task, parent_tasks), meta)
        if not parent_tasks:
            raise SpinError(f"Task {task.pathspec} records no parent tasks to take inputs from.")
    path = _foreach_path(task, meta)
    source = SourceInfo(
        flow=target.flow,
        run_id=run.id,
        step=target.step,
        task_id=task.id,
        parents=tuple(p.pathspec for p in parent_tasks),
        index=path[-1] if path else None,
        iteration=_iteration(task),
    )
    return Resolved(
        source,
        _open_tasks(parent_tasks, meta, like=task),
        task_inputs(task, meta),
        attempt=_attempt(task, meta),
        origin_run_id=_origin_run_id(meta(task)),
    )


def _origin_run_id(recorded_metadata: dict[str, str]) -> str | None:
    """What ``current.origin_run_id`` was in the source task (Metaflow records it
    as text, "None" outside a resume)."""
    recorded = recorded_metadata.get("origin-run-id")
    return None if recorded in (None, "None") else str(recorded)
