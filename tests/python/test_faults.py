"""Faults in and around a spun step, on real kernels and real Metaflow runs.

Every fault must get a clear answer, leave the kernel working (the next spin
succeeds) and lose nothing: the source run's datastore is hashed before the
first test of this module and after the last (``fault_run``), and must be
byte-identical. Faults already covered elsewhere (raise, sys.exit, os._exit,
os.kill SIGSEGV, a kernel killed between spins, an unpicklable output) are not
repeated here; docs/reliability.md lists which test proves what.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from flowruns import FlowRun, python_without_metaflow, run_flow, tree_digest
from procs import alive
from spinlens import SpinResult, SpinSession
from spinlens.engine.history import History
from spinlens.engine.limits import LOG_LIMIT_BYTES, MB, LogBudget, memory_limit
from spinlens.errors import SpinError
from spinlens.wire.events import Event, Failed, Log

MARKER_LINE = '        print("marker", self.marker)\n'
ALLOC_LINE = "        block = bytearray(self.alloc_mb * 2**20)\n"


@pytest.fixture(scope="module")
def fault_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlowRun]:
    """The module's source run; its datastore must come out of every fault unchanged."""
    run = run_flow(tmp_path_factory.mktemp("faults"), "fault_flow.py")
    files = sum(1 for p in run.datastore.rglob("*") if p.is_file())
    before = tree_digest(run.datastore)
    assert files > 20  # a real datastore: blobs, metadata, logs
    yield run
    assert tree_digest(run.datastore) == before, "a fault changed the source run's datastore"


@dataclass
class Kernel:
    session: SpinSession
    pid: int  # the kernel process every fault must leave running

    def spin(self, **kwargs: Any) -> SpinResult:
        return self.session.spin("work", **kwargs)

    def assert_kept(self) -> None:
        """Still the same kernel, and the next spin succeeds."""
        assert self.session.kernel_pid == self.pid
        again = self.spin()
        assert again.ok, again.error
        assert again.artifacts["total"] == 45


@pytest.fixture(scope="module")
def kernel(fault_run: FlowRun) -> Iterator[Kernel]:
    """One kernel for all the faults inside a step: it must outlive every one."""
    with SpinSession(fault_run.file) as session:
        first = session.spin("work")
        assert first.ok, first.error
        assert session.kernel_pid is not None
        yield Kernel(session, session.kernel_pid)


def work_with(run: FlowRun, *lines: str) -> tuple[str, int]:
    """The flow's text with ``lines`` at the top of ``work``; the 1-based line of the first."""
    text = run.file.read_text()
    assert MARKER_LINE in text
    edited = text.replace(MARKER_LINE, MARKER_LINE + "".join(f"        {line}\n" for line in lines))
    first = text[: text.index(MARKER_LINE)].count("\n") + 2
    return edited, first


@dataclass
class Waiter:
    """Sets ``found`` once a spin's output holds ``text`` (logs are chunks as
    written, not whole lines)."""

    text: str
    seen: str = ""
    found: threading.Event = field(default_factory=threading.Event)

    def on_log(self, chunk: str) -> None:
        self.seen += chunk
        if self.text in self.seen:
            self.found.set()


def spin_in_thread(
    session: SpinSession, on_log: Callable[[str], None], **kwargs: Any
) -> tuple[threading.Thread, dict[str, SpinResult]]:
    box: dict[str, SpinResult] = {}

    def on_event(event: Event) -> None:
        if isinstance(event, Log):
            on_log(event.text)

    def target() -> None:
        box["result"] = session.spin("work", on_event=on_event, **kwargs)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread, box


# -- faults in the step --------------------------------------------------------


def test_segfault_in_c_code_is_a_crash_and_the_kernel_survives(
    fault_run: FlowRun, kernel: Kernel
) -> None:
    source, _ = work_with(fault_run, "import ctypes", "ctypes.string_at(0)")
    result = kernel.spin(source=source)
    assert result.failure is not None and result.failure.kind == "crash"
    assert "SIGSEGV" in result.error
    kernel.assert_kept()


def test_endless_loop_is_cancelled_promptly(
    fault_run: FlowRun, kernel: Kernel, record_property: Callable[[str, object], None]
) -> None:
    source, _ = work_with(fault_run, 'print("looping", flush=True)', "while True:", "    pass")
    looping = Waiter("looping")
    thread, box = spin_in_thread(kernel.session, looping.on_log, source=source)
    assert looping.found.wait(60), "the step never started looping"
    asked = time.perf_counter()
    assert kernel.session.cancel()
    thread.join(60)  # a hang guard: the loop never ends by itself
    latency = time.perf_counter() - asked
    record_property("cancel_latency_s", round(latency, 3))
    print(f"cancel latency: {latency * 1000:.0f} ms")
    assert not thread.is_alive(), "cancel did not end the endless loop"
    failure = box["result"].failure
    assert failure is not None and failure.kind == "cancelled"
    kernel.assert_kept()


def test_closing_the_session_mid_spin_ends_it_at_once(fault_run: FlowRun) -> None:
    """Closing a session (an editor quitting, Ctrl-C in `watch`) while a step loops
    ends the spin's process and the kernel without waiting for the step."""
    source, _ = work_with(fault_run, 'print("looping", flush=True)', "while True:", "    pass")
    looping = Waiter("looping")
    session = SpinSession(fault_run.file)
    thread, _ = spin_in_thread(session, looping.on_log, source=source)
    assert looping.found.wait(60), "the step never started looping"
    kernel = session.kernel_pid
    asked = time.perf_counter()
    session.close()
    print(f"close took {(time.perf_counter() - asked) * 1000:.0f} ms")
    thread.join(30)
    assert not thread.is_alive()
    # The session gives a kernel 5 s to exit before killing it: this one exits by itself.
    assert session.last_kernel_exit == 0, "the kernel had to be killed"
    assert kernel is not None and not alive(kernel)


def test_memory_limit_turns_a_runaway_allocation_into_a_clear_failure(
    fault_run: FlowRun, kernel: Kernel
) -> None:
    lines = fault_run.file.read_text().splitlines(keepends=True)
    alloc_line = lines.index(ALLOC_LINE) + 1
    result = kernel.spin(overrides={"alloc_mb": "256"}, memory_limit_mb=64)
    failure = result.failure
    assert failure is not None and failure.kind == "memory" and failure.code == "memory-limit"
    assert "went past its 64 MB memory limit" in failure.error
    assert "--memory-limit" in failure.error and "spinlens.memoryLimitMB" in failure.error
    assert failure.file == str(fault_run.file) and failure.line == alloc_line
    assert failure.traceback is not None and "MemoryError" in failure.traceback
    assert kernel.session.kernel_pid == kernel.pid

    # The limit counts from what the child already maps (inputs, Python, Metaflow):
    # 256 MB more fits in a limit below what the child maps plus those 256 MB.
    source, _ = work_with(
        fault_run, "self.vm_mb = int(open('/proc/self/statm').read().split()[0]) * 4096 >> 20"
    )
    mapped = kernel.spin(source=source).artifacts["vm_mb"]
    limit = 256 + mapped // 2
    roomy = kernel.spin(source=source, overrides={"alloc_mb": "256"}, memory_limit_mb=limit)
    assert roomy.ok, roomy.error
    assert roomy.artifacts["allocated"] == 256 * MB
    assert roomy.artifacts["vm_mb"] + 256 > limit  # an absolute limit would have failed
    # No limit: a MemoryError is an ordinary exception, not a "memory" failure.
    plain, _ = work_with(fault_run, "raise MemoryError('made up')")
    unlimited = kernel.spin(source=plain)
    assert unlimited.failure is not None and unlimited.failure.kind == "exception"
    kernel.assert_kept()


def test_memory_limit_restores_the_process_limit() -> None:
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    with memory_limit(64) as limited:
        assert limited
        with pytest.raises(MemoryError):
            bytearray(256 * MB)
        assert resource.getrlimit(resource.RLIMIT_AS)[0] != before[0]
    assert resource.getrlimit(resource.RLIMIT_AS) == before
    with memory_limit(0) as limited:
        assert not limited and resource.getrlimit(resource.RLIMIT_AS) == before


def test_memory_limit_from_the_command_line(fault_run: FlowRun) -> None:
    cli = [sys.executable, "-m", "spinlens.cli", "spin", fault_run.file.name, "work"]
    completed = subprocess.run(
        [*cli, "--set", "alloc_mb=256", "--memory-limit", "64", "--json"],
        cwd=fault_run.folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 1, completed.stderr
    failed = json.loads(completed.stdout.strip().splitlines()[-1])
    assert (failed["event"], failed["kind"], failed["code"]) == ("failed", "memory", "memory-limit")
    bad = subprocess.run(
        [*cli, "--memory-limit", "lots"], cwd=fault_run.folder, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "whole number of MB" in bad.stderr


# -- faults around the step ----------------------------------------------------


def test_flood_of_output_is_truncated_with_a_marker(
    fault_run: FlowRun, kernel: Kernel, record_property: Callable[[str, object], None]
) -> None:
    flood = [
        "import sys",
        "for _ in range(100):",
        "    sys.stdout.write('x' * (2**20 - 1) + '\\n')",  # 100 MB in all
    ]
    source, _ = work_with(fault_run, *flood)
    started = time.perf_counter()
    result = kernel.spin(source=source)
    elapsed = time.perf_counter() - started
    record_property("flood_spin_s", round(elapsed, 2))
    print(f"100 MB flood: spin took {elapsed:.2f} s, forwarded {len(result.stdout)} chars")
    assert result.ok, result.error
    assert result.stdout.startswith("marker original\n")
    assert len(result.stdout) + len(result.stderr) <= LOG_LIMIT_BYTES + 400
    assert "[spinlens] output truncated after 4 MB; the rest of this spin's output" in result.stderr
    dropped = 100 * MB + len("marker original\n") - LOG_LIMIT_BYTES
    assert f"{dropped // MB} MB more not shown" in result.stderr

    # A step that floods and then raises: the note still comes before the failure.
    source, _ = work_with(fault_run, *flood, "raise ValueError('after the flood')")
    failing = kernel.spin(source=source)
    assert failing.error == "ValueError: after the flood"
    last_log = [e for e in failing.events if isinstance(e, Log)][-1]
    assert "more not shown" in last_log.text
    assert isinstance(failing.events[-1], Failed)
    kernel.assert_kept()


def test_log_budget_counts_what_it_drops() -> None:
    budget = LogBudget(limit=10)
    assert budget.take(b"12345") == (b"12345", None)
    kept, marker = budget.take(b"6789ABCDEF")
    assert kept == b"6789A" and marker is not None and "truncated" in marker
    assert budget.take(b"more") == (b"", None)  # announced once
    assert budget.closing() is not None and budget.dropped == 9
    assert budget.closing() is None


def test_kernel_killed_mid_spin_is_reported_and_replaced(fault_run: FlowRun) -> None:
    source, _ = work_with(
        fault_run, 'print("sleeping", flush=True)', "import time", "time.sleep(60)"
    )
    with SpinSession(fault_run.file) as session:
        session.start()
        pid = session.kernel_pid
        assert pid is not None
        sleeping = Waiter("sleeping")
        thread, box = spin_in_thread(session, sleeping.on_log, source=source)
        assert sleeping.found.wait(60)
        os.kill(pid, signal.SIGKILL)
        thread.join(30)
        assert not thread.is_alive()
        failure = box["result"].failure
        assert failure is not None and failure.kind == "crash"
        assert "kernel stopped unexpectedly" in failure.error and "next spin" in failure.error
        again = session.spin("work")
        assert again.ok, again.error
        assert session.kernel_pid not in (None, pid)


@pytest.mark.parametrize("how", ["renamed", "deleted"])
def test_flow_file_gone_mid_session_is_named_and_restoring_it_works(
    fault_run: FlowRun, how: str
) -> None:
    path = fault_run.file
    text = path.read_text()
    moved = path.with_name("moved_flow.py")
    with SpinSession(path) as session:
        assert session.spin("work").ok
        pid = session.kernel_pid
        try:
            if how == "renamed":
                path.rename(moved)
            else:
                path.unlink()
            gone = session.spin("work")
            assert gone.failure is not None and gone.failure.code == "flow-file-missing"
            assert str(path) in gone.error and "deleted or renamed" in gone.error
            # An editor buffer of the file still spins, even on a new kernel.
            assert session.spin("work", source=text).ok
            session.restart()
            buffer = session.spin("work", source=text)
            assert buffer.ok, buffer.error
        finally:
            if moved.exists():
                moved.rename(path)
            else:
                path.write_text(text)
        restored = session.spin("work")
        assert restored.ok, restored.error
        assert session.kernel_pid not in (None, pid)  # the restart above


def test_metaflow_missing_from_the_interpreter_says_how_to_install_it(
    fault_run: FlowRun, tmp_path: Path
) -> None:
    python = python_without_metaflow(tmp_path / "venv")
    check = subprocess.run(
        [str(python), "-c", "import spinlens, cloudpickle, metaflow"], capture_output=True
    )
    assert b"No module named 'metaflow'" in check.stderr  # the premise
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    completed = subprocess.run(
        [str(python), "-m", "spinlens.cli", "spin", fault_run.file.name, "work"],
        cwd=fault_run.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 2
    message = completed.stderr
    assert f"Metaflow is not installed in {python}" in message
    assert f"{python} -m ensurepip, then {python} -m pip install metaflow" in message
    assert "Traceback" not in message


def test_an_interpreter_that_does_not_exist_is_named(fault_run: FlowRun, tmp_path: Path) -> None:
    python = str(tmp_path / "gone" / "bin" / "python")
    with SpinSession(fault_run.file, python=python) as session:
        with pytest.raises(SpinError) as raised:
            session.spin("work")
    assert f"Cannot start the spin kernel with {python}: No such file or directory" in str(
        raised.value
    )
    assert "spinlens.python" in str(raised.value)


def _copy_with_own_datastore(run: FlowRun, folder: Path) -> FlowRun:
    """A copy of the run folder whose metadata points at the copy's datastore
    (Metaflow records the datastore's absolute path with every task)."""
    shutil.copytree(run.folder, folder, ignore=shutil.ignore_patterns(".spinlens"))
    copy = FlowRun(folder, folder / run.file.name, run.flow, run.run_id)
    for meta in copy.datastore.rglob("sysmeta_ds-root_*.json"):
        record = json.loads(meta.read_text())
        record["value"] = str(copy.datastore)
        meta.write_text(json.dumps(record))
    return copy


def _blob(run: FlowRun, step: str, artifact: str) -> Path:
    data = json.loads(next(run.datastore.glob(f"{run.flow}/*/{step}/*/0.data.json")).read_text())
    key = data["objects"][artifact]
    return run.datastore / run.flow / "data" / key[:2] / key


@pytest.mark.parametrize("damage", ["corrupted", "truncated", "missing"])
def test_damaged_artifact_blob_names_the_artifact(
    fault_run: FlowRun, tmp_path: Path, damage: str
) -> None:
    copy = _copy_with_own_datastore(fault_run, tmp_path / "copy")
    blob = _blob(copy, "start", "numbers")
    assert blob.is_file() and not blob.is_relative_to(fault_run.folder)
    if damage == "corrupted":
        blob.write_bytes(b"not a gzip stream" * 4)
    elif damage == "truncated":
        blob.write_bytes(blob.read_bytes()[:12])
    else:
        blob.unlink()
    # A private client cache: the original blob must not be served from a cache.
    env = {**os.environ, "METAFLOW_CLIENT_CACHE_PATH": str(tmp_path / "client-cache")}
    with SpinSession(copy.file, env=env) as session:
        result = session.spin("work")
        assert result.failure is not None
        assert "Input artifact 'numbers'" in result.error
        assert f"{copy.flow}/{copy.run_id}/start/" in result.error
        if damage == "missing":
            assert "blob is missing from the datastore" in result.error
        # Steps that do not read it still spin, on the same kernel.
        pid = session.kernel_pid
        fine = session.spin("work", source=work_with(copy, "self.numbers = [1]")[0])
        assert fine.ok, fine.error
        assert session.kernel_pid == pid


# -- nothing lost: history records under kills at random moments --------------


def test_history_ignores_a_temporary_folder_with_a_half_written_manifest(tmp_path: Path) -> None:
    history = History(tmp_path, keep=3)
    writer = history.begin("F", "s", "2026-01")
    (writer.folder / "manifest.json").write_text('{"id": "2026-01", "crea')  # killed mid-write
    assert history.spins("F", "s") == []
    with pytest.raises(KeyError):
        history.find("2026-01")


def test_spins_killed_at_random_moments_leave_no_half_record(
    fault_run: FlowRun, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    """Kill the spin's process at random points from the step's start to its
    history commit; every record that is visible must be whole."""
    body = [
        "import os, numpy as np",
        "print('pid', os.getpid(), flush=True)",
        "self.arrays = {i: np.random.rand(1_000_000) for i in range(4)}",
        "self.a0, self.a1, self.a2 = (np.random.rand(1_000_000) for _ in range(3))",
    ]
    source, _ = work_with(fault_run, *body)
    history_dir = tmp_path / "history"
    history = History(history_dir)
    step_dir = history.step_dir(fault_run.flow, "work")
    seed = random.randrange(1 << 30)
    record_property("kill_seed", seed)
    rng = random.Random(seed)
    with SpinSession(fault_run.file, history_dir=history_dir, keep_history=50) as session:
        for _ in range(2):  # the second compares with the first: a full-length spin
            timed = session.spin("work", source=source)
            assert timed.ok, timed.error
        span = timed.timings["step_s"] + timed.timings["outputs_s"]
        outcomes = []
        for _ in range(10):
            killer = Killer(delay=rng.uniform(0, span * 1.1))
            thread, box = spin_in_thread(session, killer.on_log, source=source)
            thread.join(120)
            assert not thread.is_alive() and killer.pid is not None
            result = box["result"]
            assert result.ok or (result.failure and result.failure.kind == "crash"), result.error
            half = [
                p for p in step_dir.iterdir() if p.name.startswith(f".incomplete-{result.spin_id}")
            ]
            outcomes.append("ok" if result.ok else "killed mid-record" if half else "killed")
            _assert_whole_records(history, fault_run, step_dir)
        record_property("kill_outcomes", outcomes)
        print(f"kill outcomes (seed {seed}, span {span:.2f} s): {outcomes}")
        final = session.spin("work", source=source)
        assert final.ok, final.error
    _assert_whole_records(history, fault_run, step_dir)
    # The last commit cleared the hidden leftovers of the killed spins.
    assert not [p for p in step_dir.iterdir() if p.name.startswith(".")]


@dataclass
class Killer:
    """SIGKILLs the spin's process ``delay`` seconds after its step said its pid."""

    delay: float
    pid: int | None = None
    seen: str = ""  # logs are chunks as written, not whole lines

    def on_log(self, text: str) -> None:
        self.seen += text
        said = re.search(r"^pid (\d+)$", self.seen, re.MULTILINE)
        if said and self.pid is None:
            self.pid = int(said.group(1))
            threading.Timer(self.delay, self._kill).start()

    def _kill(self) -> None:
        assert self.pid is not None
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the spin process had already gone


def _assert_whole_records(history: History, run: FlowRun, step_dir: Path) -> None:
    visible = [p for p in step_dir.iterdir() if not p.name.startswith(".")]
    records = history.spins(run.flow, "work")
    assert len(records) == len(visible)  # every visible folder is a whole record
    for record in records:
        for artifact in record.artifacts:
            if artifact.stored is not None and artifact.stored.to_dict()["format"] != "ref":
                value = history.load(record.id, artifact.name)  # readable, whole
                # Metaflow's internal ones may be None (`_task_ok`); the step's are not.
                assert value is not None or artifact.name.startswith("_")
