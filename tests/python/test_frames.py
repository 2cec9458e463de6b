"""The typed frames between session, kernel and child: they round-trip through
JSON, malformed ones are refused, and each one's fields are the documented ones."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spinlens.wire.events import Failed, Log
from spinlens.wire.frames import (
    BadFrame,
    CancelRequest,
    ErrorReply,
    FetchRequest,
    Frame,
    PreviewRequest,
    Ready,
    RunRequest,
    ShutdownRequest,
    SpinRequest,
    SpinSpec,
    ValueReply,
    event_frame,
    events_frame,
    events_in_frame,
    fetch_reply_from_frame,
    from_frame,
    request_from_frame,
    to_frame,
)
from spinlens.wire.ipc import recv_frame, send_frame

PROTOCOL = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
SPIN_ID = "20261127-170109-a1b2c3"

SPEC = SpinSpec(
    spin_id=SPIN_ID,
    step="train",
    flow_file="/work/flow.py",
    flow_class="TrainFlow",
    history_keep=3,
    overrides={"lr": "0.1"},
    decospecs=["card"],
    config_values={"cfg": {"a": 1}},
    scratch_dir="/dev/shm/x",
)
FRAMES: list[Frame] = [
    SpinRequest(
        id=7,
        spin_id=SPIN_ID,
        flow="TrainFlow",
        step="train",
        run="12",
        index=2,
        overrides={"lr": "0.1"},
        history_dir="/work/.spinlens",
        history_keep=4,
        debug_port=0,
        terminal=True,
        memory_limit_mb=64,
        decospecs=["timeout:seconds=5"],
        config_files={"cfg": "/work/cfg.json"},
    ),
    FetchRequest(id=8, spin_id=SPIN_ID, name="model"),
    CancelRequest(spin_id=SPIN_ID),
    ShutdownRequest(),
    RunRequest(spec=SPEC),
    Ready(pid=42, python="3.11.7"),
    ValueReply(id=8),
    ErrorReply(id=8, error="gone"),
]


def _over_the_wire(header: dict[str, Any]) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(json.dumps(header))
    return parsed


@pytest.mark.parametrize("frame", FRAMES, ids=lambda f: type(f).__name__)
def test_every_frame_round_trips_through_json(frame: Frame) -> None:
    header = _over_the_wire(to_frame(frame))
    assert header["op"] == frame.OP
    assert from_frame(header, type(frame)) == frame


def test_the_kernel_reads_only_requests() -> None:
    for request in FRAMES[:4]:
        assert request_from_frame(_over_the_wire(to_frame(request))) == request
    for other in FRAMES[4:]:
        with pytest.raises(BadFrame):
            request_from_frame(to_frame(other))
    with pytest.raises(BadFrame, match="unknown op explode"):
        request_from_frame({"op": "explode", "id": 3})
    with pytest.raises(BadFrame, match="spin frame"):
        request_from_frame({"op": "spin", "id": 3, "spin_id": SPIN_ID})  # no flow, no step


def test_a_fetch_is_answered_by_a_value_or_an_error() -> None:
    assert fetch_reply_from_frame({"op": "value", "id": 1}) == ValueReply(id=1)
    assert fetch_reply_from_frame({"op": "error", "id": 1, "error": "x"}) == ErrorReply(1, "x")
    with pytest.raises(BadFrame):
        fetch_reply_from_frame(to_frame(Ready(pid=1, python="3")))


def test_events_are_read_for_their_spin_only() -> None:
    mine = Log(spin_id=SPIN_ID, stream="stdout", text="hi")
    other = Log(spin_id="20261127-170109-ffffff", stream="stdout", text="not mine")
    failed = Failed(spin_id=SPIN_ID, kind="cancelled", error="stop")
    assert list(events_in_frame(_over_the_wire(event_frame(mine)), SPIN_ID)) == [mine]
    assert list(events_in_frame(_over_the_wire(event_frame(other)), SPIN_ID)) == []
    batch = _over_the_wire(events_frame([mine, other, failed]))
    assert list(events_in_frame(batch, SPIN_ID)) == [mine, failed]
    assert list(events_in_frame(to_frame(ValueReply(id=1)), SPIN_ID)) == []


def _documented(cell: str) -> set[str]:
    """The backticked field names of a protocol.md table cell, without the notes
    in parentheses."""
    while re.search(r"\([^()]*\)", cell):
        cell = re.sub(r"\([^()]*\)", "", cell)
    return set(re.findall(r"`(\w+)`", cell))


def _row(direction: str, op: str) -> str:
    for line in PROTOCOL.read_text().splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1] == direction and cells[2] == f"`{op}`":
            return cells[3]
    raise AssertionError(f"docs/protocol.md has no row for {direction} {op}")


@pytest.mark.parametrize(
    ("direction", "cls"),
    [
        ("kernel → session", Ready),
        ("session → kernel", SpinRequest),
        ("session → kernel", CancelRequest),
        ("session → kernel", FetchRequest),
        ("session → kernel", ShutdownRequest),
        ("session → kernel", PreviewRequest),
    ],
)
def test_the_session_s_frames_are_the_documented_ones(direction: str, cls: type[Frame]) -> None:
    fields = {f.name for f in dataclasses.fields(cls)}
    assert _documented(_row(direction, cls.OP)) == fields


def test_the_child_s_spin_spec_is_the_documented_one() -> None:
    text = PROTOCOL.read_text().replace("\n", " ")
    found = re.search(r"\(`spec`:(.*?)\)", text)
    assert found is not None, "docs/protocol.md does not list the child's spec"
    listed = set(re.findall(r"`(\w+)`", found.group(1)))
    assert listed == {f.name for f in dataclasses.fields(SpinSpec)}


def test_the_kernel_answers_a_malformed_request_and_keeps_serving(tmp_path: Path) -> None:
    flow = tmp_path / "linear_flow.py"
    shutil.copy(Path(__file__).parent / "flows" / "linear_flow.py", flow)
    ours, theirs = socket.socketpair()
    server = Path(__file__).resolve().parents[2] / "server"
    kernel = subprocess.Popen(
        [sys.executable, "-m", "spinlens.engine.kernel", "--fd", str(theirs.fileno())]
        + ["--flow-file", str(flow)],
        pass_fds=[theirs.fileno()],
        env={**os.environ, "PYTHONPATH": str(server)},
        cwd=tmp_path,
    )
    theirs.close()
    try:
        ours.settimeout(120)  # a hang guard
        ready, _ = recv_frame(ours)
        assert from_frame(ready, Ready).pid == kernel.pid
        send_frame(ours, {"op": "spin", "id": 3, "spin_id": SPIN_ID})  # no flow, no step
        refused = fetch_reply_from_frame(recv_frame(ours)[0])
        assert isinstance(refused, ErrorReply) and refused.id == 3
        assert "spin frame" in refused.error
        send_frame(ours, {"op": "explode", "id": 4})
        assert recv_frame(ours)[0] == to_frame(ErrorReply(id=4, error="unknown op explode"))
        send_frame(ours, to_frame(FetchRequest(id=5, spin_id=SPIN_ID, name="x")))
        held = fetch_reply_from_frame(recv_frame(ours)[0])
        assert isinstance(held, ErrorReply) and "no longer held" in held.error
        send_frame(ours, to_frame(ShutdownRequest()))
        assert kernel.wait(timeout=60) == 0
    finally:
        ours.close()
        if kernel.poll() is None:
            kernel.kill()
            kernel.wait()
