"""Debug spins: a real DAP client against debugpy in the spin child."""

from __future__ import annotations

import os
import pty
import queue
import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import spinlens
from dapclient import DapClient, read_attach_configuration
from flowruns import FlowRun
from procs import children, still_running
from spinlens import SpinSession
from spinlens.session import SpinResult
from spinlens.wire.events import Artifact, DebugReady, Event, Paused, Resumed

SPINLENS_ROOT = Path(spinlens.__file__).parent


def _accepts(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


class DebugSpin:
    """A debug spin in a worker thread, and a DAP client attached to it."""

    def __init__(self, session: SpinSession, step: str, **spin_args: Any) -> None:
        ready: queue.Queue[DebugReady] = queue.Queue()
        self.results: list[SpinResult] = []
        self.events: list[tuple[float, Event]] = []  # as they arrived (perf_counter)

        def on_event(event: Event) -> None:
            self.events.append((time.perf_counter(), event))
            if isinstance(event, DebugReady):
                ready.put(event)

        self.thread = threading.Thread(
            target=lambda: self.results.append(
                session.spin(step, debug_port=0, on_event=on_event, **spin_args)
            )
        )
        self.thread.start()
        self.where = ready.get(timeout=120)
        self.dap = DapClient(self.where.host, self.where.port)

    def attach(
        self,
        breakpoints: dict[Path, list[int]] | None = None,
        exceptions: tuple[str, ...] = (),
        just_my_code: bool = False,
    ) -> None:
        self.dap.attach({"justMyCode": just_my_code}, breakpoints, exceptions)

    def frames(self, stopped: dict[str, Any]) -> list[dict[str, Any]]:
        thread = stopped["body"]["threadId"]
        return self.dap.request("stackTrace", {"threadId": thread})["body"]["stackFrames"]

    def top_frame(self, stopped: dict[str, Any]) -> dict[str, Any]:
        return self.frames(stopped)[0]

    def variables(self, reference: int) -> dict[str, dict[str, Any]]:
        found = self.dap.request("variables", {"variablesReference": reference})["body"]
        return {v["name"]: v for v in found["variables"]}

    def self_variables(self, frame: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """What the Variables view lists when ``self`` is expanded in ``frame``."""
        scopes = self.dap.request("scopes", {"frameId": frame["id"]})["body"]["scopes"]
        local = next(s for s in scopes if s["name"].lower() == "locals")
        flow = self.variables(local["variablesReference"])["self"]
        return self.variables(flow["variablesReference"])

    def events_of(self, kind: type[Any]) -> list[tuple[float, Any]]:
        return [(at, e) for at, e in self.events if isinstance(e, kind)]

    def evaluate(self, frame: dict[str, Any], expression: str) -> str:
        body = self.dap.request(
            "evaluate", {"expression": expression, "frameId": frame["id"], "context": "repl"}
        )["body"]
        return str(body["result"])

    def result(self) -> SpinResult:
        self.thread.join(timeout=120)
        self.dap.close()
        assert self.results, "the debug spin did not end"
        return self.results[0]


def _line_of(path: Path, text: str) -> int:
    return path.read_text().splitlines().index(text) + 1


def test_breakpoint_stops_in_the_step_and_sees_its_inputs(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("foreach_flow.py")
    line = _line_of(run.file, "        self.mean = float(part.x.mean())")
    with SpinSession(run.file) as session:
        spin = DebugSpin(session, "per_group", index=1)
        debuggee = children(session.kernel_pid)
        assert spin.where.host == "127.0.0.1"  # debug ports listen on loopback only
        spin.attach({run.file: [line]})
        stopped = spin.dap.event("stopped")
        frame = spin.top_frame(stopped)
        assert frame["line"] == line
        assert Path(frame["source"]["path"]) == run.file
        assert spin.evaluate(frame, "self.table.shape") == "(1000, 2)"
        assert spin.evaluate(frame, "self.input") == "1"
        spin.dap.request("continue", {"threadId": stopped["body"]["threadId"]})
        result = spin.result()
        assert result.ok, result.error
        assert result.artifacts["group"] == 1  # served from the history: no parked child
        # The debug child exits once it has reported, and its debug port closes,
        # while the session and its kernel stay up for the next spin.
        assert debuggee and still_running(debuggee) == set(), "the debuggee outlived its spin"
        assert not _accepts(spin.where.port)
        assert session.spin("per_group", index=0).ok


@pytest.mark.parametrize("just_my_code", [True, False], ids=["justMyCode", "all-code"])
def test_self_lists_every_input_and_the_stack_only_the_users_frames(
    flow_runs: Callable[..., FlowRun], just_my_code: bool
) -> None:
    """At the step's first line it has read nothing yet: ``self`` still lists
    every input. The call stack is the step alone (no Spinlens, Metaflow runner
    or interpreter start-up frames), whatever ``justMyCode`` says."""
    run = flow_runs("linear_flow.py")
    line = _line_of(run.file, "        self.total = sum(self.scaled)")
    with SpinSession(run.file) as session:
        spin = DebugSpin(session, "end")
        spin.attach({run.file: [line]}, just_my_code=just_my_code)
        stopped = spin.dap.event("stopped")
        frames = spin.frames(stopped)
        assert [(Path(f["source"]["path"]), f["name"]) for f in frames] == [(run.file, "end")]
        listed = spin.self_variables(frames[0])
        for name in ("scaled", "numbers", "label", "where", "scale", "name"):
            assert name in listed, sorted(listed)
        assert listed["label"]["value"] == "'raw'"
        assert listed["numbers"]["value"] == "[0, 1, 2, 3, 4, 99]"
        spin.dap.request("continue", {"threadId": stopped["body"]["threadId"]})
        result = spin.result()
        assert result.ok, result.error
        shown = {a.name: a for a in result.events if isinstance(a, Artifact)}
        # Shown by the debugger, read as the step would read them: unchanged inputs.
        assert (shown["label"].vs_inputs, shown["label"].vs_source) == ("unchanged", "unchanged")
        assert result.artifacts["total"] == 20


def test_paused_time_is_not_step_time(flow_runs: Callable[..., FlowRun]) -> None:
    """Stopped at a breakpoint, the step says where (``paused``), and the time
    stopped is reported as ``paused_s``, not counted in ``step_s``."""
    run = flow_runs("linear_flow.py")
    line = _line_of(run.file, '        print("scaled", self.scaled)')
    with SpinSession(run.file) as session:
        spin = DebugSpin(session, "middle")
        spin.attach({run.file: [line]})
        stopped = spin.dap.event("stopped")
        held_from = time.perf_counter()
        time.sleep(1.0)  # the pause being measured, not a wait for something
        held_s = time.perf_counter() - held_from  # the step resumes only after this
        spin.dap.request("continue", {"threadId": stopped["body"]["threadId"]})
        result = spin.result()
    assert result.ok, result.error
    [(paused_at, paused)] = spin.events_of(Paused)
    [(resumed_at, _)] = spin.events_of(Resumed)
    assert (Path(paused.file), paused.line, paused.function) == (run.file, line, "middle")
    assert paused_at <= resumed_at
    timings = result.timings
    paused_s, step_s = timings["paused_s"], timings["step_s"]
    print(f"held {held_s:.3f} s; paused_s {paused_s:.3f}; step_s {step_s:.4f}")
    # The child stopped before the client heard of it and ran on after the
    # client's continue: it was paused at least as long as the client held it.
    assert paused_s >= held_s
    # Counting the pause would make step_s at least paused_s.
    assert step_s < paused_s
    assert step_s + paused_s <= timings["total_s"]


def test_breakpoints_in_the_users_own_modules_hit(fresh_run: Callable[..., FlowRun]) -> None:
    run = fresh_run("linear_flow.py")
    helper = run.folder / "scaling.py"
    helper.write_text(
        "def scale(numbers, by):\n    scaled = [n * by for n in numbers]\n    return scaled\n"
    )
    text = run.file.read_text().replace(
        "        self.scaled = [n * self.scale for n in self.numbers]\n",
        "        from scaling import scale\n\n"
        "        self.scaled = scale(self.numbers, self.scale)\n",
    )
    with SpinSession(run.file) as session:
        spin = DebugSpin(session, "middle", source=text)
        spin.attach({helper: [3]}, just_my_code=True)
        stopped = spin.dap.event("stopped")
        frame = spin.top_frame(stopped)
        assert (Path(frame["source"]["path"]), frame["line"]) == (helper, 3)
        assert spin.evaluate(frame, "scaled") == "[0, 2, 4, 6, 8]"
        spin.dap.request("continue", {"threadId": stopped["body"]["threadId"]})
        result = spin.result()
        assert result.ok, result.error
        assert result.artifacts["scaled"] == [0, 2, 4, 6, 8]


def test_an_uncaught_exception_stops_the_debugger_at_the_raise(
    fresh_run: Callable[..., FlowRun],
) -> None:
    run = fresh_run("linear_flow.py")
    raising = '        raise ValueError("scaled too far")'
    text = run.file.read_text().replace('        print("scaled", self.scaled)\n', f"{raising}\n")
    with SpinSession(run.file) as session:
        spin = DebugSpin(session, "middle", source=text)
        spin.attach(exceptions=("uncaught",), just_my_code=True)
        stopped = spin.dap.event("stopped")
        assert stopped["body"]["reason"] == "exception"
        frame = spin.top_frame(stopped)
        assert frame["line"] == text.splitlines().index(raising) + 1
        assert Path(frame["source"]["path"]) == run.file
        assert [Path(f["source"]["path"]) for f in spin.frames(stopped)] == [run.file]
        assert spin.evaluate(frame, "self.scaled") == "[0, 2, 4, 6, 8]"
        assert "label" in spin.self_variables(frame)  # an input the step never read
        info = spin.dap.request("exceptionInfo", {"threadId": stopped["body"]["threadId"]})
        details = info["body"]["details"]["stackTrace"]
        assert str(run.file) in details and str(SPINLENS_ROOT) not in details, details
        spin.dap.request("continue", {"threadId": stopped["body"]["threadId"]})
        result = spin.result()
        assert result.failure is not None and result.failure.kind == "exception"
        [(_, paused)] = spin.events_of(Paused)
        assert (Path(paused.file), paused.line) == (run.file, frame["line"])
        assert "scaled too far" in result.failure.error


@pytest.mark.parametrize("terminate", [False, True], ids=["detach", "terminate"])
def test_stopping_the_debugger_cancels_the_spin(
    fresh_run: Callable[..., FlowRun], terminate: bool
) -> None:
    """VS Code's Stop detaches from an attached process (``disconnect``); other
    clients may end it (``terminateDebuggee``). Either way the spin is cancelled."""
    run = fresh_run("linear_flow.py")
    line = _line_of(run.file, '        print("scaled", self.scaled)')
    with SpinSession(run.file) as session:
        spin = DebugSpin(session, "middle")
        debuggee = children(session.kernel_pid)
        spin.attach({run.file: [line]})
        spin.dap.event("stopped")
        kernel = session.kernel_pid
        spin.dap.send("disconnect", {"terminateDebuggee": terminate})
        result = spin.result()
        assert result.failure is not None and result.failure.kind == "cancelled", result.error
        assert result.failure.error == "The debugger stopped the spin."
        assert debuggee and still_running(debuggee) == set()
        assert not _accepts(spin.where.port)
        again = session.spin("middle")
        assert again.ok and session.kernel_pid == kernel


def test_cli_debug_prints_an_attach_configuration_and_waits(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    proc = subprocess.Popen(
        [sys.executable, "-m", "spinlens.cli", "spin", run.file.name, "middle", "--debug"],
        cwd=run.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        config = read_attach_configuration(proc.stderr)
        assert config["type"] == "debugpy" and config["request"] == "attach"
        assert config["connect"]["host"] == "127.0.0.1"
        assert proc.poll() is None  # waiting for the debugger, the step not run yet
        dap = DapClient(config["connect"]["host"], config["connect"]["port"])
        try:
            dap.attach({"justMyCode": False})
            out, _ = proc.communicate(timeout=120)
        finally:
            dap.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "scaled [0, 3, 6, 9, 12]" in out


class Terminal:
    """The CLI on a pseudo-terminal, read and typed into like a person would."""

    def __init__(self, run: FlowRun, *args: str) -> None:
        self.main, secondary = pty.openpty()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spinlens.cli", *args],
            cwd=run.folder,
            stdin=secondary,
            stdout=secondary,
            stderr=secondary,
        )
        os.close(secondary)
        self.seen = bytearray()

    def expect(self, marker: bytes, limit_s: float = 90) -> None:
        deadline = time.monotonic() + limit_s
        while marker not in self.seen and time.monotonic() < deadline:
            if select.select([self.main], [], [], 0.5)[0]:
                try:
                    self.seen += os.read(self.main, 65536)
                except OSError:  # the terminal closed: the process ended
                    break
        assert marker in self.seen, f"no {marker!r} in:\n{self.seen.decode(errors='replace')}"

    def type(self, line: str) -> None:
        os.write(self.main, line.encode() + b"\n")

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        os.close(self.main)


def test_pdb_works_at_the_terminal(fresh_run: Callable[..., FlowRun]) -> None:
    run = fresh_run("linear_flow.py")
    text = run.file.read_text()
    run.file.write_text(
        text.replace(
            "        self.where = (current.flow_name, current.step_name)\n",
            "        self.where = (current.flow_name, current.step_name)\n        breakpoint()\n",
        )
    )
    terminal = Terminal(run, "spin", run.file.name, "middle", "--pdb")
    try:
        terminal.expect(b"(Pdb)")
        terminal.type("p self.scaled")
        terminal.expect(b"[0, 2, 4, 6, 8]")
        terminal.type("c")
        terminal.expect(b"next: end")
        assert terminal.proc.wait(timeout=60) == 0
    finally:
        terminal.close()


def test_pdb_opens_post_mortem_on_an_exception(fresh_run: Callable[..., FlowRun]) -> None:
    run = fresh_run("linear_flow.py")
    text = run.file.read_text()
    run.file.write_text(text.replace("sum(self.scaled)", "sum(self.scaled) / 0"))
    terminal = Terminal(run, "spin", run.file.name, "end", "--pdb")
    try:
        terminal.expect(b"(Pdb)")
        terminal.type("p self.scaled")
        terminal.expect(b"[0, 2, 4, 6, 8]")
        terminal.type("q")
        terminal.expect(b"ZeroDivisionError")
        assert terminal.proc.wait(timeout=60) == 1
    finally:
        terminal.close()


_REPORTS_DEBUGGER_STATE = """\
        import sys
        api = sys.modules.get("debugpy.server.api")
        self.debugger_state = (api is not None, api is not None and api.ensure_logging.ensured)
"""


def _reporting_debugger_state(file: Path) -> str:
    """The flow's text with ``per_group`` recording, when it starts, whether its
    process already had debugpy (and its environment report skipped)."""
    text = file.read_text()
    head = "    def per_group(self):\n"
    assert head in text
    return text.replace(head, head + _REPORTS_DEBUGGER_STATE)


def test_spares_hold_debugpy_after_the_first_spin_and_when_prewarmed(
    flow_runs: Callable[..., FlowRun],
) -> None:
    """A click on "Debug this step" waits neither for importing debugpy nor for
    its description of the environment (every installed distribution's metadata)."""
    run = flow_runs("foreach_flow.py")
    source = _reporting_debugger_state(run.file)
    env = {k: v for k, v in os.environ.items() if k != "DEBUGPY_LOG_DIR"}
    with SpinSession(run.file, env=env) as session:
        first = session.spin("per_group", index=1, source=source)
        assert first.ok, first.error
        assert first.artifacts["debugger_state"] == (False, False)  # a kernel imports it late
        second = session.spin("per_group", index=1, source=source)
        assert second.artifacts["debugger_state"] == (True, True)  # the spare inherited it
    with SpinSession(run.file, env=env) as session:
        session.prewarm("per_group", index=1)
        prewarmed = session.spin("per_group", index=1, source=source)
        assert prewarmed.artifacts["debugger_state"] == (True, True)


def test_with_a_debugpy_log_folder_its_environment_is_still_reported(
    flow_runs: Callable[..., FlowRun], tmp_path: Path
) -> None:
    run = flow_runs("foreach_flow.py")
    source = _reporting_debugger_state(run.file)
    with SpinSession(run.file, env={**os.environ, "DEBUGPY_LOG_DIR": str(tmp_path)}) as session:
        assert session.spin("per_group", index=1, source=source).ok
        second = session.spin("per_group", index=1, source=source)
        assert second.artifacts["debugger_state"] == (True, False)


def test_a_breakpoint_hits_its_line_in_code_swapped_in_ahead(
    flow_runs: Callable[..., FlowRun],
) -> None:
    """The spare that built the last spin's flow takes a debug spin of an edit
    that moved the step's lines: the debugger stops on the line as edited."""
    run = flow_runs("foreach_flow.py")
    text = run.file.read_text()
    target = "        self.mean = float(part.x.mean())"
    shifted = text.replace(target, "        spread = 1\n        spread += 1\n" + target)
    line = shifted.splitlines().index(target) + 1
    with SpinSession(run.file) as session:
        assert session.spin("per_group", index=1, source=text).ok
        spin = DebugSpin(session, "per_group", index=1, source=shifted)
        spin.attach({run.file: [line]})
        stopped = spin.dap.event("stopped")
        frame = spin.top_frame(stopped)
        assert frame["line"] == line
        assert spin.evaluate(frame, "spread") == "2"
        spin.dap.request("continue", {"threadId": stopped["body"]["threadId"]})
        result = spin.result()
        assert result.ok, result.error
        assert "ahead_s" in result.timings  # it was the spare built ahead
