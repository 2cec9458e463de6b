"""Settings per workspace folder: each folder of a multi-root workspace may set its
own history size and source run; the server asks the client for each folder's."""

from __future__ import annotations

import asyncio
import shutil

from lsprotocol import types

from flowruns import FlowRun
from lspclient import LIST_RUNS, SPIN, SpinlensClient


def test_each_workspace_folder_has_its_own_settings(linear_run: FlowRun) -> None:
    outer = linear_run.folder
    inner = outer / "inner"  # a nested folder: its own settings win for its files
    inner.mkdir(exist_ok=True)
    inner_file = inner / linear_run.file.name
    shutil.copy(linear_run.file, inner_file)
    folders = {
        outer: {"historySize": 2, "defaultSourceRun": None},
        inner: {"historySize": 0, "defaultSourceRun": "424242"},
    }

    async def scenario() -> None:
        client = SpinlensClient(outer)
        # The window's settings (initializationOptions) are overridden per folder.
        await client.start({"historySize": 5, "defaultSourceRun": "1"}, folders=folders)
        try:
            outer_uri = client.open(linear_run.file, linear_run.file.read_text())
            inner_uri = client.open(inner_file, inner_file.read_text())

            async def default_runs(expected: tuple[object, object]) -> tuple[object, object]:
                """The folders' default runs, once they read ``expected`` (the server
                applies the client's answer on its next turn), or as they are."""
                for _ in range(200):
                    outer_runs = await client.command(LIST_RUNS, {"uri": outer_uri})
                    inner_runs = await client.command(LIST_RUNS, {"uri": inner_uri})
                    found = (outer_runs["defaultRun"], inner_runs["defaultRun"])
                    if found == expected:
                        break
                    await asyncio.sleep(0.01)
                return found

            # The server asks for the folders' sections after `initialized`.
            await client.wait_for(lambda: client.configuration_requests >= 1)
            assert await default_runs((None, "424242")) == (None, "424242")

            records = outer / ".spinlens" / "LinearFlow" / "middle"
            reply = await client.command(SPIN, {"uri": outer_uri, "step": "middle"})
            assert reply["status"] == "ok", (reply, client.stderr_text)
            # Recorded with the outer folder's size (other tests spin this run too).
            assert (records / reply["spinId"]).is_dir()
            # The spin's process prunes the history right after its result.
            await client.wait_for(lambda: len(list(records.iterdir())) <= 2)
            # The inner folder keeps no history (historySize 0) and its source run
            # is its own default, which does not exist.
            failed = await client.command(SPIN, {"uri": inner_uri, "step": "middle"})
            assert failed["status"] == "failed" and "424242" in failed["error"], failed

            # A settings change makes the server ask again.
            folders[inner]["defaultSourceRun"] = None
            client.client.workspace_did_change_configuration(
                types.DidChangeConfigurationParams(settings=None)
            )
            await client.wait_for(lambda: client.configuration_requests >= 2)
            assert await default_runs((None, None)) == (None, None)
            again = await client.command(SPIN, {"uri": inner_uri, "step": "middle"})
            assert again["status"] == "ok", again
            assert not (inner / ".spinlens").exists()
        finally:
            await client.stop()

    asyncio.run(scenario())
