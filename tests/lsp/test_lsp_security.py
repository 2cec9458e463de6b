"""Security: the language server talks over stdio only; neither it nor the kernels
it starts listen on any TCP port."""

from __future__ import annotations

import asyncio
import os

import pytest

from flowruns import FlowRun
from lspclient import SPIN, SpinlensClient
from test_security import TAG_VARIABLE, cmdline, describe, listeners_of, process_tree, tagged


def test_the_server_and_its_kernels_hold_no_tcp_listener(
    linear_run: FlowRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = os.urandom(8).hex()
    monkeypatch.setenv(TAG_VARIABLE, tag)  # inherited by the server and its kernels

    async def scenario() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start({"historySize": 0})
        try:
            uri = client.open(linear_run.file, linear_run.file.read_text())
            await client.lenses(uri)
            reply = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert reply["status"] == "ok", (reply, client.stderr_text)
            # Served: the server, its kernel and the parked spin child are all up.
            found = listeners_of((process_tree(client.pid) | tagged(tag)) - {os.getpid()})
            report = describe(found)
            assert client.pid in found
            assert any("spinlens.engine.kernel" in cmdline(pid) for pid in found), report
            assert all(listeners == [] for listeners in found.values()), report
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())
