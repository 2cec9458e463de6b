"""CodeLenses from the open buffer, over a real client and server."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from lsprotocol import types

from lspclient import LIST_STEPS, SpinlensClient

DISCOVERY = Path(__file__).resolve().parents[1] / "python" / "flows" / "discovery"

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


def test_list_steps_for_the_palette(tmp_path: Path) -> None:
    """spinlens.server.listSteps: the steps the lenses are on, from the buffer's text."""

    async def scenario() -> None:
        client = SpinlensClient(tmp_path)
        await client.start()
        try:
            uri = client.open(tmp_path / "flows.py", TWO_FLOWS)
            listed = await client.command(LIST_STEPS, {"uri": uri})
            assert listed["error"] is None
            assert [(s["flow"], s["name"], s["line"]) for s in listed["steps"]] == [
                (flow, name, line) for line, [_, name, flow] in spins(await client.lenses(uri))
            ]
            lines = TWO_FLOWS.split("\n")
            for step in listed["steps"]:
                assert f"def {step['name']}(" in lines[step["defLine"]]
            end = next(s for s in listed["steps"] if (s["flow"], s["name"]) == ("FirstFlow", "end"))
            assert lines[end["endLine"]].strip() == "step()"  # the body's last line

            # Unsaved edits count; a syntax error gives no steps and says where.
            client.replace(uri, TWO_FLOWS.replace("    @step\n    def train", "    def train"))
            names = [s["name"] for s in (await client.command(LIST_STEPS, {"uri": uri}))["steps"]]
            assert names == ["start", "end", "start", "end"]
            broken = client.open(tmp_path / "broken.py", SYNTAX_ERROR)
            listed = await client.command(LIST_STEPS, {"uri": broken})
            assert listed["steps"] == [] and "syntax error at line 6" in listed["error"]

            # A file the client has not opened is read from disk.
            (tmp_path / "closed.py").write_text(SYNTAX_ERROR.replace("(self)\n", "(self):\n"))
            closed = (tmp_path / "closed.py").as_uri()
            listed = await client.command(LIST_STEPS, {"uri": closed})
            assert [(s["flow"], s["name"]) for s in listed["steps"]] == [("Broken", "start")]
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """0-based line of the n-th line of ``path`` containing ``needle``."""
    lines = [n for n, text in enumerate(path.read_text().split("\n")) if needle in text]
    return lines[occurrence - 1]


def test_lenses_of_inherited_and_aliased_steps(tmp_path: Path) -> None:
    shutil.copytree(DISCOVERY, tmp_path / "discovery")
    folder = tmp_path / "discovery" / "from_import"
    child_file, base_file = folder / "flow.py", folder / "base.py"
    same_file = tmp_path / "discovery" / "base_and_child_flow.py"

    async def scenario() -> None:
        client = SpinlensClient(tmp_path)
        await client.start()
        try:
            # A base flow in base.py: the child's lenses are its own steps only,
            # at this file's lines (start and end are base.py's).
            child_text = child_file.read_text()
            child = client.open(child_file, child_text)
            assert spins(await client.lenses(child)) == [
                (line_of(child_file, "@step"), [child, "middle", "ChildFlow"]),
            ]
            base = client.open(base_file, base_file.read_text())
            assert spins(await client.lenses(base)) == [
                (line_of(base_file, "@step", n), [base, name, "BaseFlow"])
                for n, name in enumerate(["start", "middle", "end"], start=1)
            ]
            # Without the base module the child is no flow (the next analysis sees it).
            base_file.unlink()
            client.replace(child, child_text + "\n")
            assert await client.lenses(child) == []

            # Base and child flows in one file: the base's methods get lenses for
            # the flow the file runs (ChildFlow), once each.
            both = client.open(same_file, same_file.read_text())
            assert spins(await client.lenses(both)) == [
                (line_of(same_file, "@step", 1), [both, "start", "ChildFlow"]),
                (line_of(same_file, "@step", 2), [both, "end", "ChildFlow"]),
            ]

            # Aliased Metaflow names.
            for name, flow in [
                ("alias_names_flow.py", "AliasNamesFlow"),
                ("alias_module_flow.py", "AliasModuleFlow"),
                ("alias_step_flow.py", "AliasStepFlow"),
            ]:
                path = tmp_path / "discovery" / name
                uri = client.open(path, path.read_text())
                assert spins(await client.lenses(uri)) == [
                    (line_of(path, "    @"), [uri, "start", flow]),
                    (line_of(path, "def end") - 1, [uri, "end", flow]),
                ]
        finally:
            assert await client.stop() == 0

    asyncio.run(scenario())
