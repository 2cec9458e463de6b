"""From "debug this step" to stopped at a breakpoint in it, against Metaflow's spin.

    python bench/debug_bench.py [--rounds N] [--rows N] [--out bench/RESULTS.md]

Both sides debug ``train`` of examples/training_flow.py (a fresh run in a temp
folder) with a breakpoint in its body, through a real DAP client (the tests'
tests/python/dapclient.py) speaking to debugpy the way an editor does:

* Spinlens: ``spinlens.server.debug`` through a real LSP client to ``spinlens
  lsp`` on a warm kernel (one plain spin first, untimed); the clock runs from
  the request to the ``stopped`` event: the ``debug`` event, attaching,
  breakpoints, the step running up to the line.
* Metaflow: ``python -m debugpy --listen 127.0.0.1:PORT --wait-for-client
  flow.py spin train``, what a launch configuration runs. Metaflow spins the
  step in a subprocess, so the client attaches twice: to the spin command, then
  to the step's process when debugpy announces it (``debugpyAttach``, as VS
  Code's subprocess support does). The clock runs from the process start to
  ``stopped``.

While stopped, Spinlens's rounds also expand ``self`` as the Variables view does
(every input is listed, each loaded as it is shown) and compare the spin's
``outputs_s`` with a plain spin's: inputs the debugger showed were read, so they
are checked for changes.

Prints a table and writes the "## Debugging" section of the results file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

from results_file import machine, write_section

from spinlens.engine.metaflow_env import ensure_user

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "lsp"))
sys.path.insert(0, str(REPO / "tests" / "python"))

from dapclient import DapClient  # noqa: E402
from lspclient import DEBUG, SPIN, SpinlensClient  # noqa: E402

SECTION = "## Debugging"
FLOW = "training_flow.py"
BREAK_AT = "        self.intercept = float(w[0])"
E2E_FIGURE = REPO / "tests" / "e2e" / "artifacts" / "debug-click-to-stopped.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def continue_all(dap: DapClient, stopped: dict[str, object]) -> None:
    body = stopped["body"]
    assert isinstance(body, dict)
    dap.request("continue", {"threadId": body["threadId"]})


def expand_self(dap: DapClient, stopped: dict[str, Any]) -> set[str]:
    """What VS Code asks when the user expands ``self`` in Variables: the names."""
    frames = dap.request("stackTrace", {"threadId": stopped["body"]["threadId"]})
    frame = frames["body"]["stackFrames"][0]
    scopes = dap.request("scopes", {"frameId": frame["id"]})["body"]["scopes"]
    local = dap.request("variables", {"variablesReference": scopes[0]["variablesReference"]})
    flow = next(v for v in local["body"]["variables"] if v["name"] == "self")
    listed = dap.request("variables", {"variablesReference": flow["variablesReference"]})
    return {v["name"] for v in listed["body"]["variables"]}


def debug_event_since(client: SpinlensClient, start: int) -> dict[str, Any] | None:
    found = (r.params["event"] for r in client.events[start:])
    return next((event for event in found if event["event"] == "debug"), None)


async def spinlens_rounds(folder: Path, line: int, rounds: int) -> dict[str, list[float]]:
    flow_file = folder / FLOW
    client = SpinlensClient(folder)
    await client.start()
    times: dict[str, list[float]] = {
        "to_debug_event": [],
        "to_stopped": [],
        "to_reply": [],
        "expand_self": [],
        "outputs_plain": [],
        "outputs_expanded": [],
    }
    try:
        uri = client.open(flow_file, flow_file.read_text())
        warm = await client.command(SPIN, {"uri": uri, "step": "train"})  # cold, untimed
        assert warm["status"] == "ok", (warm, client.stderr_text)
        plain = client.spin_events(warm["spinId"])[-1]["timings"]
        for _ in range(rounds):
            seen = len(client.events)
            sent = time.perf_counter()
            request = asyncio.ensure_future(client.command(DEBUG, {"uri": uri, "step": "train"}))
            event = await client.wait_for(partial(debug_event_since, client, seen), timeout=120)
            evented = time.perf_counter()
            dap = DapClient(event["host"], event["port"])
            try:
                config = {"justMyCode": True}
                breakpoints = {flow_file.resolve(): [line]}
                await asyncio.to_thread(dap.attach, config, breakpoints)
                stopped = await asyncio.to_thread(dap.event, "stopped")
                stopped_at = time.perf_counter()
                listed = await asyncio.to_thread(expand_self, dap, stopped)
                times["expand_self"].append(time.perf_counter() - stopped_at)
                assert {"raw", "feature_table", "target", "is_valid"} <= listed, sorted(listed)
                await asyncio.to_thread(continue_all, dap, stopped)
                reply = await asyncio.wait_for(request, 120)
            finally:
                dap.close()
            assert reply["status"] == "ok", reply
            times["to_debug_event"].append(evented - sent)
            times["to_stopped"].append(stopped_at - sent)
            times["to_reply"].append(time.perf_counter() - sent)
            # Every input shown by the debugger is read, so checked for changes.
            times["outputs_expanded"].append(
                client.spin_events(reply["spinId"])[-1]["timings"]["outputs_s"]
            )
            times["outputs_plain"].append(plain["outputs_s"])
    finally:
        await client.stop()
    return times


def metaflow_round(folder: Path, line: int) -> float:
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "debugpy", "--listen", f"127.0.0.1:{port}", "--wait-for-client"]
        + [FLOW, "spin", "train"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent: DapClient | None = None
    child: DapClient | None = None
    try:
        parent = _connect(port, proc)
        parent.attach({"justMyCode": True, "subProcess": True}, {folder / FLOW: [line]})
        announced = parent.event("debugpyAttach")  # the step's process started
        child = DapClient("127.0.0.1", port)
        config = dict(announced["body"])
        child.attach(config, {folder / FLOW: [line]})
        stopped = child.event("stopped")
        stopped_at = time.perf_counter()
        continue_all(child, stopped)
        if proc.wait(timeout=300) != 0:
            raise RuntimeError(f"metaflow spin under debugpy exited with {proc.returncode}")
        return stopped_at - started
    finally:
        for dap in (child, parent):
            if dap is not None:
                dap.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _connect(port: int, proc: subprocess.Popen[bytes]) -> DapClient:
    deadline = time.monotonic() + 60
    while True:
        try:
            return DapClient("127.0.0.1", port)
        except ConnectionRefusedError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def fmt(seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return f"{statistics.median(ms):,.0f} ms | {min(ms):,.0f} ms | {max(ms):,.0f} ms"


def report(spinlens: dict[str, list[float]], metaflow: list[float], rows: int) -> str:
    ratio = statistics.median(metaflow) / statistics.median(spinlens["to_stopped"])
    return "\n".join(
        [
            SECTION,
            "",
            f"Generated by `bench/debug_bench.py --rounds {len(metaflow)} --rows {rows:,}` on "
            f"{time.strftime('%Y-%m-%d %H:%M')}: `train` of `examples/{FLOW}` (a fresh run of "
            f"{rows:,} rows), a breakpoint on `{BREAK_AT.strip()}`, a real DAP client attaching "
            "the way VS Code does (see the script's docstring). Spinlens: the LSP request "
            "`spinlens.server.debug` on a warm kernel. Metaflow: `python -m debugpy --listen "
            "... flow.py spin train`, attached twice (the spin command, then the step's "
            "process it starts). In the real editor, `tests/e2e/debug.e2e.mjs` measures "
            "the click on *Debug this step* to VS Code showing the stopped frame.",
            "",
            *machine(("metaflow", "debugpy", "pygls")),
            "",
            "| | median | min | max |",
            "|---|---:|---:|---:|",
            f"| Metaflow: start `spin` under debugpy → stopped | {fmt(metaflow)} |",
            f"| Spinlens: request → `debug` event | {fmt(spinlens['to_debug_event'])} |",
            f"| Spinlens: request → stopped at the breakpoint | {fmt(spinlens['to_stopped'])} |",
            f"| Spinlens: request → reply (continued to the end) | {fmt(spinlens['to_reply'])} |",
            f"| Spinlens: expand `self` in Variables (every input listed) "
            f"| {fmt(spinlens['expand_self'])} |",
            f"| Spinlens: `outputs_s`, plain spin | {fmt(spinlens['outputs_plain'])} |",
            f"| Spinlens: `outputs_s`, debug spin with `self` expanded "
            f"| {fmt(spinlens['outputs_expanded'])} |",
            "",
            f"To stopped at the breakpoint, Spinlens is **{ratio:.1f}x** faster.",
            *editor_figure(),
        ]
    )


def editor_figure() -> list[str]:
    """The real editor's figure, from the last e2e run (if there was one here)."""
    if not E2E_FIGURE.is_file():
        return []
    figure = json.loads(E2E_FIGURE.read_text())
    return [
        "",
        f"In the real editor (`tests/e2e/debug.e2e.mjs`, run {figure['when'][:16]}: "
        "code-server, headless Chromium, the example flow with 20,000 rows, a warm kernel), "
        "from the click on *Debug this step* to VS Code showing the stopped frame: "
        f"**{figure['click_to_stopped_ms']:,} ms**.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    ensure_user()
    os.environ.setdefault("METAFLOW_CLIENT_CACHE_PATH", tempfile.mkdtemp(prefix="mf-cache-"))
    folder = Path(tempfile.mkdtemp(prefix="spinlens-debug-bench-"))
    try:
        shutil.copy(REPO / "examples" / FLOW, folder / FLOW)
        line = (folder / FLOW).read_text().splitlines().index(BREAK_AT) + 1
        print(f"running {FLOW} with {args.rows:,} rows in {folder}")
        subprocess.run(
            [sys.executable, FLOW, "run", "--rows", str(args.rows)],
            cwd=folder,
            check=True,
            capture_output=True,
        )
        metaflow = []
        for i in range(args.rounds):
            metaflow.append(metaflow_round(folder, line))
            print(f"metaflow round {i + 1}: {metaflow[-1] * 1000:,.0f} ms")
        spinlens = asyncio.run(spinlens_rounds(folder, line, args.rounds))
        print("spinlens:", ", ".join(f"{s * 1000:,.0f} ms" for s in spinlens["to_stopped"]))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    section = report(spinlens, metaflow, args.rows)
    print(section)
    write_section(args.out, SECTION, section)
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
