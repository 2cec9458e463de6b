"""CodeLenses from the open buffer, over a real client and server."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types

from lspclient import SpinlensClient

TWO_FLOWS = """\
from metaflow import FlowSpec, step, card, retry


class FirstFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @card
    @retry(times=2)
    @step
    def end(self):
        def step():  # a helper that happens to be called step: no lens
            return 1

        step()


class SecondFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.train)

    @step
    def train(self):
        self.next(self.end)

    @step
    def end(self):
        pass
"""

SYNTAX_ERROR = """\
from metaflow import FlowSpec, step


class Broken(FlowSpec):
    @step
    def start(self)
        self.next(self.end)
"""

NOT_A_FLOW = """\
def step(f):
    return f


class Plain:
    @step
    def start(self):
        pass
"""

ADDED_STEP = """\
    @step
    def evaluate(self):
        self.next(self.end)

"""


def spins(lenses: list[types.CodeLens]) -> list[tuple[int, list[object]]]:
    """(0-based line, arguments) of each Spin lens."""
    found = []
    for lens in lenses:
        assert lens.command is not None
        if lens.command.command == "spinlens.spinStep":
            found.append((lens.range.start.line, list(lens.command.arguments or [])))
    return found


def test_lenses(tmp_path: Path) -> None:
    async def scenario() -> None:
        client = SpinlensClient(tmp_path)
        await client.start()
        try:
            # Two flows, stacked decorators (first decorator's line), a nested `step`.
            uri = client.open(tmp_path / "flows.py", TWO_FLOWS)
            lenses = await client.lenses(uri)
            assert spins(lenses) == [
                (4, [uri, "start", "FirstFlow"]),
                (8, [uri, "end", "FirstFlow"]),
                (19, [uri, "start", "SecondFlow"]),
                (23, [uri, "train", "SecondFlow"]),
                (27, [uri, "end", "SecondFlow"]),
            ]
            by_line: dict[int, list[tuple[str, str]]] = {}
            for lens in lenses:
                assert lens.command is not None
                by_line.setdefault(lens.range.start.line, []).append(
                    (lens.command.title, lens.command.command)
                )
            assert by_line[8] == [
                ("▶ Spin this step", "spinlens.spinStep"),
                ("Debug this step", "spinlens.debugStep"),
            ]

            # Lenses follow unsaved edits: a step added in the buffer gets one.
            client.insert(uri, 23, ADDED_STEP)
            assert (23, [uri, "evaluate", "SecondFlow"]) in spins(await client.lenses(uri))
            assert (27, [uri, "train", "SecondFlow"]) in spins(await client.lenses(uri))
            client.replace(uri, TWO_FLOWS.replace("    @step\n    def train", "    def train"))
            assert [a[1] for _, a in spins(await client.lenses(uri))] == [
                "start",
                "end",
                "start",
                "end",
            ]

            # A syntax error, a file without flows, a non-Python file: no lenses, no crash.
            broken = client.open(tmp_path / "broken.py", SYNTAX_ERROR)
            assert await client.lenses(broken) == []
            plain = client.open(tmp_path / "plain.py", NOT_A_FLOW)
            assert await client.lenses(plain) == []
            notes = client.open(tmp_path / "notes.md", TWO_FLOWS, language_id="markdown")
            assert await client.lenses(notes) == []

            # Fixing the syntax error in the buffer brings the lenses back.
            client.replace(broken, SYNTAX_ERROR.replace("def start(self)", "def start(self):"))
            assert spins(await client.lenses(broken)) == [(4, [broken, "start", "Broken"])]
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())
