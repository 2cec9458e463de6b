"""The runs explorer: the workspace's flows, and their runs, steps, tasks and
artifacts, paged, read through Metaflow's Client by one long-lived reader process
per folder (``spinlens.client_reader``); comparisons of two runs, or of tasks and
spins (a spin named by its record folder, accepted only inside the server's spin
history); a past task's @card HTML; and a watcher that tells the client when a flow
has a new run (``spinlens/runsChanged``).

The server never imports Metaflow: a reader is started lazily in the flow file's
folder with the server's interpreter (the one the kernels use), answers JSON
lines, ends when its stdin closes, and is started again if it died.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams
from pygls.uris import from_fs_path

from ..engine.history import HISTORY_DIR, History
from ..flow_analysis import analyze_source
from .methods import (
    EXPLORER_ARTIFACTS,
    EXPLORER_CARDS,
    EXPLORER_COMPARE,
    EXPLORER_FLOWS,
    EXPLORER_RUNS,
    EXPLORER_STEPS,
    EXPLORER_TASKS,
    RUNS_CHANGED,
)
from .payloads import (
    CompareArgs,
    CompareArtifact,
    CompareMetric,
    CompareParameter,
    CompareReply,
    ExplorerArtifact,
    ExplorerArtifactsArgs,
    ExplorerArtifactsReply,
    ExplorerCard,
    ExplorerCardsReply,
    ExplorerFlow,
    ExplorerFlowsArgs,
    ExplorerFlowsReply,
    ExplorerRun,
    ExplorerRunsArgs,
    ExplorerRunsReply,
    ExplorerStep,
    ExplorerStepsArgs,
    ExplorerStepsReply,
    ExplorerTask,
    ExplorerTasksArgs,
    ExplorerTasksReply,
    RunsChangedParams,
    to_wire,
)

if TYPE_CHECKING:
    from .server import SpinlensServer

logger = logging.getLogger(__name__)

_PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])
REQUEST_TIMEOUT_S = 120.0
POLL_S = 2.0  # how often the watcher lists the watched flows' run folders
SCAN_FILES = 2000  # .py files read per workspace folder when listing flows
SCAN_DEPTH = 6
_SKIP_DIRS = {"node_modules", "site-packages", "__pycache__", "venv", "env", "dist", "build"}


class ReaderError(Exception):
    """The reader answered with an error, or died."""


@dataclass
class _Pending:
    """A request written to a reader, until it answers."""

    future: concurrent.futures.Future[Any]
    line: str
    again: bool  # asked of a second reader already
    proc: subprocess.Popen[str]


class ReaderProcess:
    """One ``python -m spinlens.client_reader`` in a folder, and its pending requests.

    Requests are written from any thread; a reader thread matches replies to
    them by id. A reader found dead is started again on the next request, and
    what was asked of a reader that died unanswered is asked once more of the
    next one (it may have been written to a process already gone).
    """

    def __init__(self, folder: str, python: str | None = None) -> None:
        self.folder = folder
        self.python = python or sys.executable
        self.starts = 0
        self._proc: subprocess.Popen[str] | None = None
        self._pending: dict[int, _Pending] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def request(self, op: str, **params: Any) -> concurrent.futures.Future[Any]:
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        with self._lock:
            ident = next(self._ids)
            self._send(ident, json.dumps({"id": ident, "op": op, **params}) + "\n", future, False)
        return future

    def _send(
        self, ident: int, line: str, future: concurrent.futures.Future[Any], again: bool
    ) -> None:
        """Write one request (holding the lock) to the live reader, started if need be."""
        proc = self._ensure()
        self._pending[ident] = _Pending(future, line, again, proc)
        assert proc.stdin is not None
        try:
            proc.stdin.write(line)
            proc.stdin.flush()
        except (OSError, ValueError) as exc:  # it died just now
            self._pending.pop(ident, None)
            future.set_exception(ReaderError(f"the Metaflow reader stopped: {exc}"))

    def _ensure(self) -> subprocess.Popen[str]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [_PACKAGE_PARENT, env.get("PYTHONPATH")]))
        proc = subprocess.Popen(
            [self.python, "-m", "spinlens.client_reader"],
            cwd=self.folder,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            encoding="utf-8",
        )
        self._proc = proc
        self.starts += 1
        assert proc.stdout is not None
        threading.Thread(
            target=self._read, args=(proc, proc.stdout), name="spinlens-reader", daemon=True
        ).start()
        return proc

    def _read(self, proc: subprocess.Popen[str], stdout: IO[str]) -> None:
        for line in stdout:
            try:
                reply = json.loads(line)
            except ValueError:
                continue
            if not isinstance(reply, dict):
                continue
            ident = reply.get("id")
            with self._lock:
                entry = self._pending.pop(ident, None) if isinstance(ident, int) else None
            if entry is None:
                continue
            future = entry.future
            if "error" in reply:
                future.set_exception(ReaderError(str(reply["error"])))
            else:
                future.set_result(reply.get("result"))
        proc.wait()
        with self._lock:  # whatever was asked of this process will not be answered by it
            if self._proc is proc:
                self._proc = None
            lost = [(i, e) for i, e in self._pending.items() if e.proc is proc]
            for ident, entry in lost:
                del self._pending[ident]
                if entry.future.done():
                    continue
                if entry.again:
                    entry.future.set_exception(ReaderError("the Metaflow reader stopped"))
                else:
                    self._send(ident, entry.line, entry.future, True)

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def close(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            try:
                proc.stdin.close()  # the reader ends at EOF
            except OSError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Readers:
    """The reader of each folder, started on its first request."""

    def __init__(self) -> None:
        self._by_folder: dict[str, ReaderProcess] = {}
        self._lock = threading.Lock()

    def for_folder(self, folder: str) -> ReaderProcess:
        with self._lock:
            reader = self._by_folder.get(folder)
            if reader is None:
                reader = self._by_folder[folder] = ReaderProcess(folder)
            return reader

    async def ask(self, flow_file: str, op: str, **params: Any) -> Any:
        reader = self.for_folder(os.path.dirname(flow_file))
        future = reader.request(op, **params)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), REQUEST_TIMEOUT_S)
        except ReaderError as exc:
            raise JsonRpcInternalError(f"Metaflow: {exc}") from None
        except asyncio.TimeoutError:
            raise JsonRpcInternalError(
                f"Metaflow took more than {REQUEST_TIMEOUT_S:.0f} s to answer {op}."
            ) from None

    def close_all(self) -> None:
        with self._lock:
            readers = list(self._by_folder.values())
            self._by_folder.clear()
        for reader in readers:
            reader.close()


# -- the workspace's flows --------------------------------------------------------------


def _python_files(root: str) -> Iterator[str]:
    count = 0
    base_depth = root.rstrip(os.sep).count(os.sep)
    for folder, dirs, files in os.walk(root):
        depth = folder.count(os.sep) - base_depth
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and d not in _SKIP_DIRS and depth < SCAN_DEPTH
        )
        for name in sorted(files):
            if name.endswith(".py"):
                count += 1
                if count > SCAN_FILES:
                    return
                yield os.path.join(folder, name)


def workspace_flows(roots: Sequence[str], open_texts: Mapping[str, str]) -> list[ExplorerFlow]:
    """FlowSpec subclasses defined in the folders' .py files (an open buffer's
    text for a file the editor has open), by flow name; a flow defined twice
    keeps its first file."""
    found: dict[str, ExplorerFlow] = {}
    paths = [p for root in roots for p in _python_files(root)]
    paths += [p for p in open_texts if p not in paths]
    for path in paths:
        text = open_texts.get(path)
        if text is None:
            try:
                with open(path, encoding="utf-8") as file:
                    text = file.read()
            except (OSError, UnicodeDecodeError):
                continue
        if "FlowSpec" not in text and "from metaflow" not in text:
            continue  # cheap: most files define no flow
        analysis = analyze_source(text, path)
        if analysis.error is not None:
            continue
        for flow in analysis.flows:
            found.setdefault(
                flow.name, ExplorerFlow(flow=flow.name, uri=from_fs_path(path) or path, path=path)
            )
    return sorted(found.values(), key=lambda f: f.flow)


# -- the watcher -------------------------------------------------------------------------


def _datastore_of(folder: str) -> str:
    """The ``.metaflow`` folder Metaflow uses from ``folder``: the nearest one
    upward, else the one a first run would create there."""
    configured = os.environ.get("METAFLOW_DATASTORE_SYSROOT_LOCAL")
    if configured:
        return os.path.join(configured, ".metaflow")
    here = Path(folder)
    for candidate in (here, *here.parents):
        if (candidate / ".metaflow").is_dir():
            return str(candidate / ".metaflow")
    return str(here / ".metaflow")


def run_snapshot(folder: str, flow: str) -> tuple[frozenset[str], int]:
    """The flow's run folders and the newest one's modification time: one listing
    and one stat, so polling it is cheap; a new run or a new step changes it."""
    root = os.path.join(_datastore_of(folder), flow)
    try:
        with os.scandir(root) as entries:
            runs = frozenset(e.name for e in entries if e.is_dir() and e.name not in ("data",))
    except OSError:
        return frozenset(), 0
    newest = max(runs, key=lambda r: (len(r), r), default=None)
    try:
        mtime = os.stat(os.path.join(root, newest)).st_mtime_ns if newest else 0
    except OSError:
        mtime = 0
    return runs, mtime


class RunWatcher:
    """Polls the run folders of the flows the client has listed runs of."""

    def __init__(self) -> None:
        self._watched: dict[tuple[str, str], tuple[str, tuple[frozenset[str], int]]] = {}
        self._task: asyncio.Task[None] | None = None

    def watch(self, server: SpinlensServer, flow_file: str, flow: str, uri: str) -> None:
        key = (os.path.dirname(flow_file), flow)
        if key not in self._watched:
            self._watched[key] = (uri, run_snapshot(*key))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._poll(server))

    def changed(self) -> list[tuple[str, str]]:
        """(flow, uri) of every watched flow whose snapshot moved since the last call."""
        moved = []
        for key, (uri, before) in list(self._watched.items()):
            now = run_snapshot(*key)
            if now != before:
                self._watched[key] = (uri, now)
                moved.append((key[1], uri))
        return moved

    async def _poll(self, server: SpinlensServer) -> None:
        while self._watched:
            await asyncio.sleep(POLL_S)
            for flow, uri in await asyncio.to_thread(self.changed):
                params = RunsChangedParams(flow=flow, uri=uri)
                server.protocol.notify(RUNS_CHANGED, to_wire(params))

    def stop(self) -> None:
        self._watched.clear()
        if self._task is not None:
            self._task.cancel()


# -- the commands --------------------------------------------------------------------------


class Explorer:
    """The server's explorer state: the readers and the watcher."""

    def __init__(self) -> None:
        self.readers = Readers()
        self.watcher = RunWatcher()

    def close(self) -> None:
        self.watcher.stop()
        self.readers.close_all()


async def flows(server: SpinlensServer, arguments: Sequence[Any]) -> ExplorerFlowsReply:
    ExplorerFlowsArgs.parse(EXPLORER_FLOWS, arguments)
    roots = list(server.folder_roots())
    texts = {
        path: document.source
        for document in server.workspace.text_documents.values()
        if (path := _file_of(document.uri)) is not None and path.endswith(".py")
    }
    found = await asyncio.to_thread(workspace_flows, roots, texts)
    return ExplorerFlowsReply(flows=found)


def _file_of(uri: str) -> str | None:
    from .server import file_path

    return file_path(uri)


async def runs(server: SpinlensServer, arguments: Sequence[Any]) -> ExplorerRunsReply:
    args = ExplorerRunsArgs.parse(EXPLORER_RUNS, arguments)
    path = server.flow_path(args.uri)
    server.explorer.watcher.watch(server, path, args.flow, args.uri)
    found = await server.explorer.readers.ask(
        path, "runs", flow=args.flow, offset=args.offset, limit=args.limit
    )
    return ExplorerRunsReply(
        runs=[
            ExplorerRun(
                run_id=r["run_id"],
                status=r["status"],
                created=r["created"],
                user=r["user"],
                tags=r["tags"],
                parameters=r["parameters"],
            )
            for r in found["runs"]
        ],
        total=found["total"],
        more=found["more"],
    )


async def steps(server: SpinlensServer, arguments: Sequence[Any]) -> ExplorerStepsReply:
    args = ExplorerStepsArgs.parse(EXPLORER_STEPS, arguments)
    path = server.flow_path(args.uri)
    found = await server.explorer.readers.ask(path, "steps", flow=args.flow, run=args.run)
    return ExplorerStepsReply(
        steps=[ExplorerStep(name=s["name"], created=s["created"]) for s in found["steps"]]
    )


async def tasks(server: SpinlensServer, arguments: Sequence[Any]) -> ExplorerTasksReply:
    args = ExplorerTasksArgs.parse(EXPLORER_TASKS, arguments)
    path = server.flow_path(args.uri)
    found = await server.explorer.readers.ask(
        path,
        "tasks",
        flow=args.flow,
        run=args.run,
        step=args.step,
        offset=args.offset,
        limit=args.limit,
    )
    return ExplorerTasksReply(
        tasks=[ExplorerTask(**t) for t in found["tasks"]],
        total=found["total"],
        more=found["more"],
    )


async def artifacts(server: SpinlensServer, arguments: Sequence[Any]) -> ExplorerArtifactsReply:
    args = ExplorerArtifactsArgs.parse(EXPLORER_ARTIFACTS, arguments)
    path = server.flow_path(args.uri)
    found = await server.explorer.readers.ask(path, "artifacts", pathspec=args.pathspec)
    return ExplorerArtifactsReply(
        pathspec=found["pathspec"],
        artifacts=[ExplorerArtifact(**a) for a in found["artifacts"]],
    )


async def compare(server: SpinlensServer, arguments: Sequence[Any]) -> CompareReply:
    args = CompareArgs.parse(EXPLORER_COMPARE, arguments)
    path = server.flow_path(args.uri)
    history = spin_history(server, path)
    a, b = (_checked_side(history, side) for side in (args.a, args.b))
    found = await server.explorer.readers.ask(path, "compare", a=a, b=b, history=str(history.root))
    return CompareReply(
        a=found["a"],
        b=found["b"],
        parameters=[CompareParameter(**p) for p in found["parameters"]],
        artifacts=[CompareArtifact(**a) for a in found["artifacts"]],
        metrics=[CompareMetric(**m) for m in found["metrics"]],
        truncated=found["truncated"],
    )


async def cards(server: SpinlensServer, arguments: Sequence[Any]) -> ExplorerCardsReply:
    args = ExplorerArtifactsArgs.parse(EXPLORER_CARDS, arguments)
    path = server.flow_path(args.uri)
    found = await server.explorer.readers.ask(path, "cards", pathspec=args.pathspec)
    return ExplorerCardsReply(
        pathspec=found["pathspec"],
        cards=[ExplorerCard(**c) for c in found["cards"]],
        truncated=found["truncated"],
    )


def spin_history(server: SpinlensServer, flow_file: str) -> History:
    """The spin history the server records the file's spins in (as jobs.py does)."""
    return History(server.history_dir(flow_file) or Path(flow_file).parent / HISTORY_DIR)


def _checked_side(history: History, side: str) -> str:
    """A task or run pathspec as it is; a spin's folder resolved, if it is a record
    of ``history`` (the only paths from the client the server reads)."""
    if not os.path.isabs(side):
        return side
    try:
        return str(history.record_folder(side))
    except ValueError as exc:
        raise JsonRpcInvalidParams(f"{EXPLORER_COMPARE}: {exc}") from None


def register(server: SpinlensServer) -> None:
    """The explorer's commands (results through to_wire: camelCase on the wire)."""
    handlers = {
        EXPLORER_FLOWS: flows,
        EXPLORER_RUNS: runs,
        EXPLORER_STEPS: steps,
        EXPLORER_TASKS: tasks,
        EXPLORER_ARTIFACTS: artifacts,
        EXPLORER_COMPARE: compare,
        EXPLORER_CARDS: cards,
    }
    for name, handler in handlers.items():
        _register(server, name, handler)


def _register(server: SpinlensServer, name: str, handler: Any) -> None:
    # ``ls: Any``: pygls evaluates the handler's annotations, and SpinlensServer
    # is imported here for type checking only.
    @server.command(name)
    async def command(ls: Any, *arguments: Any) -> Any:
        return to_wire(await handler(ls, arguments))
