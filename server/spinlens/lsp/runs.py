"""A flow's runs, for the editor's source-run picker.

Metaflow finds its local datastore from the working directory (the nearest
``.metaflow`` upward) and its Client caches that root per process, so asking
in the server process would answer for whichever flow file came first. A short
subprocess in the flow file's folder asks Metaflow exactly as ``python flow.py``
there would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping

from ..errors import SpinError
from .payloads import RunInfo

TIMEOUT_S = 60.0
_MARKER = "SPINLENS-RUNS:"

_SCRIPT = f"""
import json, sys
from metaflow import Flow, namespace
from metaflow.exception import MetaflowNotFound

namespace(None)
try:
    runs = list(Flow(sys.argv[1]))
except MetaflowNotFound:
    runs = []
found = []
for run in runs:
    if run.successful:
        status = "ok"
    elif run.finished:
        status = "failed"
    else:
        status = "running"  # or killed before it could finish: Metaflow cannot tell
    found.append({{"runId": run.id, "status": status, "created": run.created_at.timestamp()}})
print({_MARKER!r} + json.dumps(found), flush=True)
"""


def list_runs(
    flow_file: str,
    flow: str,
    python: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> list[RunInfo]:
    """Runs of ``flow`` in the datastore that ``flow_file``'s folder sees, newest first."""
    try:
        completed = subprocess.run(
            [python or sys.executable, "-c", _SCRIPT, flow],
            cwd=os.path.dirname(flow_file),
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,  # never the server's stdin: it is the LSP channel
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise SpinError(f"Listing the runs of {flow} took more than {timeout:.0f} s.") from None
    lines = [line for line in completed.stdout.splitlines() if line.startswith(_MARKER)]
    if completed.returncode != 0 or not lines:
        detail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise SpinError(f"Could not list the runs of {flow}: {detail}")
    runs = [
        RunInfo(run_id=str(r["runId"]), status=r["status"], created=float(r["created"]))
        for r in json.loads(lines[-1][len(_MARKER) :])
    ]
    runs.sort(key=lambda r: (r.created, _numeric(r.run_id)), reverse=True)
    return runs


def _numeric(run_id: str) -> int:
    return int(run_id) if run_id.isdigit() else -1
