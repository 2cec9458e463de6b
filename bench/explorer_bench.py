"""The runs tree's first level for a flow with 500 runs: one page of runs from the
explorer's long-lived Metaflow reader (``spinlens.client_reader``), cold and warm,
side by side with a fresh ``python -c`` that lists the runs the way the source-run
picker does (``lsp/runs.py``: import Metaflow, list every run with its status).

The 500 runs are one real run of a two-step flow, cloned in the local metadata
and datastore (its folders copied under new run ids, the ids rewritten in the
metadata records; the artifacts stay shared in the content-addressed store):
running a flow 500 times would take about half an hour here.

    .venv/bin/python bench/explorer_bench.py [--runs 500] [--repeat 7]

Rewrites the "## Runs explorer" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from results_file import machine, write_section

import spinlens
from spinlens.engine.metaflow_env import ensure_user
from spinlens.lsp.runs import list_runs

SECTION = "## Runs explorer"
RESULTS = Path(__file__).with_name("RESULTS.md")
PAGE = 50

TINY_FLOW = """\
from metaflow import FlowSpec, Parameter, step


class TinyFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.5, type=float)

    @step
    def start(self):
        self.value = self.alpha * 2
        self.next(self.end)

    @step
    def end(self):
        self.total = self.value + 1


if __name__ == "__main__":
    TinyFlow()
"""


def make_runs(folder: Path, count: int) -> list[str]:
    """One real run of TinyFlow, cloned into ``count`` runs; their ids, oldest first."""
    (folder / "tiny_flow.py").write_text(TINY_FLOW)
    subprocess.run(
        [sys.executable, "tiny_flow.py", "run"],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=300,
    )
    root = folder / ".metaflow" / "TinyFlow"
    (original,) = [p.name for p in root.iterdir() if p.name.isdigit()]
    ids = [original]
    base = int(original)
    for i in range(1, count):
        new = str(base + i)
        shutil.copytree(root / original, root / new)
        for meta in (root / new).rglob("*.json"):
            text = meta.read_text()
            if original in text:
                meta.write_text(text.replace(original, new))
        ids.append(new)
    # Creation times as a real history would have them: each clone a second later.
    for i, run_id in enumerate(ids):
        self_file = root / run_id / "_meta" / "_self.json"
        record = json.loads(self_file.read_text())
        record["ts_epoch"] = record["ts_epoch"] + i * 1000
        self_file.write_text(json.dumps(record))
    return ids


class ReaderClient:
    def __init__(self, folder: Path) -> None:
        env = dict(os.environ)
        parent = str(Path(spinlens.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [parent, env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spinlens.client_reader"],
            cwd=folder,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        json.loads(self.proc.stdout.readline())  # ready
        self.ident = 0

    def ask(self, **request: object) -> dict[str, object]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.ident += 1
        self.proc.stdin.write(json.dumps({"id": self.ident, **request}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        assert "result" in reply, reply
        return reply["result"]  # type: ignore[no-any-return]

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    ensure_user()
    with tempfile.TemporaryDirectory(prefix="spinlens-explorer-bench-") as tmp:
        folder = Path(tmp)
        os.environ["METAFLOW_CLIENT_CACHE_PATH"] = str(folder / "client-cache")
        ids = make_runs(folder, args.runs)
        flow_file = str(folder / "tiny_flow.py")
        cold, warm, deep, picker = [], [], [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            reader = ReaderClient(folder)
            page = reader.ask(op="runs", flow="TinyFlow", offset=0, limit=PAGE)
            cold.append(time.perf_counter() - start)
            assert page["total"] == args.runs, page["total"]
            newest = page["runs"][0]  # type: ignore[index]
            assert newest["run_id"] == ids[-1], (newest, ids[-1])
            first = functools.partial(reader.ask, op="runs", flow="TinyFlow", offset=0, limit=PAGE)
            warm.append(timed(first))
            last = functools.partial(
                reader.ask, op="runs", flow="TinyFlow", offset=args.runs - PAGE, limit=PAGE
            )
            deep.append(timed(last))
            reader.close()
            picker.append(timed(functools.partial(list_runs, flow_file, "TinyFlow")))
    rows = [
        ("explorer: first page, reader started (Metaflow import + page)", cold),
        ("explorer: first page again (finished runs' rows kept), warm reader", warm),
        (f"explorer: last page (offset {args.runs - PAGE}) first time, warm reader", deep),
        ("source-run picker: fresh `python -c` listing every run (lsp/runs.py)", picker),
    ]
    lines = [
        SECTION,
        "",
        f"The runs tree's first level for a flow with {args.runs} runs: one page of "
        f"{PAGE} runs (id, status, age, user, Parameters, tags) from the explorer's "
        "reader process, against a fresh interpreter listing every run with its status "
        "(what `listRuns` does per call). The runs are one real run of a two-step flow "
        "cloned in the local metadata and datastore (`bench/explorer_bench.py`). "
        f"Median of {args.repeat}.",
        "",
        *machine(("metaflow",)),
        "",
        "| what | median | min | max |",
        "| --- | --- | --- | --- |",
        *(
            f"| {name} | {statistics.median(v) * 1000:.0f} ms | {min(v) * 1000:.0f} ms | "
            f"{max(v) * 1000:.0f} ms |"
            for name, v in rows
        ),
    ]
    section = "\n".join(lines) + "\n"
    write_section(args.out, SECTION, section)
    print(section)


if __name__ == "__main__":
    main()
