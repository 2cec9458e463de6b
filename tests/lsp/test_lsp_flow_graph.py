"""spinlens.server.flowGraph over a real client and server: the open buffer's graph."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from pygls.exceptions import JsonRpcException

from lspclient import SpinlensClient, file_uri
from spinlens.lsp.methods import FLOW_GRAPH

FLOWS = Path(__file__).resolve().parents[1] / "python" / "flows"
GRAPH_FLOW = (FLOWS / "graph_flow.py").read_text(encoding="utf-8")

# A step added to the buffer (not saved): `audit` between `end`'s predecessor and `end`.
WITH_AUDIT = GRAPH_FLOW.replace(
    "        self.next(self.end)\n\n    @step\n    def end(self):",
    "        self.next(self.audit)\n\n    @step\n    def audit(self):\n"
    "        self.next(self.end)\n\n    @step\n    def end(self):",
)


def steps(graph: dict[str, Any]) -> list[str]:
    return [node["step"] for node in graph["flows"][0]["nodes"]]


def test_flow_graph_follows_the_buffer(tmp_path: Path) -> None:
    assert WITH_AUDIT != GRAPH_FLOW
    path = tmp_path / "graph_flow.py"
    path.write_text(GRAPH_FLOW, encoding="utf-8")

    async def scenario() -> None:
        client = SpinlensClient(tmp_path)
        await client.start()
        try:
            # Not opened: the file on disk.
            graph = await client.command(FLOW_GRAPH, {"uri": file_uri(path)})
            assert graph["error"] is None and graph["defaultFlow"] == "GraphFlow"
            assert len(steps(graph)) == 10
            edges = {(e["from"], e["to"], e["kind"]) for e in graph["flows"][0]["edges"]}
            assert ("region", "store", "foreach") in edges
            lines = GRAPH_FLOW.split("\n")
            for node in graph["flows"][0]["nodes"]:  # 0-based lines, as LSP counts them
                assert lines[node["defLine"]].strip().startswith(f"def {node['step']}(")

            # Opened and edited, unsaved: the buffer's text.
            uri = client.open(path, GRAPH_FLOW)
            client.replace(uri, WITH_AUDIT)
            edited = await client.command(FLOW_GRAPH, {"uri": uri})
            assert "audit" in steps(edited) and len(steps(edited)) == 11
            edges = {(e["from"], e["to"]) for e in edited["flows"][0]["edges"]}
            assert ("join_regions", "audit") in edges and ("audit", "end") in edges
            assert path.read_text(encoding="utf-8") == GRAPH_FLOW

            # Mid-typing: no flows, and where it does not parse (0-based).
            client.replace(uri, WITH_AUDIT.replace("def audit(self):", "def audit(self:"))
            broken = await client.command(FLOW_GRAPH, {"uri": uri})
            assert broken["flows"] == [] and broken["defaultFlow"] is None
            assert WITH_AUDIT.split("\n")[broken["error"]["line"]].strip() == "def audit(self):"

            # A file that is not there: an error naming it.
            with pytest.raises(JsonRpcException, match="missing.py"):
                await client.command(FLOW_GRAPH, {"uri": file_uri(tmp_path / "missing.py")})
            with pytest.raises(JsonRpcException, match="uri"):
                await client.command(FLOW_GRAPH, {})
        finally:
            await client.stop()

    asyncio.run(scenario())
