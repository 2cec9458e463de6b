"""Prewarm: a kernel loads a step's inputs and forks its spare before any spin."""

from __future__ import annotations

import socket
from collections.abc import Callable

from flowruns import FlowRun
from spinlens import SpinSession
from spinlens.wire.events import Started
from spinlens.wire.frames import (
    CancelRequest,
    PrewarmReply,
    PrewarmRequest,
    prewarm_reply_from_frame,
    to_frame,
)
from spinlens.wire.ipc import recv_frame, send_frame


def _started(result: object) -> Started:
    return next(e for e in result.events if isinstance(e, Started))  # type: ignore[attr-defined]


def test_prewarm_loads_the_inputs_so_the_first_spin_is_warm(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("prewarm_flow.py")
    with SpinSession(run.file) as session:
        reply = session.prewarm("work")
        assert not reply.warm and not reply.preempted and reply.skipped == []
        assert {"big", "small"} <= set(reply.loaded)
        pid = session.kernel_pid
        result = session.spin("work")
        assert result.ok, result.error
        assert _started(result).warm  # the spin found the inputs loaded and its spare
        assert result.artifacts["total"] == 3 * 1024 * 1024 + 6
        assert session.kernel_pid == pid and session.kernel_starts == 1
        again = session.prewarm("work")
        assert again.warm and again.loaded == []  # nothing left to do


def test_the_budget_skips_an_input_too_large_for_it(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("prewarm_flow.py")
    with SpinSession(run.file) as session:
        reply = session.prewarm("work", budget_mb=1)
        assert "big" in reply.skipped and "big" not in reply.loaded
        assert "small" in reply.loaded
        result = session.spin("work")  # loads what the prewarm skipped
        assert result.ok, result.error
        assert not _started(result).warm
        assert result.artifacts["total"] == 3 * 1024 * 1024 + 6


def test_a_frame_arriving_preempts_the_loading(flow_runs: Callable[..., FlowRun]) -> None:
    run = flow_runs("prewarm_flow.py")
    with SpinSession(run.file) as session:
        session.start()
        assert session._sock is not None
        # Both frames in one write: the cancel is there before the first input loads.
        ours, theirs = socket.socketpair()
        request = PrewarmRequest(id=7, flow="PrewarmFlow", step="work")
        send_frame(ours, to_frame(request))
        send_frame(ours, to_frame(CancelRequest(spin_id="prewarm")))
        ours.close()
        session._sock.sendall(theirs.recv(1 << 16))
        theirs.close()
        header, _ = recv_frame(session._sock)
        reply = prewarm_reply_from_frame(header)
        assert isinstance(reply, PrewarmReply) and reply.id == 7
        assert reply.preempted and reply.loaded == []
        assert {"big", "small"} <= set(reply.skipped)
        result = session.spin("work")  # the kernel serves on, and loads for the spin
        assert result.ok, result.error
        assert not _started(result).warm
