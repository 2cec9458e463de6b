"""A debug spin's debugger: debugpy inside the spin child, shaped for the user.

The child listens with debugpy's in-process adapter and waits for a DAP client
before the step runs. Three things make the session read as the user's step
rather than as Spinlens's machinery:

- Spinlens's own frames (and the Metaflow runner and interpreter start-up frames
  above the step) are excluded from stacks, exception details and stepping,
  whatever ``justMyCode`` and ``rules`` the client sends;
- ``self`` lists every input artifact, not only those the step has read so far
  (they load lazily, when the debugger shows them);
- the time the step spends stopped is measured, so it is not counted as step
  time, and ``paused`` / ``resumed`` events say where it stopped.
"""

from __future__ import annotations

import os
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from ..wire import events

Emit = Callable[[events.Event], None]

_SPINLENS_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _hidden_paths() -> list[str]:
    """Globs of the files between the interpreter's start and the step function:
    Spinlens's, and the Metaflow runner's (``spin-step``'s CLI, click, the task
    runner). Metaflow's API (``current``, ``merge_artifacts``) stays steppable."""
    import metaflow

    metaflow_root = os.path.dirname(os.path.abspath(metaflow.__file__))
    return [
        f"{_SPINLENS_ROOT}/**",
        f"{metaflow_root}/task.py",
        f"{metaflow_root}/cli.py",
        f"{metaflow_root}/cli_components/**",
        f"{metaflow_root}/_vendor/click/**",
    ]


def preload() -> None:
    """Import debugpy and its pydevd ahead (in the kernel after its first spin,
    or in a prewarmed spare while it waits): ~0.15 s and ~7 MiB that a debug
    spin's click then does not wait for. The import starts no thread and sets
    no hook."""
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        import debugpy  # noqa: F401
        from debugpy.server import api  # noqa: F401
    except ImportError:
        return  # the debug spin itself says that debugpy is missing
    _skip_unlogged_environment_report()


def _skip_unlogged_environment_report() -> None:
    """When its server starts, debugpy describes the environment for its log:
    the metadata of every installed distribution, 0.1-0.35 s. With no log
    directory (``DEBUGPY_LOG_DIR``) and info not logged to stderr, that text goes
    nowhere, so debugpy is told its logging is already set up."""
    from debugpy.common import log
    from debugpy.server import api

    if log.log_dir is None and "info" not in log.stderr.levels:
        api.ensure_logging.ensured = True  # type: ignore[attr-defined]


class Debugger:
    """debugpy in this process for one spin, and the time the step spends stopped."""

    def __init__(self, spin_id: str, emit: Emit) -> None:
        self.spin_id = spin_id
        self.emit = emit
        self._lock = threading.Lock()
        self._suspended = 0  # threads stopped in the debugger now
        self._since = 0.0  # when the first of them stopped
        self._paused_s = 0.0  # stopped time before that
        self._detached = False  # the client disconnected without ending the process

    def listen(self, port: int) -> None:
        """Listen on loopback only, say where, and wait for a client.

        The adapter runs in this process: no adapter process to start (about
        0.7 s) or to outlive the spin, and the client talks to the step directly.
        """
        # Python's frozen stdlib modules only hide breakpoints set in the stdlib.
        os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
        import debugpy
        from debugpy.server import api  # pydevd, imported from debugpy's own copy

        _skip_unlogged_environment_report()
        host, bound = debugpy.listen(("127.0.0.1", port), in_process_debug_adapter=True)
        py_db = api.get_global_debugger()
        _hide_runner_frames(py_db)
        self._watch_detach(api.pydevd.PyDevdAPI)
        self._watch_suspends(py_db)
        self.emit(events.DebugReady(spin_id=self.spin_id, host=host, port=bound))
        debugpy.wait_for_client()
        _end_when_detached(debugpy.is_client_connected)

    def paused_s(self) -> float:
        """Seconds stopped in the debugger so far (a stop under way counts to now)."""
        with self._lock:
            ongoing = time.perf_counter() - self._since if self._suspended else 0.0
            return self._paused_s + ongoing

    def _watch_detach(self, pydevd_api: Any) -> None:
        """Note a disconnect before pydevd resumes the stopped threads (this
        child's pydevd alone: the process is throwaway)."""
        disconnect = pydevd_api.request_disconnect

        def request_disconnect(api: Any, py_db: Any, resume_threads: bool) -> Any:
            self._detached = True
            return disconnect(api, py_db, resume_threads)

        pydevd_api.request_disconnect = request_disconnect

    def _watch_suspends(self, py_db: Any) -> None:
        """A thread the debugger stops waits in ``do_wait_suspend`` until resumed
        (breakpoint, step, pause, exception): the time in there is paused time."""
        wait_suspend = py_db.do_wait_suspend

        def do_wait_suspend(thread: Any, frame: Any, event: str, arg: Any, *rest: Any) -> Any:
            self._stopped(py_db, frame, event, arg)
            try:
                return wait_suspend(thread, frame, event, arg, *rest)
            finally:
                if self._detached:
                    # Stop in the editor resumed this thread: the step must not
                    # run on (and finish) before the watcher below ends it.
                    os._exit(0)
                self._resumed()

        py_db.do_wait_suspend = do_wait_suspend

    def _stopped(self, py_db: Any, frame: Any, event: str, arg: Any) -> None:
        with self._lock:
            self._suspended += 1
            first = self._suspended == 1
            if first:
                self._since = time.perf_counter()
        if first:
            where = _where(py_db, frame, arg if event == "exception" else None)
            file, line, function = where
            self.emit(events.Paused(spin_id=self.spin_id, file=file, line=line, function=function))

    def _resumed(self) -> None:
        with self._lock:
            self._suspended -= 1
            last = self._suspended == 0
            if last:
                self._paused_s += time.perf_counter() - self._since
        if last:
            self.emit(events.Resumed(spin_id=self.spin_id))


def _where(py_db: Any, frame: Any, excinfo: Any) -> tuple[str, int, str]:
    """The user's line the debugger stopped at: the frame itself, or for an
    exception the innermost frame of its traceback the debugger shows."""
    if isinstance(excinfo, tuple) and len(excinfo) == 3:
        tb = excinfo[2]
        shown = []
        while isinstance(tb, types.TracebackType):
            if not _hidden(py_db, tb.tb_frame):
                shown.append((tb.tb_frame, tb.tb_lineno))
            tb = tb.tb_next
        if shown:
            found, line = shown[-1]
            return found.f_code.co_filename, line, found.f_code.co_name
    return frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name


def _hidden(py_db: Any, frame: Any) -> bool:
    return bool(
        py_db.is_files_filter_enabled
        and py_db.apply_files_filter(frame, frame.f_code.co_filename, False)
    )


def _hide_runner_frames(py_db: Any) -> None:
    """Exclude the runner's frames, after whatever the client asks for: an attach
    request replaces the exclude filters with its ``rules``, so ours are added to
    every set of filters from now on. Rules match first-wins: a client's explicit
    ``include`` still shows a file."""
    from debugpy.server import api

    ExcludeFilter = api.pydevd.PyDevdAPI.ExcludeFilter  # (name, exclude, is_path)
    ours = [ExcludeFilter(glob, True, True) for glob in _hidden_paths()]
    # `python -m spinlens.engine.kernel` starts in runpy.
    ours.append(ExcludeFilter("runpy", True, False))
    set_exclude_filters = py_db.set_exclude_filters

    def with_ours(filters: list[Any]) -> None:
        set_exclude_filters([*filters, *ours])

    py_db.set_exclude_filters = with_ours
    with_ours([])


@contextmanager
def inputs_listed(flow: Any) -> Iterator[None]:
    """``self`` lists every artifact of its datastore while the step runs.

    Metaflow loads an input the first time the step reads it (``__getattr__``),
    so a debugger listing ``dir(self)`` saw only those read so far. Listing the
    datastore's names too lets it show them all: each loads when shown (from the
    kernel's memory, shared copy-on-write), as if the step had read it. Only for
    the step: Metaflow's persist and Spinlens's outputs read ``dir`` afterwards.
    """
    cls = type(flow)
    own = cls.__dict__.get("__dir__")
    inherited: Callable[[Any], Iterable[str]] = cls.__dir__  # type: ignore[assignment]

    def listing(self: Any) -> list[str]:
        names = set(inherited(self))
        datastore = self.__dict__.get("_datastore")
        if datastore is not None and hasattr(datastore, "names"):
            names.update(datastore.names())
        return sorted(names)

    cls.__dir__ = listing  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        if own is None:
            del cls.__dir__
        else:
            cls.__dir__ = own  # type: ignore[method-assign]


def _end_when_detached(connected: Callable[[], bool], every_s: float = 0.05) -> None:
    """Stopping a debugger that attached detaches it (DAP ``disconnect``) and lets
    the step run on; the user meant to stop the spin. End this process then: the
    kernel reports a debug spin that exits without a result as cancelled."""

    def watch() -> None:
        while connected():
            time.sleep(every_s)
        os._exit(0)

    watcher = threading.Thread(target=watch, name="spinlens-debugger-watch", daemon=True)
    # Neither traced nor listed by the debugger: it is ours, not the step's.
    watcher.pydev_do_not_trace = True  # type: ignore[attr-defined]
    watcher.is_pydev_daemon_thread = True  # type: ignore[attr-defined]
    watcher.start()
