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

from ..engine.history import DEFAULT_KEEP, HISTORY_DIR, History
from ..errors import SpinError
from ..flow_analysis import analyze_file, analyze_source
from ..session import SpinSession, new_spin_id
from ..wire.events import Event, Failed, FailureKind, Finished
from .payloads import SpinArgs

logger = logging.getLogger(__name__)

EventSink = Callable[[Event], None]


def _ignore(event: Event) -> None:
    pass


@dataclass(eq=False)
class SpinJob:
    args: SpinArgs
    flow_file: str
    flow: str | None  # None: resolved from the text when the spin starts
    source_run: str | None  # the request's run, else the file's choice, else the default
    source: str | None  # the buffer's text; None runs the file on disk
    emit: EventSink = _ignore  # gets every event, in the worker thread
    history_dir: str | None = None
    history_keep: int = DEFAULT_KEEP
    debug: bool = False  # wait for a debugger (debugpy on 127.0.0.1, any free port)
    memory_limit_mb: int | None = None  # the step may allocate this much more; None: no limit
    cancelled: bool = False
    running: bool = False
    events: list[Event] = field(default_factory=list)
    _session: SpinSession | None = None
    _cancel_sent: bool = False

    @property
    def spin_id(self) -> str | None:
        """The engine's id for this spin, once it has sent an event."""
        return self.events[0].spin_id if self.events else None

    @property
    def terminal(self) -> Finished | Failed | None:
        last = self.events[-1] if self.events else None
        return last if isinstance(last, (Finished, Failed)) else None

    def cancel(self) -> bool:
        """Ask the spin to stop (or never start); False if it had already ended."""
        if self.terminal is not None:
            return False
        self.cancelled = True
        session = self._session
        if session is not None:
            session.cancel()
        return True

    def refuse(self, kind: FailureKind, error: str, code: str | None = None) -> Failed:
        """End the job without the engine (cancelled while queued, bad request)."""
        failed = Failed(spin_id=new_spin_id(), kind=kind, error=error, code=code)
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
            if self.flow is not None:
                # One kernel per file serves every flow in it; the session's flow
                # is only its default, set per spin under the file's lock.
                session.flow = self.flow
            _apply_history(session, self.history_dir, self.history_keep)
            self._session = session
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

    def _on_event(self, event: Event) -> None:
        self.events.append(event)
        if self.cancelled and not self._cancel_sent and self._session is not None:
            # A cancel that came before the engine had a spin to cancel (kernel
            # starting, request in flight): the spin exists once it has an event.
            self._cancel_sent = True
            self._session.cancel()
        self.emit(event)


def _apply_history(session: SpinSession, root: str | None, keep: int) -> None:
    """Follow the current ``historySize`` and history folder for this spin."""
    folder = Path(root) if root else Path(session.flow_file).parent / HISTORY_DIR
    if keep <= 0:
        session.history = None
    elif session.history is None or session.history.root != folder:
        session.history = History(folder, keep)
    else:
        session.history.keep = keep


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
