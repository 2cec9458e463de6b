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

import pytest

from flowruns import FlowRun
from procs import mentioning, still_running

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
    # Well inside the step's 120 s sleep: an exit by then is the cancel's doing.
    code = proc.wait(timeout=60)
    print(f"Ctrl-C to exit: {(time.monotonic() - interrupted) * 1000:.0f} ms")
    assert code == 130
    assert still_running(set(mentioning(str(run.file)))) == set()


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


def _events(completed: subprocess.CompletedProcess[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]


def test_spin_decorators_and_their_flags(
    flow_runs: Callable[..., FlowRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    """@environment and @timeout run as in metaflow spin; --with adds one,
    --skip-decorators turns them off; a pathspec names the source task."""
    run = flow_runs("decorators_flow.py")
    greeted = _spinlens("spin", run.file.name, f"{run.run_id}/start", "--json", cwd=run.folder)
    assert greeted.returncode == 0, greeted.stderr
    assert json.loads(greeted.stdout.splitlines()[-1])["event"] == "finished"
    shown = _spinlens("show", str(_events(greeted)[-1]["spin_id"]), "greeting", cwd=run.folder)
    assert shown.returncode == 0 and "hello" in shown.stdout, shown.stderr

    monkeypatch.setenv("SLEEP_S", "3")
    timed_out = _spinlens("spin", run.file.name, "slow", "--json", cwd=run.folder)
    failed = _events(timed_out)[-1]
    assert timed_out.returncode == 1 and failed["kind"] == "timeout", timed_out.stdout
    assert "timed out after 0 hours, 0 minutes, 1 seconds" in str(failed["error"])
    skipped = _spinlens("spin", run.file.name, "slow", "--skip-decorators", cwd=run.folder)
    assert skipped.returncode == 0, skipped.stdout + skipped.stderr
    assert "not applied (--skip-decorators): @timeout" in skipped.stderr

    monkeypatch.setenv("SLEEP_S", "1.5")
    added = _spinlens("spin", run.file.name, "start", "--with", "timeout:seconds=1", cwd=run.folder)
    assert added.returncode == 0, added.stdout  # start does not sleep
    slow_start = _spinlens(
        "spin",
        run.file.name,
        "slow",
        "--skip-decorators",
        "--with",
        "timeout:seconds=1",
        cwd=run.folder,
    )
    assert slow_start.returncode == 0, "--skip-decorators turns --with decorators off too"


def test_cards_are_kept_and_listed(
    flow_runs: Callable[..., FlowRun], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = flow_runs("decorators_flow.py")
    carded = _spinlens("spin", run.file.name, "carded", "--json", cwd=run.folder)
    assert carded.returncode == 0, carded.stderr
    finished = _events(carded)[-1]
    (card,) = finished["cards"]  # type: ignore[misc]
    assert card["type"] == "default" and Path(card["path"]).is_file()
    listed = _spinlens("card", str(finished["spin_id"]), cwd=run.folder)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == f"default: {card['path']}"
    assert not (run.folder / ".metaflow_spin").exists(), (
        "Metaflow's spin files stay out of the flow"
    )

    monkeypatch.setenv("FAIL", "1")
    failing = _spinlens("spin", run.file.name, "carded", "--json", cwd=run.folder)
    events = _events(failing)
    partial = {e["name"] for e in events if e["event"] == "artifact" and e["partial"]}
    assert failing.returncode == 1 and partial == {"value", "attempt"}, failing.stdout
    shown = _spinlens("show", str(events[-1]["spin_id"]), "value", cwd=run.folder)
    assert shown.returncode == 0 and shown.stdout.strip() == "42", shown.stderr
    nothing = _spinlens("card", str(events[-1]["spin_id"]), cwd=run.folder)
    assert nothing.returncode != 0 and "rendered no cards" in nothing.stderr


def test_config_value_replaces_the_source_run_s(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("config_flow.py")
    completed = _spinlens(
        "spin",
        run.file.name,
        "end",
        "--config-value",
        "settings",
        '{"depth": 1, "name": "cli"}',
        "--json",
        cwd=run.folder,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    summary = next(e for e in _events(completed) if e.get("name") == "summary")
    assert str(summary["summary"]).endswith(":cli'"), summary
    bad = _spinlens("spin", run.file.name, "end", "--config-value", "settings", "{", cwd=run.folder)
    assert bad.returncode == 2 and "--config-value settings: the value is not JSON" in bad.stderr
