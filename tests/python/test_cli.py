"""The spinlens command, driven as a user drives it: real processes, real signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO

from flowruns import FlowRun
from procs import mentioning

CLI = [sys.executable, "-m", "spinlens.cli"]


def _spinlens(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def _read_until(stream: IO[str], predicate: Callable[[str], bool], limit_s: float = 60) -> str:
    deadline = time.monotonic() + limit_s
    seen = []
    while time.monotonic() < deadline:
        line = stream.readline()
        if not line:
            break
        seen.append(line)
        if predicate(line):
            return line
    raise AssertionError("never saw the expected line; got:\n" + "".join(seen))


def test_json_prints_one_event_per_line(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    completed = _spinlens("spin", run.file.name, "middle", "--json", cwd=run.folder)
    assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in completed.stdout.splitlines()]
    kinds = [line["event"] for line in lines]
    assert kinds[-1] == "finished" and "started" in kinds and "log" in kinds
    artifacts = {line["name"]: line for line in lines if line["event"] == "artifact"}
    assert artifacts["scaled"]["vs_inputs"] == "new"
    assert artifacts["scaled"]["vs_source"] == "unchanged"
    assert lines[-1]["next_steps"] == ["end"]
    logs = "".join(line["text"] for line in lines if line["event"] == "log")
    assert "scaled [0, 3, 6, 9, 12]" in logs


def test_human_output_streams_logs_then_a_table(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    completed = _spinlens(
        "spin", run.file.name, "middle", "--set", "numbers=[7]", "--run", run.run_id, cwd=run.folder
    )
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert out.index("scaled [21]") < out.index("artifact")
    lines = out.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("artifact"))
    rows = (
        lines[header + 1 : lines.index("", header)] if "" in lines[header:] else lines[header + 1 :]
    )
    table = {row.split()[0]: row.split() for row in rows}
    assert table["scaled"][-3:-1] == ["new", "changed"]
    assert table["label"][-3:-1] == ["unchanged", "unchanged"]
    assert "scaled vs source run:" in out  # the diff, under the table
    assert "next: end" in out


def test_errors_exit_non_zero_with_a_message(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("linear_flow.py", "--scale", "3")
    completed = _spinlens("spin", run.file.name, "nope", cwd=run.folder)
    assert completed.returncode == 1
    assert "no step 'nope'" in completed.stderr
    completed = _spinlens("spin", run.file.name, "middle", "--set", "x", cwd=run.folder)
    assert completed.returncode == 2 and "name=<python literal>" in completed.stderr
    completed = _spinlens("spin", "missing.py", "middle", cwd=run.folder)
    assert completed.returncode == 2 and "does not exist" in completed.stderr


def test_run_flow_makes_a_run_first(tmp_path: Path) -> None:
    flow = Path(__file__).parent / "flows" / "linear_flow.py"
    (tmp_path / "linear_flow.py").write_text(flow.read_text())
    plain = _spinlens("spin", "linear_flow.py", "middle", cwd=tmp_path)
    assert plain.returncode == 1 and "--run-flow" in plain.stderr
    ran = _spinlens("spin", "linear_flow.py", "middle", "--run-flow", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    assert "scaled [0, 2, 4, 6, 8]" in ran.stdout


def test_ctrl_c_cancels_promptly_and_leaves_nothing_running(
    fresh_run: Callable[..., FlowRun],
) -> None:
    run = fresh_run("linear_flow.py")
    text = run.file.read_text()
    run.file.write_text(
        text.replace(
            '        print("scaled", self.scaled)\n',
            "        print('sleeping', flush=True)\n        import time; time.sleep(120)\n",
        )
    )
    proc = subprocess.Popen(
        [*CLI, "spin", run.file.name, "middle"],
        cwd=run.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    _read_until(proc.stdout, lambda line: "sleeping" in line)
    interrupted = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=30)
    elapsed = time.monotonic() - interrupted
    assert code == 130
    assert elapsed < 2, f"cancelling took {elapsed:.2f} s"
    print(f"Ctrl-C to exit: {elapsed * 1000:.0f} ms")
    deadline = time.monotonic() + 5
    while mentioning(str(run.file)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert mentioning(str(run.file)) == []


def test_watch_respins_on_save(fresh_run: Callable[..., FlowRun]) -> None:
    run = fresh_run("linear_flow.py")
    proc = subprocess.Popen(
        [*CLI, "watch", run.file.name, "middle", "--json"],
        cwd=run.folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    try:
        _read_until(proc.stdout, lambda line: '"event": "finished"' in line)
        text = run.file.read_text()
        run.file.write_text(text.replace("n * self.scale", "n * self.scale * 100"))
        line = _read_until(
            proc.stdout, lambda line: '"name": "scaled"' in line and "[0, 200" in line
        )
        assert json.loads(line)["vs_source"] == "changed"
        _read_until(proc.stdout, lambda line: '"event": "finished"' in line)
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
