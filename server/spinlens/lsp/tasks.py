"""Foreach children: the tasks of a step in the source run (``listTasks``), the child
each step's spins use (``setTask``), and which steps of a document are in a foreach.

The tasks come from Metaflow's Client in a short subprocess in the flow file's
folder, as ``runs.py`` lists runs (the Client caches its datastore root per
process, and the server never imports Metaflow).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping

from ..errors import SpinError
from ..flow_analysis import FlowInfo, analyze_source
from .payloads import TaskInfo

TIMEOUT_S = 120.0
MAX_TASKS = 200  # children listed per step; the reply says when there are more
VALUE_CHARS = 80  # a split value's repr, cut
_MARKER = "SPINLENS-TASKS:"

_SCRIPT = f"""
import json, sys
from metaflow import Flow, Run, namespace
from metaflow.exception import MetaflowNotFound

namespace(None)
flow, step, run_id = sys.argv[1:4]
chars = int(sys.argv[4])
try:
    run = Run(flow + "/" + run_id) if run_id else Flow(flow).latest_successful_run
except MetaflowNotFound:
    run = None
if run is None:
    print({_MARKER!r} + json.dumps({{"error": "no-run"}}), flush=True)
    sys.exit(0)
try:
    tasks = list(run[step])
except KeyError:
    tasks = []
found = []
for task in tasks:
    stack = task["_foreach_stack"].data if "_foreach_stack" in task else []
    frame = stack[-1] if stack else None
    value = None
    if frame is not None and frame.value is not None:
        value = str(frame.value)
        value = value if len(value) <= chars else value[: chars - 1] + "\\u2026"
    found.append({{
        "taskId": task.id,
        "order": [f.index for f in stack],
        "index": frame.index if frame is not None else None,
        "var": frame.var if frame is not None else None,
        "value": value,
    }})
print({_MARKER!r} + json.dumps({{"runId": run.id, "tasks": found}}), flush=True)
"""


def list_tasks(
    flow_file: str,
    flow: str,
    step: str,
    run: str | None,
    python: str | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_S,
) -> tuple[str, list[TaskInfo], bool]:
    """``step``'s children in ``run`` (None: the latest successful run): the run id,
    one task per innermost split index (the first in foreach order, as a spin
    resolves ``index``), and whether more than ``MAX_TASKS`` were cut."""
    try:
        completed = subprocess.run(
            [python or sys.executable, "-c", _SCRIPT, flow, step, run or "", str(VALUE_CHARS)],
            cwd=os.path.dirname(flow_file),
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,  # never the server's stdin: it is the LSP channel
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise SpinError(
            f"Listing the tasks of {flow}.{step} took more than {timeout:.0f} s."
        ) from None
    lines = [line for line in completed.stdout.splitlines() if line.startswith(_MARKER)]
    if completed.returncode != 0 or not lines:
        detail = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise SpinError(f"Could not list the tasks of {flow}.{step}: {detail}")
    found = json.loads(lines[-1][len(_MARKER) :])
    if "error" in found:
        which = f"run {run}" if run else "a successful run"
        raise SpinError(f"Flow {flow} has no {which} to list the tasks of {step} from.")
    rows = sorted(found["tasks"], key=lambda t: (t["order"], _numeric(str(t["taskId"]))))
    seen: set[int | None] = set()
    tasks: list[TaskInfo] = []
    for row in rows:
        if row["index"] in seen:
            continue  # a nested foreach: the first outer split, as --index picks it
        seen.add(row["index"])
        tasks.append(
            TaskInfo(
                task_id=str(row["taskId"]),
                index=row["index"],
                var=row["var"],
                value=row["value"],
            )
        )
    tasks.sort(key=lambda t: (t.index is None, t.index or 0))
    return str(found["runId"]), tasks[:MAX_TASKS], len(tasks) > MAX_TASKS


def _numeric(task_id: str) -> int:
    return int(task_id) if task_id.isdigit() else -1


class ForeachChoices:
    """The foreach child (split index) each step's spins use, per flow file, flow and
    step; the server's, so a restarted server has none (spins take index 0)."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str | None, str], int] = {}

    def choose(self, flow_file: str, flow: str | None, step: str, index: int | None) -> None:
        key = (flow_file, flow, step)
        if index is None:
            self._by_key.pop(key, None)
        else:
            self._by_key[key] = index

    def chosen(self, flow_file: str, flow: str | None, step: str) -> int | None:
        """The choice for the step (a request naming no flow matches any flow's)."""
        if flow is not None or (flow_file, None, step) in self._by_key:
            return self._by_key.get((flow_file, flow, step))
        found = (
            i for (path, _, name), i in self._by_key.items() if (path, name) == (flow_file, step)
        )
        return next(found, None)

    def for_spin(
        self, flow_file: str, flow: str | None, step: str, index: int | None, task: str | None
    ) -> int | None:
        """The index a spin uses: the request's, else (unless it names a task) the choice."""
        if index is not None or task is not None:
            return index
        return self.chosen(flow_file, flow, step)

    def forget(self, flow_file: str) -> None:
        for key in [key for key in self._by_key if key[0] == flow_file]:
            del self._by_key[key]


class ForeachSteps:
    """Which steps of each document run inside a foreach (for their child lens).

    Re-analysed only when the text's ``foreach`` lines or its steps change: the
    lenses are asked for on every edit, and no foreach can start without that word.
    """

    def __init__(self) -> None:
        self._by_uri: dict[str, tuple[object, frozenset[tuple[str, str]]]] = {}

    def of(
        self, uri: str, text: str, path: str, steps: tuple[tuple[str, str], ...]
    ) -> frozenset[tuple[str, str]]:
        """(flow, step) pairs inside a foreach, for ``steps`` (flow, step) of ``text``."""
        lines = tuple(line.strip() for line in text.split("\n") if "foreach" in line)
        if not lines:
            return frozenset()
        key = (lines, steps)
        cached = self._by_uri.get(uri)
        if cached is not None and cached[0] == key:
            return cached[1]
        inside: set[tuple[str, str]] = set()
        analysis = analyze_source(text, path)
        for flow in analysis.flows if analysis.error is None else ():
            for name in flow.step_names:
                if _in_foreach(flow, name):
                    inside.add((flow.name, name))
        found = frozenset(inside)
        self._by_uri[uri] = (key, found)
        return found

    def forget(self, uri: str) -> None:
        self._by_uri.pop(uri, None)


def _in_foreach(flow: FlowInfo, step: str) -> bool:
    """A foreach's child, or a step after one before its join: walking down from
    ``start``, each split (foreach or static) opens a level and each join closes one."""
    splits: dict[str, tuple[str, ...]] = {}
    todo = [s.name for s in flow.steps if not flow.parents(s.name)]
    for name in todo:
        splits.setdefault(name, ())
    while todo:
        name = todo.pop()
        info = flow.step(name)
        if info is None:
            continue
        for transition in info.transitions:
            opened = splits[name]
            if transition.foreach is not None:
                opened += ("foreach",)
            elif len(transition.targets) > 1:
                opened += ("branch",)
            for target in transition.targets:
                target_info = flow.step(target)
                here = opened[:-1] if target_info is not None and target_info.is_join else opened
                if target not in splits:  # the first path in wins; loops end here
                    splits[target] = here
                    todo.append(target)
    return "foreach" in splits.get(step, ())
