"""One requested spin: what to run, its events, and how to cancel it.

``run`` blocks (it is ``SpinSession.spin``), so it is called in a worker thread;
``cancel`` may be called from any thread, before or during the run.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engine.history import DEFAULT_KEEP, HISTORY_DIR, History
from ..errors import SpinError
from ..flow_analysis import analyze_file, analyze_source
from ..session import SpinSession
from ..wire.events import Event, Failed, FailureKind, Finished
from ..wire.ids import new_spin_id
from .payloads import SpinArgs

logger = logging.getLogger(__name__)

EventSink = Callable[[Event], None]


def _ignore(event: Event) -> None:
    pass


def _nothing() -> None:
    pass


@dataclass(eq=False)
class SpinJob:
    args: SpinArgs
    flow_file: str
    flow: str | None  # None: resolved from the text when the spin starts
    source_run: str | None  # the request's run, else the file's choice, else the default
    source: str | None  # the buffer's text; None runs the file on disk
    emit: EventSink = _ignore  # gets every event, in the worker thread
    # Told of a cancel (from any thread), so a queued spin can leave the queue.
    on_cancel: Callable[[], None] = _nothing
    history_dir: str | None = None
    history_keep: int = DEFAULT_KEEP
    debug: bool = False  # wait for a debugger (debugpy on 127.0.0.1, any free port)
    memory_limit_mb: int | None = None  # the step may allocate this much more; None: no limit
    spin_id: str = field(default_factory=new_spin_id)  # the server's, from the request on
    message_id: Any = None  # the JSON-RPC id of the request (for $/cancelRequest)
    cancelled: bool = False
    running: bool = False
    events: list[Event] = field(default_factory=list)
    _session: SpinSession | None = None

    @property
    def request_id(self) -> str | None:
        """The client's id for this spin request, if it gave one."""
        return self.args.request_id

    @property
    def terminal(self) -> Finished | Failed | None:
        last = self.events[-1] if self.events else None
        return last if isinstance(last, (Finished, Failed)) else None

    def cancel(self) -> bool:
        """Ask the spin to stop (or never start); False if it had already ended."""
        if self.terminal is not None:
            return False
        self.cancelled = True
        self.on_cancel()
        session = self._session
        if session is not None:
            # The session handles a cancel that comes before it sent the spin.
            session.cancel(self.spin_id)
        return True

    def refuse(self, kind: FailureKind, error: str, code: str | None = None) -> Failed:
        """End the job without the engine (cancelled while queued, bad request)."""
        failed = Failed(spin_id=self.spin_id, kind=kind, error=error, code=code)
        self._on_event(failed)
        return failed

    def run(self, open_session: Callable[[], SpinSession]) -> Finished | Failed:
        """Spin in the session ``open_session`` gives; called under the file's lock."""
        if self.cancelled:
            return self.refuse("cancelled", "Cancelled before it started.")
        self.running = True
        try:
            if self.flow is None:  # here, not on the event loop: it may parse a big file
                self.flow = resolve_flow(self.source, self.flow_file, self.args.step)
            session = open_session()
            self._session = session
            if self.cancelled:  # cancel() came before it could see the session
                session.cancel(self.spin_id)
            session.spin(
                self.args.step,
                run=self.source_run,
                index=self.args.index,
                task=self.args.task,
                overrides=self.args.overrides,
                source=self.source,
                on_event=self._on_event,
                debug_port=0 if self.debug else None,
                memory_limit_mb=self.memory_limit_mb,
                flow=self.flow,  # one kernel per file serves every flow in it
                history=self._history(),
                spin_id=self.spin_id,
            )
        except SpinError as exc:
            if self.terminal is None:
                self.refuse("setup", str(exc), exc.code)
        except Exception as exc:  # a bug of ours must not take the server down
            logger.exception("spin of %s failed", self.args.step)
            if self.terminal is None:
                self.refuse("crash", f"Spinlens server error: {type(exc).__name__}: {exc}")
        finally:
            self.running = False
            self._session = None
        terminal = self.terminal
        assert terminal is not None
        return terminal

    def _history(self) -> History | None:
        """Where this spin is recorded: the current ``historySize`` and folder."""
        if self.history_keep <= 0:
            return None
        folder = Path(self.history_dir or Path(self.flow_file).parent / HISTORY_DIR)
        return History(folder, self.history_keep)

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        self.emit(event)


def resolve_flow(text: str | None, path: str, step: str | None) -> str | None:
    """The flow a request means: the only one having ``step``, else the file's default
    (the only flow, the one run under ``__main__``, else the last); None if unreadable."""
    if text is not None:
        analysis = analyze_source(text, path)
    elif os.path.exists(path):
        analysis = analyze_file(path)
    else:
        return None
    if analysis.error is not None or not analysis.flows:
        return None
    having = [flow for flow in analysis.flows if step is not None and flow.step(step)]
    if len(having) == 1:
        return having[0].name
    return analysis.flow().name
