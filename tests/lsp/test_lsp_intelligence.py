"""Hover, completion, definition, references, diagnostics, quick fixes and inlay
hints on ``self.<artifact>``, through a real client against the real server, on
a real Metaflow run (tests/python/flows/linear_flow.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types

from flowruns import FLOWS, FlowRun
from lspclient import SPIN, SpinlensClient, kernel_pids


def at(text: str, line_has: str, name: str, after: str = "self.") -> types.Position:
    """The position (0-based line, UTF-16 column) of ``after + name`` on the first
    line containing ``line_has``, at the start of ``name``."""
    for number, line in enumerate(text.split("\n")):
        if line_has in line:
            col = line.index(after + name, line.index(line_has)) + len(after)
            return types.Position(line=number, character=len(line[:col].encode("utf-16-le")) // 2)
    raise AssertionError(f"no line has {line_has!r}")


def line_of(text: str, line_has: str) -> int:
    return next(n for n, line in enumerate(text.split("\n")) if line_has in line)


def document(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


class Published:
    """Every publishDiagnostics the server sent, per document."""

    def __init__(self, client: SpinlensClient) -> None:
        self.by_uri: dict[str, list[types.PublishDiagnosticsParams]] = {}

        @client.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            self.by_uri.setdefault(params.uri, []).append(params)

    def latest(self, uri: str, version: int | None = None) -> list[types.Diagnostic] | None:
        """The last diagnostics for ``uri`` (for that document version, if given)."""
        found = [p for p in self.by_uri.get(uri, []) if version is None or p.version == version]
        return list(found[-1].diagnostics) if found else None


async def hover_text(client: SpinlensClient, uri: str, position: types.Position) -> str:
    result = await client.client.text_document_hover_async(
        types.HoverParams(text_document=document(uri), position=position)
    )
    assert result is not None, client.stderr_text
    assert isinstance(result.contents, types.MarkupContent)
    return result.contents.value


def scenario(coroutine: Any) -> None:
    asyncio.run(asyncio.wait_for(coroutine, 240))


def test_hover_shows_type_value_assignment_and_last_spin(linear_run: FlowRun) -> None:
    async def run() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        text = linear_run.file.read_text()
        flow_file = linear_run.file.resolve()
        try:
            uri = client.open(linear_run.file, text)
            numbers = at(text, "self.scaled = [n", "numbers")
            # No kernel yet: the static facts only, and no kernel is started for it.
            static = await hover_text(client, uri, numbers)
            assert "**numbers**: artifact in `LinearFlow.middle`" in static
            start_line = line_of(text, "self.numbers = list(range(5))") + 1
            link = f"[start line {start_line}]({uri}#L{start_line})"
            assert f"Assigned in {link}" in static
            assert "Source run" not in static and "Last spin" not in static
            assert kernel_pids(flow_file) == []

            reply = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert reply["status"] == "ok", (reply, client.stderr_text)
            asked = time.perf_counter()
            # The kernel's preview comes within the hover's wait, or for a later hover.
            found: str | None = None
            deadline = time.monotonic() + 30
            while found is None and time.monotonic() < deadline:
                value = await hover_text(client, uri, numbers)
                found = value if "**Source run**" in value else None
            assert found is not None, client.stderr_text
            print(f"source-run value shown {time.perf_counter() - asked:.3f} s after the spin")
            task = f"LinearFlow/{linear_run.run_id}/middle/"
            assert f"**Source run** `{task}" in found
            assert "`list` · " in found
            assert "[0, 1, 2, 3, 4, 99]" in found  # middle's own task: after its append
            assert f"**Last spin** `{reply['spinId']}`, ok" in found
            assert "unchanged vs the source run" in found
            assert f"Assigned in {link}" in found
        finally:
            await client.stop()

    scenario(run())


def test_hover_on_a_join_input_and_a_parameter(tmp_path: Path) -> None:
    """``inputs.left_more.left_value`` is the parent's; a Parameter its declaration."""

    async def run() -> None:
        client = SpinlensClient(tmp_path)
        await client.start()
        path = tmp_path / "branch_flow.py"
        text = (FLOWS / "branch_flow.py").read_text()
        path.write_text(text)
        try:
            uri = client.open(path, text)
            hovered = await hover_text(client, uri, at(text, "self.from_left", "left_value", "."))
            assert "(from input `left_more`)" in hovered
            first = line_of(text, "self.left_value = self.base + 1") + 1
            again = line_of(text, "self.left_value *= 3") + 1
            assert f"[left line {first}]" not in hovered  # overwritten in left_more
            assert f"[left_more line {again}]({uri}#L{again})" in hovered
        finally:
            await client.stop()

    scenario(run())


def test_utf16_columns(linear_run: FlowRun) -> None:
    """A character outside the BMP is two UTF-16 units: positions both ways count so."""

    async def run() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        text = linear_run.file.read_text().replace(
            'print("scaled", self.scaled)', 'print("😀 scaled", self.scaled)'
        )
        try:
            uri = client.open(linear_run.file, text)
            position = at(text, 'print("😀', "scaled")
            result = await client.client.text_document_hover_async(
                types.HoverParams(text_document=document(uri), position=position)
            )
            assert result is not None and result.range is not None
            assert result.range.start == position
            assert result.range.end.character == position.character + len("scaled")
        finally:
            await client.stop()

    scenario(run())


def test_completion_offers_upstream_artifacts_and_parameters(linear_run: FlowRun) -> None:
    async def run() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        text = linear_run.file.read_text()
        try:
            uri = client.open(linear_run.file, text)
            position = at(text, "self.total = sum(", "scaled")
            labels = await completion_labels(client, uri, position)
            assert {"numbers", "label", "scaled", "where", "scale", "next"} <= set(labels)
            assert labels.index("scaled") < labels.index("scale") < labels.index("next")

            # Mid-typing the text does not parse: the last analysis that did answers.
            end = line_of(text, "self.total = sum(self.scaled)")
            lines = text.split("\n")
            lines.insert(end + 1, "        print(self.")
            client.replace(uri, "\n".join(lines))
            typing = types.Position(line=end + 1, character=len("        print(self."))
            labels = await completion_labels(client, uri, typing)
            assert {"numbers", "scaled", "where", "scale"} <= set(labels)
        finally:
            await client.stop()

    scenario(run())


async def completion_labels(
    client: SpinlensClient, uri: str, position: types.Position
) -> list[str]:
    result = await client.client.text_document_completion_async(
        types.CompletionParams(text_document=document(uri), position=position)
    )
    assert isinstance(result, types.CompletionList), client.stderr_text
    items = sorted(result.items, key=lambda item: item.sort_text or "")
    kinds = {item.label: item.kind for item in items}
    assert kinds.get("scale") == types.CompletionItemKind.Property
    assert kinds.get("numbers") == types.CompletionItemKind.Field
    return [item.label for item in items]


def test_definition_and_references(linear_run: FlowRun) -> None:
    async def run() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start()
        text = linear_run.file.read_text()
        try:
            uri = client.open(linear_run.file, text)
            where = at(text, "self.total = sum(", "scaled")
            found = await client.client.text_document_definition_async(
                types.DefinitionParams(text_document=document(uri), position=where)
            )
            assert isinstance(found, list)
            assigned = at(text, "self.scaled = [n", "scaled")
            assert [(d.uri, d.range.start) for d in found] == [(uri, assigned)]

            parameter = await client.client.text_document_definition_async(
                types.DefinitionParams(
                    text_document=document(uri), position=at(text, "n * self.scale", "scale")
                )
            )
            assert isinstance(parameter, list)
            assert [d.range.start.line for d in parameter] == [line_of(text, "scale = Parameter")]

            refs = await client.client.text_document_references_async(
                types.ReferenceParams(
                    text_document=document(uri),
                    position=at(text, "self.numbers = list", "numbers"),
                    context=types.ReferenceContext(include_declaration=True),
                )
            )
            assert refs is not None
            lines = sorted({r.range.start.line for r in refs})
            assert lines == [
                line_of(text, "self.numbers = list"),
                line_of(text, "self.scaled = [n"),
                line_of(text, "self.numbers.append"),
            ]
        finally:
            await client.stop()

    scenario(run())


CORRECT_FLOWS = sorted(p.name for p in FLOWS.glob("*.py"))


def test_diagnostics_none_on_correct_flows_one_on_a_mistake_and_a_quick_fix(
    tmp_path: Path,
) -> None:
    async def run() -> None:
        client = SpinlensClient(tmp_path)
        published = Published(client)
        await client.start()
        try:
            uris = {}
            for name in CORRECT_FLOWS:
                path = tmp_path / name
                path.write_text((FLOWS / name).read_text())
                uris[name] = client.open(path, path.read_text())
            for name, uri in uris.items():
                found = await client.wait_for(lambda uri=uri: published.latest(uri, 1) is not None)
                assert found, name
                assert published.latest(uri, 1) == [], (name, published.latest(uri, 1))

            uri = uris["linear_flow.py"]
            text = (FLOWS / "linear_flow.py").read_text()
            mistaken = text.replace("sum(self.scaled)", "sum(self.scaeld)")
            client.replace(uri, mistaken)
            await client.wait_for(lambda: published.latest(uri, 2) is not None)
            diagnostics = published.latest(uri, 2)
            assert diagnostics is not None and len(diagnostics) == 1, diagnostics
            (warning,) = diagnostics
            assert warning.source == "spinlens"
            assert warning.code == "undefined-artifact"
            assert warning.severity == types.DiagnosticSeverity.Warning
            assert warning.range.start == at(mistaken, "sum(self.", "scaeld")

            actions = await client.client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=document(uri),
                    range=warning.range,
                    context=types.CodeActionContext(diagnostics=[warning]),
                )
            )
            assert actions is not None and len(actions) == 1
            (action,) = actions
            assert isinstance(action, types.CodeAction)
            assert action.title == "Change to scaled"
            assert action.edit is not None and action.edit.changes is not None
            fixed = apply(mistaken, action.edit.changes[uri])
            assert fixed == text
            client.replace(uri, fixed)
            await client.wait_for(lambda: published.latest(uri, 3) is not None)
            assert published.latest(uri, 3) == []

            client.client.text_document_did_close(
                types.DidCloseTextDocumentParams(text_document=document(uri))
            )
            closing = len(published.by_uri[uri])
            await client.wait_for(lambda: len(published.by_uri[uri]) > closing)
            assert list(published.by_uri[uri][-1].diagnostics) == []
        finally:
            await client.stop()

    scenario(run())


def apply(text: str, edits: list[types.TextEdit]) -> str:
    """Edits on one line each, UTF-16 columns (the test text is ASCII)."""
    lines = text.split("\n")
    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character)):
        start, end = edit.range.start, edit.range.end
        assert start.line == end.line
        line = lines[start.line]
        lines[start.line] = line[: start.character] + edit.new_text + line[end.character :]
    return "\n".join(lines)


@pytest.mark.parametrize("enabled", [False, True])
def test_inlay_hints_show_the_last_spin_values_when_enabled(
    linear_run: FlowRun, enabled: bool
) -> None:
    async def run() -> None:
        client = SpinlensClient(linear_run.folder)
        await client.start({"inlayHints": enabled})
        text = linear_run.file.read_text()
        try:
            uri = client.open(linear_run.file, text)
            reply = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert reply["status"] == "ok", (reply, client.stderr_text)
            everything = types.Range(
                start=types.Position(line=0, character=0),
                end=types.Position(line=len(text.split("\n")), character=0),
            )
            hints = await client.client.text_document_inlay_hint_async(
                types.InlayHintParams(text_document=document(uri), range=everything)
            )
            if not enabled:
                assert not hints
                return
            assert hints is not None
            labels = {h.position.line: h.label for h in hints}
            scaled = line_of(text, "self.scaled = [n")
            assert labels.get(scaled) == " = scaled: list [0, 2, 4, 6, 8]"
            assert set(labels) == {scaled, line_of(text, "self.where =")}
        finally:
            await client.stop()

    scenario(run())


def test_a_failed_spin_marks_the_raising_line_until_the_next_spin(linear_run: FlowRun) -> None:
    """The last spin's failure sits at the line that raised (an error, source
    spinlens), and the next successful spin clears it."""

    async def run() -> None:
        client = SpinlensClient(linear_run.folder)
        published = Published(client)
        await client.start()
        try:
            text = linear_run.file.read_text()
            printing = '        print("scaled", self.scaled)\n'
            assert printing in text
            raising = text.replace(printing, printing + '        raise ValueError("boom")\n')
            uri = client.open(linear_run.file, raising)
            reply = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert reply["status"] == "failed", reply

            def spin_failures() -> list[types.Diagnostic]:
                found = published.latest(uri) or []
                return [d for d in found if d.code == "spin-failed"]

            (failure,) = await client.wait_for(spin_failures)
            assert failure.severity == types.DiagnosticSeverity.Error
            assert failure.source == "spinlens"
            assert failure.range.start.line == line_of(raising, 'raise ValueError("boom")')
            assert "boom" in failure.message and reply["spinId"] in failure.message

            client.replace(uri, text)
            again = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert again["status"] == "ok", again
            await client.wait_for(lambda: published.latest(uri) is not None and not spin_failures())
        finally:
            await client.stop()

    scenario(run())
