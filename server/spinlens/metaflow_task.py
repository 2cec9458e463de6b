"""Run one step through Metaflow's own command line and task runner, in a spin child.

The child calls Metaflow's ``spin-step`` command in-process, as ``python flow.py
spin-step ...`` does in a ``metaflow spin``: Metaflow's CLI builds the flow class
(configs, flow and step mutators, ``--with`` decospecs, flow and step decorators,
in spin mode) and ``MetaflowTask.run_step`` binds the inputs, runs the decorators
Metaflow's spin allows (``SPIN_ALLOWED_DECORATORS``) and the step. Spinlens
changes two things only: the inputs come from the kernel's warm tables instead of
a read of the datastore, and the step function runs inside Spinlens's hooks (the
debugger, the memory limit, its timing). Nothing is persisted (``--no-persist``):
the outputs are read off the flow object afterwards.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from metaflow.task import MetaflowTask
from metaflow.util import compress_list

from .inputs import ArtifactTable


@dataclass
class StepHooks:
    """What Spinlens puts around Metaflow's task; filled in as the task runs."""

    parents: list[ArtifactTable]
    before_step: Callable[[], None] = lambda: None
    around_step: Callable[[], AbstractContextManager[Any]] = nullcontext
    task: SpinTask | None = None  # the MetaflowTask that ran, with its flow object
    step_started: float | None = None
    step_s: float = 0.0
    step_error: BaseException | None = None  # what the step function raised


class SpinTask(MetaflowTask):
    """Metaflow's task runner with the kernel's inputs and Spinlens's step hooks."""

    hooks: StepHooks

    def _init_data(self, run_id: str, join_type: str | None, input_paths: list[str]) -> Any:
        return self.hooks.parents

    def _exec_step_function(self, step_function: Any, orig_step_func: Any, input_obj: Any = None):
        hooks = self.hooks
        hooks.before_step()
        hooks.step_started = time.perf_counter()
        try:
            with hooks.around_step():
                super()._exec_step_function(step_function, orig_step_func, input_obj)
        except BaseException as exc:  # SystemExit too: Metaflow's CLI would swallow it
            hooks.step_error = exc
            raise
        finally:
            hooks.step_s = time.perf_counter() - hooks.step_started


@dataclass(frozen=True)
class TaskCommand:
    """The ``spin-step`` command line for one spin, from what the kernel resolved."""

    step: str
    run_id: str
    task_id: str
    input_paths: Sequence[str]  # parents' "run/step/task"
    split_index: int | None
    retry_count: int
    datastore_type: str
    datastore_root: str
    skip_decorators: bool = False
    decospecs: Sequence[str] = ()
    # Config values by config name: (value, plain), as Metaflow's runtime passes
    # processed configs to a task; config files by name are parsed again.
    config_values: Mapping[str, tuple[Any, bool]] = field(default_factory=dict)
    config_files: Mapping[str, str] = field(default_factory=dict)
    scratch: Path | None = None  # where the config file goes

    def argv(self) -> list[str]:
        top = [
            "--quiet",
            "--metadata=local",
            "--environment=local",
            f"--datastore={self.datastore_type}",
            f"--datastore-root={self.datastore_root}",
            "--event-logger=nullSidecarLogger",
            "--monitor=nullSidecarMonitor",
        ]
        for spec in self.decospecs:
            top += ["--with", spec]
        if self.config_values:
            assert self.scratch is not None
            config_file = self.scratch / "configs.json"
            config_file.write_text(
                json.dumps({"user_configs": dict(self.config_values)}), encoding="utf-8"
            )
            top += ["--local-config-file", str(config_file)]
            for name in self.config_values:
                top += ["--config-value", name, f"kv.{name}"]
        for name, path in self.config_files.items():
            top += ["--config", name, path]
        command = [
            "spin-step",
            self.step,
            "--run-id",
            self.run_id,
            "--task-id",
            self.task_id,
            "--input-paths",
            compress_list(list(self.input_paths)),
            "--retry-count",
            str(self.retry_count),
            "--orig-flow-datastore",
            f"{self.datastore_type}@{self.datastore_root}",
            "--no-persist",
        ]
        if self.split_index is not None:
            command += ["--split-index", str(self.split_index)]
        if self.skip_decorators:
            command.append("--skip-decorators")
        return top + command


@contextmanager
def _tasks_built_with(hooks: StepHooks) -> Iterator[None]:
    """Metaflow's ``spin-step`` builds a MetaflowTask: make it ours, with the hooks."""
    from metaflow.cli_components import step_cmd

    def build(*args: Any, **kwargs: Any) -> SpinTask:
        task = SpinTask(*args, **kwargs)
        task.hooks = hooks
        hooks.task = task
        return task

    saved = step_cmd.MetaflowTask
    step_cmd.MetaflowTask = build  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        step_cmd.MetaflowTask = saved  # type: ignore[misc]


def _adds_cli_options(flow_cls: type) -> bool:
    """Whether the flow adds options to Metaflow's top-level command: the kernel
    imported that command for a flow without any (reloading it costs ~8 ms)."""
    from metaflow.decorators import flow_decorators

    configs = any(p.IS_CONFIG_PARAMETER for _, p in flow_cls._get_parameters())  # type: ignore[attr-defined]
    return configs or any(deco.options for deco in flow_decorators(flow_cls))


def run_task(flow_cls: type, flow_file: str, command: TaskCommand, hooks: StepHooks) -> int:
    """Run the step as Metaflow's CLI runs a task; the exit status of the command.

    Exceptions from the flow's construction or the step propagate (Metaflow's
    own handler would print them and exit); the step's own is also in
    ``hooks.step_error``.
    """
    from metaflow import parameters

    flow = flow_cls(use_cli=False)  # type: ignore[call-arg]
    with parameters.flow_context(flow_cls):
        cli = importlib.import_module("metaflow.cli")
        if _adds_cli_options(flow_cls):
            # Metaflow's CLI takes the flow's Config and flow-decorator options
            # (--config-value, @project's --branch) from the flow class in context
            # when its module runs, as on the first import under ``python flow.py``.
            cli = importlib.reload(cli)
        with _tasks_built_with(hooks):
            code = cli.main(
                flow,
                args=command.argv(),
                handle_exceptions=False,
                entrypoint=[sys.executable, flow_file],
            )
    return int(code or 0)
