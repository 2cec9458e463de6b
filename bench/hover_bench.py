"""Hover and completion on ``self.<artifact>`` as the editor sees them: a real client
over stdio against ``spinlens lsp``, on a warm server.

    python bench/hover_bench.py [--rounds N] [--out bench/RESULTS.md]

* a generated 3,000-line flow (lsp_bench's): ``textDocument/hover`` on an
  artifact read in a step mid-file and ``textDocument/completion`` after
  ``self.`` there, the analysis cached (a first, untimed request builds it);
* a flow whose ``work`` step reads a 160 MB DataFrame, run once with Metaflow
  and spun once (the kernel warm): the first hover on ``self.frame`` (the
  kernel's preview: shape, dtypes, first rows), then hovers and completions.

Prints a table and writes the "## Editor hover and completion" section of the
results file. Issue target: median ≤ 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lsp_bench import Stats, big_flow, fmt, timed
from lsprotocol import types
from results_file import machine, write_section

from spinlens.engine.metaflow_env import ensure_user

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "lsp"))

from lspclient import SPIN, SpinlensClient  # noqa: E402

SECTION = "## Editor hover and completion"
TARGET_MS = 50.0
LINES = 3000

FRAME_FLOW = """\
import numpy as np
import pandas as pd
from metaflow import FlowSpec, step


class HoverBenchFlow(FlowSpec):
    @step
    def start(self):
        rng = np.random.default_rng(0)
        self.frame = pd.DataFrame(rng.random((1_000_000, 20)), columns=[f"c{i}" for i in range(20)])
        self.label = "160 MB of floats"
        self.next(self.work)

    @step
    def work(self):
        self.means = self.frame.mean().round(3).to_dict()
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    HoverBenchFlow()
"""


def position(text: str, line_has: str, name: str) -> types.Position:
    for number, line in enumerate(text.split("\n")):
        if line_has in line:
            return types.Position(line=number, character=line.index(f"self.{name}") + 5)
    raise AssertionError(line_has)


async def hover(client: SpinlensClient, uri: str, at: types.Position) -> str:
    found = await client.client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=at)
    )
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    return found.contents.value


async def complete(client: SpinlensClient, uri: str, at: types.Position) -> int:
    found = await client.client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=at)
    )
    assert isinstance(found, types.CompletionList)
    return len(found.items)


async def big_file_bench(folder: Path, rounds: int) -> list[Stats]:
    text = big_flow(LINES)
    path = folder / "big_flow.py"
    path.write_text(text)
    count = len(text.split("\n"))
    # In a step mid-file: `self.names` read right after the step set it.
    middle = text.index(f"def step_{count // 50}(self)")
    line = text.count("\n", 0, text.index("zip(self.names", middle))
    column = text.split("\n")[line].index("self.names") + len("self.")
    on_names = types.Position(line=line, character=column)
    client = SpinlensClient(folder)
    await client.start()
    try:
        uri = client.open(path, text)
        assert "names" in await hover(client, uri, on_names)  # builds the analysis, untimed
        hovers = [await timed(hover(client, uri, on_names)) for _ in range(rounds)]
        # The cursor right after `self.`: what completion sees while typing there.
        assert await complete(client, uri, on_names) > 5
        completions = [await timed(complete(client, uri, on_names)) for _ in range(rounds)]
        # Typing in the step: each hover comes right after an unsaved edit of a
        # line of the step's body, so it pays for analysing the new text (the
        # step alone is re-parsed: incremental_parse.py).
        lines = text.split("\n")
        edited = []
        for n in range(rounds):
            lines[line] += f"  # {n}"
            client.replace(uri, "\n".join(lines))
            edited.append(await timed(hover(client, uri, on_names)))
    finally:
        await client.stop()
    label = f"{count:,}-line flow"
    return [
        Stats(f"hover on `self.names`, {label}", hovers, TARGET_MS),
        Stats(f"completion after `self.`, {label}", completions, TARGET_MS),
        Stats(f"hover on `self.names` right after an edit in its step, {label}", edited, TARGET_MS),
    ]


async def frame_bench(folder: Path, rounds: int) -> tuple[list[Stats], str]:
    path = folder / "hover_bench_flow.py"
    path.write_text(FRAME_FLOW)
    subprocess.run(
        [sys.executable, path.name, "run"], cwd=folder, check=True, capture_output=True, timeout=600
    )
    client = SpinlensClient(folder)
    await client.start()
    try:
        uri = client.open(path, FRAME_FLOW)
        reply = await client.command(SPIN, {"uri": uri, "step": "work"})
        assert reply["status"] == "ok", reply
        on_frame = position(FRAME_FLOW, "self.means = self.frame", "frame")
        started = time.perf_counter()
        text = ""
        while "**Source run**" not in text:  # the first preview: read in the kernel
            text = await hover(client, uri, on_frame)
        first = [time.perf_counter() - started]
        hovers = [await timed(hover(client, uri, on_frame)) for _ in range(rounds)]
        completions = [await timed(complete(client, uri, on_frame)) for _ in range(rounds)]
    finally:
        await client.stop()
    return [
        Stats("hover on `self.frame` (160 MB DataFrame), first: the kernel's preview", first),
        Stats("hover on `self.frame` (160 MB DataFrame), warm", hovers, TARGET_MS),
        Stats("completion after `self.` in the DataFrame's step", completions, TARGET_MS),
    ], text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    ensure_user()
    with tempfile.TemporaryDirectory(prefix="spinlens-hover-bench-") as tmp:
        root = Path(tmp)
        os.environ.setdefault("METAFLOW_CLIENT_CACHE_PATH", str(root / "client-cache"))
        (root / "big").mkdir()
        (root / "frame").mkdir()
        stats = asyncio.run(big_file_bench(root / "big", args.rounds))
        frame_stats, frame_hover = asyncio.run(frame_bench(root / "frame", args.rounds))
        stats += frame_stats
    header = "| request | median | min | max | target | |\n| --- | --- | --- | --- | --- | --- |"
    table = "\n".join([header, *(s.row() for s in stats)])
    print(table)
    shown = "\n".join(f"    {line}" for line in frame_hover.splitlines())
    section = "\n".join(
        [
            SECTION,
            "",
            "`python bench/hover_bench.py`: a real LSP client (tests/lsp/lspclient.py) "
            f"against `spinlens lsp` over stdio, {args.rounds} requests each after an "
            "untimed first one, on a warm server. The first hover on the DataFrame "
            "waits for the kernel's preview (at most 200 ms per hover, asked again "
            "until it is there); later ones use the kept preview.",
            "",
            *machine(("metaflow", "pygls", "pandas")),
            "",
            table,
            "",
            "The DataFrame's hover, as the client received it:",
            "",
            shown,
        ]
    )
    write_section(args.out, SECTION, section)
    print(f"medians: {', '.join(f'{s.label}: {fmt(s.median_ms)}' for s in stats)}")


if __name__ == "__main__":
    main()
