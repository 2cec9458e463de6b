"""A failed spin whose step raised inside a helper module: the ``failed`` event
lists the user's frames, and the Problems view gets the step's line that called
the helper, with the helper's frames as related information. A real client,
the real server, a real Metaflow run (tests/python/flows/linear_flow.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lsprotocol import types
from pygls.uris import from_fs_path

from flowruns import run_flow
from lspclient import SPIN, SpinlensClient

HELPER = """\
def check(values):
    return validate(values)


def validate(values):
    if max(values) > 10:
        raise ValueError(f"too big: {max(values)}")
    return values
"""


def line_of(text: str, line_has: str) -> int:
    """0-based, as LSP counts lines."""
    return next(n for n, line in enumerate(text.split("\n")) if line_has in line)


def test_a_raise_in_a_helper_module_marks_the_step_s_call_and_relates_the_helper(
    tmp_path: Path,
) -> None:
    run = run_flow(tmp_path / "frames", "linear_flow.py")
    helper = run.folder / "scaling.py"
    helper.write_text(HELPER)
    text = run.file.read_text()
    appending = "        self.numbers.append(99)"
    assert appending in text
    calling = text.replace(appending, appending + "\n        scaling.check(self.numbers)")
    calling = "import scaling\n" + calling

    async def scenario() -> None:
        client = SpinlensClient(run.folder)
        published: list[types.PublishDiagnosticsParams] = []

        @client.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
            published.append(params)

        await client.start()
        try:
            uri = client.open(run.file, calling)
            reply = await client.command(SPIN, {"uri": uri, "step": "middle"})
            assert reply["status"] == "failed", reply

            # The event: the user's frames only, from the step down to the raise.
            (failed,) = [e for e in client.spin_events(reply["spinId"]) if e["event"] == "failed"]
            frames = [(Path(f["file"]).name, f["line"], f["function"]) for f in failed["frames"]]
            assert frames == [
                (run.file.name, line_of(calling, "scaling.check(") + 1, "middle"),
                ("scaling.py", line_of(HELPER, "return validate") + 1, "check"),
                ("scaling.py", line_of(HELPER, "raise ValueError") + 1, "validate"),
            ], failed["frames"]

            def spin_failures() -> list[types.Diagnostic]:
                mine = [p for p in published if p.uri == uri]
                found = mine[-1].diagnostics if mine else []
                return [d for d in found if d.code == "spin-failed"]

            (failure,) = await client.wait_for(spin_failures)
            assert failure.severity == types.DiagnosticSeverity.Error
            assert failure.range.start.line == line_of(calling, "scaling.check(")
            raise_line = line_of(HELPER, "raise ValueError") + 1
            assert f"failed in scaling.py line {raise_line} (validate), called from here" in (
                failure.message
            )
            assert "too big: 99" in failure.message

            related = failure.related_information or []
            helper_uri = from_fs_path(str(helper.resolve()))
            assert [(r.location.uri, r.location.range.start.line) for r in related] == [
                (helper_uri, line_of(HELPER, "return validate")),
                (helper_uri, line_of(HELPER, "raise ValueError")),
            ]
            assert related[0].message == "check calls validate"
            assert related[1].message.startswith("validate raised ValueError: too big: 99")
            # The range covers the line's code, from its first non-blank character.
            assert related[1].location.range.start.character == 8
        finally:
            await client.stop()

    asyncio.run(asyncio.wait_for(scenario(), 240))
