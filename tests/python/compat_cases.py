"""The Metaflow compatibility suite's fixture flows (tests/python/compat/<name>/), how
each is run, what spinning each of its tasks must give, and helpers to compare."""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import enum
import os
import re
import shutil
import subprocess
import sys
import types
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from flowruns import FlowRun

COMPAT = Path(__file__).parent / "compat"
FLOW_FILE = "flow.py"
USER = "test"  # METAFLOW_USER for the runs and the spins (@project's branch is user.<name>)


@dataclass(frozen=True)
class Edit:
    """A change to one step's code (or to a module beside the flow) and what the
    spin of that step must then produce."""

    step: str
    old: str
    new: str
    expect: dict[str, Any]  # artifact -> value, or a predicate on the value
    file: str = FLOW_FILE  # another file than the flow: edited in a private copy
    index: int | None = None
    iteration: int | None = None
    next_steps: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Case:
    """One fixture flow: its folder under compat/, its run, its expectations."""

    name: str
    run_args: tuple[str, ...] = ()
    top_args: tuple[str, ...] = ()
    # Steps whose spin of unchanged code must fail: step -> text the error contains.
    failing: dict[str, str] = field(default_factory=dict)
    edit: Edit | None = None
    main_classes: bool = False  # artifacts pickled as __main__.<class of the flow file>

    @property
    def folder(self) -> Path:
        return COMPAT / self.name


CASES: dict[str, Case] = {
    case.name: case
    for case in [
        # The counterpart of Metaflow's ComplexDAGFlow first: its run is the longest.
        Case(
            "mf_complex_dag",
            edit=Edit("end", "[13]", "[14]", {"my_output": [1, 4, 6, 9, 10, 9, 11, 14]}),
        ),
        Case(
            "parameters",
            run_args=(
                "--alpha",
                "0.5",
                "--epochs",
                "2",
                "--label",
                "tuned",
                "--verbose",
                "True",
                "--spec",
                '{"layers": [16, 8, 2], "act": "gelu"}',
            ),  # fmt: skip
            edit=Edit(
                "train",
                'sum(self.spec["layers"])',
                'max(self.spec["layers"])',
                {"width": 16, "summary": "tuned:gelu:16:3"},
            ),
        ),
        Case(
            "config",
            top_args=("--config-value", "model", '{"depth": 5, "name": "deep"}'),
            edit=Edit(
                "end",
                'f"{self.model_name}:{self.depth}:{self.mode}"',
                'f"{self.model_name}|{self.settings.retries}|{self.model.depth}"',
                {
                    "summary": "deep|1|5",
                    "settings_seen": {"mode": "fast", "scale": 2, "retries": 1},
                },
            ),
        ),
        Case(
            "base_flow",
            run_args=("--threshold", "0.3", "--scale", "100"),
            edit=Edit(
                "start",
                "[0.1, 0.4, 0.6, 0.9]",
                "[0.2, 0.35, 0.8]",
                {"values": [0.2, 0.35, 0.8], "owner": "ana"},
                file="base.py",
            ),
        ),
        Case(
            "user_decorators",
            edit=Edit(
                "work",
                "self.scale(self.input)",
                "self.scale(self.input) + 1",
                {"value": 11, "factor_used": 10, "stamped": ["start@start", "work@work"]},
                index=0,
            ),
        ),
        Case(
            "mutators",
            edit=Edit(
                "middle",
                "self.seed * 2",
                "self.seed * 3",
                {"doubled": 126, "env_middle": "yes", "notes": ["plain:start", "custom:middle"]},
            ),
        ),
        Case(
            "conditionals",
            run_args=("--size", "8"),
            edit=Edit(
                "after",
                'self.parity = "even" if self.size % 2 == 0 else "odd"',
                'self.parity = "odd"',
                {"parity": "odd"},
                next_steps=("end",),
            ),
        ),
        Case(
            "recursion",
            edit=Edit(
                "loop",
                "self.x += 1",
                "self.x += 10",
                {"x": 10, "history": [100], "again": False},
                iteration=0,
                next_steps=("end",),
            ),
        ),
        Case(
            "nested_foreach",
            edit=Edit("shop", "* (self.index + 1)", "* 100", {"sales": 400}, index=0),
        ),
        Case(
            "branch_join",
            edit=Edit(
                "join",
                "sorted(inp.side for inp in inputs)",
                "sorted((inp.side for inp in inputs), reverse=True)",
                {"sides": ["right", "middle", "left"], "left_score": 11, "right_score": 13},
            ),
        ),
        Case(
            "mf_merge_artifacts",
            edit=Edit("join", "self.x = inputs.a.x", "self.x = inputs.b.x", {"x": 2, "only_a": 6}),
        ),
        Case(
            "aliasing",
            edit=Edit(
                "child",
                "self.a.append(self.input)",
                "self.a.append(self.input * 10)",
                {"a": [0, 10], "b": [0], "acc": [1]},
                index=0,
            ),
        ),
        Case(
            "artifact_types",
            main_classes=True,
            edit=Edit(
                "weigh",
                "self.input.weight * 2",
                "self.input.weight * 3",
                {
                    "sample": lambda s: (
                        (type(s).__name__, s.weight, s.tags) == ("Sample", 4.5, ["x", "w"])
                    )
                },
                index=0,
            ),
        ),
        Case("cards", edit=Edit("report", "max(self.scores", "min(self.scores", {"best": "beta"})),
        Case(
            "project",
            edit=Edit(
                "end",
                'f"{self.project_name}/{self.branch_name}"',
                'f"{self.project_flow_name}!"',
                {"label": "compat_shop.user.test.ProjectFlow!"},
            ),
        ),
        Case(
            "environment",
            edit=Edit(
                "start",
                'int(os.environ.get("COMPAT_LEVEL", "0"))',
                'int(os.environ.get("COMPAT_LEVEL", "0")) * 2',
                {"level": 6, "greeting": "hello"},
            ),
        ),
        Case(
            "retry",
            edit=Edit(
                "flaky",
                "self.attempt = current.retry_count",
                "self.attempt = current.retry_count + 100",
                {"attempt": 101},
            ),
        ),
        Case(
            "catch",
            failing={"risky": "@catch"},
            edit=Edit(
                "risky",
                "1 / self.divisor",
                "1 / (self.divisor + 4)",
                {"ratio": 0.25, "partial": "set before the failure"},
            ),
        ),
        Case(
            "exit_hook",
            edit=Edit(
                "end", "sorted(self.numbers)", "sorted(self.numbers)[::-1]", {"ordered": [3, 2, 1]}
            ),
        ),
        Case(
            "helper_package",
            edit=Edit(
                "score",
                "return round(",
                "return max(values)  # was: round(",
                {"mean": 4.0},
                file="scoring/metrics.py",
            ),
        ),
        Case(
            "mf_timeout_config",
            edit=Edit(
                "start",
                "time.sleep(3)\n        self.slept = True",
                "self.slept = False",
                {"slept": False},
            ),
        ),
        Case(
            "mf_project_parameter",
            run_args=("--alpha", "0.05"),
            edit=Edit("start", "self.b = 20", "self.b = 21", {"a": 10, "b": 21, "alpha": 0.05}),
        ),
        Case(
            "mf_card",
            edit=Edit(
                "a",
                "list(string.ascii_lowercase)",
                "list(string.ascii_lowercase)[::-1]",
                {"dataframe": lambda df: list(df["lowercase"][:2]) == ["z", "y"]},
            ),
        ),
        Case(
            "mf_decospec",
            edit=Edit(
                "start",
                "time.sleep(3)\n        self.done = True",
                'self.done = "edited"',
                {"done": "edited"},
            ),
        ),
    ]
}


# -- runs -------------------------------------------------------------------------


@dataclass(frozen=True)
class CompatRun(FlowRun):
    """A copy of a fixture flow's folder, and the run Metaflow made of it there."""

    case: Case
    output: str

    def private_copy(self, folder: Path) -> CompatRun:
        """The whole folder, datastore included, for a test that edits files."""
        shutil.copytree(self.folder, folder, ignore=shutil.ignore_patterns(".spinlens"))
        return dataclasses.replace(self, folder=folder, file=folder / FLOW_FILE)


def run_case(case: Case, folder: Path) -> CompatRun:
    """Copy the case's folder and run its flow there with `python flow.py run`."""
    shutil.copytree(case.folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "METAFLOW_USER": USER}
    env.pop("METAFLOW_DEFAULT_DECOSPECS", None)
    completed = subprocess.run(
        [sys.executable, FLOW_FILE, *case.top_args, "run", *case.run_args],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"{case.name}: the Metaflow run failed\n{output}"
    flow = re.search(r"executing (\w+) for user", output)
    assert flow, output
    runs = (folder / ".metaflow" / flow[1]).iterdir()
    run_id = max((p.name for p in runs if p.name.isdigit()), key=int)
    return CompatRun(folder, folder / FLOW_FILE, flow[1], run_id, case, output)


class Runs:
    """Each case's one Metaflow run, made on first use; asking for one case also
    starts the runs of the next cases (in CASES order) in the background, so that
    they overlap with the spins of this one."""

    def __init__(self, root: Path, workers: int = 2, ahead: int = 2) -> None:
        self._root = root
        self._ahead = ahead
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="compat-run")
        self._futures: dict[str, Future[CompatRun]] = {}

    def get(self, name: str) -> CompatRun:
        names = list(CASES)
        start = names.index(name)
        for upcoming in names[start : start + 1 + self._ahead]:
            if upcoming not in self._futures:
                case = CASES[upcoming]
                self._futures[upcoming] = self._pool.submit(run_case, case, self._root / upcoming)
        return self._futures[name].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


# -- values -------------------------------------------------------------------------


def public(names: Any) -> set[str]:
    """The artifacts a user sees: names not starting with "_", and "name"."""
    return {n for n in names if not n.startswith("_")}


@contextlib.contextmanager
def flow_as_main(flow_file: Path) -> Iterator[types.ModuleType]:
    """Make the flow file's classes importable as __main__.<name> in this process,
    as they were in `python flow.py run`, so that artifacts holding instances of
    them unpickle here. The file runs as a module not named __main__ (its
    `if __name__ == "__main__"` block stays off)."""
    name = "compat_flow_main"
    module = types.ModuleType(name)
    module.__file__ = str(flow_file)
    saved_main, saved_path = sys.modules["__main__"], list(sys.path)
    sys.path.insert(0, str(flow_file.parent))
    sys.modules[name] = module  # @dataclass looks its class's module up there
    try:
        exec(compile(flow_file.read_text(), str(flow_file), "exec"), module.__dict__)
        sys.modules["__main__"] = module
        yield module
    finally:
        sys.modules["__main__"] = saved_main
        sys.modules.pop(name, None)
        sys.path[:] = saved_path


def assert_equivalent(actual: Any, expected: Any, where: str = "value") -> None:
    """Deep equality that understands numpy and pandas values, and compares
    Enums by type name and value, and other objects (dataclasses, the flow's own
    classes, exceptions stored by @catch) by type name and attributes."""
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(actual, expected, obj=where)
    elif isinstance(expected, pd.Series):
        pd.testing.assert_series_equal(actual, expected, obj=where)
    elif isinstance(expected, np.ndarray):
        np.testing.assert_array_equal(actual, expected, err_msg=where)
    elif isinstance(expected, enum.Enum):
        assert _type_name(actual) == _type_name(expected), f"{where}: {actual!r} != {expected!r}"
        assert actual.value == expected.value, f"{where}: {actual!r} != {expected!r}"
    elif isinstance(expected, dict):
        assert isinstance(actual, dict), f"{where}: {actual!r} is not a dict"
        assert sorted(map(repr, actual)) == sorted(map(repr, expected)), (
            f"{where}: keys {list(actual)} != {list(expected)}"
        )
        by_repr = {repr(k): v for k, v in actual.items()}
        for key, value in expected.items():
            assert_equivalent(by_repr[repr(key)], value, f"{where}[{key!r}]")
    elif isinstance(expected, (set, frozenset)):
        assert type(actual) is type(expected), f"{where}: {actual!r} != {expected!r}"
        assert sorted(map(repr, actual)) == sorted(map(repr, expected)), where
    elif isinstance(expected, (list, tuple)) and not hasattr(expected, "_fields"):
        assert type(actual) is type(expected), f"{where}: {type(actual)} != {type(expected)}"
        assert len(actual) == len(expected), f"{where}: {actual!r} != {expected!r}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_equivalent(a, e, f"{where}[{i}]")
    elif _has_state(expected):
        assert _type_name(actual) == _type_name(expected), (
            f"{where}: {_type_name(actual)} != {_type_name(expected)}"
        )
        assert_equivalent(vars(actual), vars(expected), f"{where}.__dict__")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def card_text(html: str) -> str:
    """A Metaflow card's HTML with its data decoded: the card's components (and
    the default card's artifacts) are base64 JSON in window.__MF_DATA__[id]."""
    decoded = []
    for payload in re.findall(r'__MF_DATA__\[[^\]]*\]\s*=\s*"([A-Za-z0-9+/=]+)"', html):
        with contextlib.suppress(binascii.Error, UnicodeDecodeError):
            decoded.append(base64.b64decode(payload).decode())
    return "\n".join([html, *decoded])


def _type_name(value: Any) -> str:
    return type(value).__qualname__


def _has_state(value: Any) -> bool:
    return hasattr(value, "__dict__") and type(value).__module__ != "builtins"
