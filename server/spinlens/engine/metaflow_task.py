"""Run one step through Metaflow's own command line and task runner, in a spin child.

The child calls Metaflow's ``spin-step`` command in-process, as ``python flow.py
spin-step ...`` does in a ``metaflow spin``: Metaflow's CLI builds the flow class
(configs, flow and step mutators, ``--with`` decospecs, flow and step decorators,
in spin mode) and ``MetaflowTask.run_step`` binds the inputs, runs the decorators
Metaflow's spin allows (``SPIN_ALLOWED_DECORATORS``) and the step. Spinlens
changes two things only: the inputs come from the kernel's warm tables instead of
a read of the datastore, and the step function runs inside Spinlens's hooks (the
debugger, the memory limit, its timing). The outputs are read off the flow
object when the step returns; Metaflow persists them (into the kernel's own spin
datastore) only for a @card step, whose card process reads them from there.
Metaflow's own code changes only in this throwaway child: which decorators count
as environments, what its spin metadata records, how often it reads a step's
source.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from types import FunctionType, MethodType
from typing import Any

from metaflow.parameters import Parameter
from metaflow.task import MetaflowTask
from metaflow.util import compress_list

from ..errors import SpinError
from ..wire.events import Card
from .inputs import ArtifactTable


@dataclass
class StepHooks:
    """What Spinlens puts around Metaflow's task; filled in as the task runs."""

    parents: list[ArtifactTable]
    # Metaflow's CLI has built the flow and its task runner now wants the inputs
    # (or, with none to bind, runs the step): called in both places, acts once.
    before_inputs: Callable[[], None] = lambda: None
    flow_built: Callable[[Any], None] = lambda flow: None  # the CLI built it; inputs next
    # (step, task id) to enter in the spin metadata, as Metaflow's runtime does before
    # it starts a task: a card's process looks the task up there.
    register: tuple[str, str] | None = None
    # Where the process that renders a @card should start: Metaflow's card CLI
    # looks for the spin datastore (.metaflow_spin) from its working directory.
    cards_from: str | None = None
    before_step: Callable[[], None] = lambda: None
    # Around the step function, given the flow object it runs on.
    around_step: Callable[[Any], AbstractContextManager[Any]] = nullcontext
    # Seconds the step has spent stopped in a debugger so far: not step time.
    paused_s: Callable[[], float] = lambda: 0.0
    task: SpinTask | None = None  # the MetaflowTask that ran, with its flow object
    step_started: float | None = None
    step_s: float = 0.0
    step_error: BaseException | None = None  # what the step function raised
    # The step's attributes once it returned or raised, before Metaflow's persist
    # (which deletes them from the flow object when it stores them, for cards).
    attributes: dict[str, Any] = field(default_factory=dict)


class SpinTask(MetaflowTask):
    """Metaflow's task runner with the kernel's inputs and Spinlens's step hooks."""

    hooks: StepHooks

    def _init_data(self, run_id: str, join_type: str | None, input_paths: list[str]) -> Any:
        self.hooks.before_inputs()
        if self.hooks.register is not None:
            step, task_id = self.hooks.register
            # The local provider enters integer task ids only through the runtime's
            # new_task_id; the runtime is not there, so enter it the way it would.
            self.metadata._new_task(run_id, step, task_id)
        self.hooks.flow_built(self.flow)
        self._join_output_reads_warm_inputs()
        return self.hooks.parents

    def _join_output_reads_warm_inputs(self) -> None:
        """A join's flow reads (after ``merge_artifacts``) from its output
        datastore, by the inputs' content keys; Metaflow's is the spin datastore,
        which holds none of those blobs. Give the join a table over the kernel's
        warm values instead (Metaflow's persist reads its names and keys)."""
        flow, parents = self.flow, self.hooks.parents
        bind = flow._set_datastore

        def set_datastore(datastore: Any) -> None:
            if not isinstance(datastore, ArtifactTable):
                datastore = ArtifactTable(f"{parents[0].pathspec}/join-output", parents[0].store)
            bind(datastore)

        flow._set_datastore = set_datastore

    def _exec_step_function(self, step_function: Any, orig_step_func: Any, input_obj: Any = None):
        hooks = self.hooks
        hooks.before_inputs()  # again, for a task with no inputs to bind: the hook acts once
        hooks.before_step()
        hooks.step_started = time.perf_counter()
        paused_before = hooks.paused_s()
        try:
            with hooks.around_step(self.flow):
                super()._exec_step_function(step_function, orig_step_func, input_obj)
        except BaseException as exc:  # SystemExit too: Metaflow's CLI would swallow it
            hooks.step_error = exc
            raise
        finally:
            paused = hooks.paused_s() - paused_before
            hooks.step_s = time.perf_counter() - hooks.step_started - paused
            hooks.attributes = persisted_attributes(self.flow)
            if hooks.cards_from is not None:
                os.chdir(hooks.cards_from)


def persisted_attributes(flow: Any) -> dict[str, Any]:
    """The attributes Metaflow's ``TaskDataStore.persist`` would save, by its rules."""
    found: dict[str, Any] = {}
    cls = flow.__class__
    for var in dir(flow):
        if var.startswith("__") or var in flow._EPHEMERAL:
            continue
        if isinstance(getattr(cls, var, None), property):
            continue
        value = getattr(flow, var)
        if not isinstance(value, (MethodType, FunctionType, Parameter)):
            found[var] = value
    return found


# @conda/@pypi pick the interpreter a task runs in; a spin runs in the kernel's.
_ENVIRONMENT_DECORATORS = frozenset(
    {"conda", "pypi", "conda_base", "pypi_base", "conda_env_internal"}
)


@dataclass
class _StepCommandLine:
    """What a decorator's ``runtime_step_cli`` hook may change in the command that
    starts a task process. The spin child is that process already, so only the
    environment variables can still take effect."""

    env: dict[str, str] = field(default_factory=dict)
    top_level_options: dict[str, Any] = field(default_factory=dict)
    command_options: dict[str, Any] = field(default_factory=dict)
    command_args: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    entrypoint: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StepDecorators:
    """The step's Metaflow decorators, sorted the way Metaflow's spin sorts them."""

    applied: tuple[Any, ...]  # in SPIN_ALLOWED_DECORATORS (none with skip_decorators)
    ignored: tuple[str, ...]  # names of the others, which a spin does not run
    environments: tuple[Any, ...]  # @conda/@pypi (step or flow): not built in a spin

    @classmethod
    def of(cls, flow: Any, step: str, skip: bool) -> StepDecorators:
        from metaflow.decorators import flow_decorators
        from metaflow.metaflow_config import SPIN_ALLOWED_DECORATORS, SPIN_DISALLOWED_DECORATORS

        decorators = list(getattr(flow, step).decorators)
        for deco in decorators:
            if deco.name in SPIN_DISALLOWED_DECORATORS:
                raise SpinError(f"A step with @{deco.name} cannot be spun (nor by metaflow spin).")
        applied = [] if skip else [d for d in decorators if d.name in SPIN_ALLOWED_DECORATORS]
        environments = [
            d for d in [*decorators, *flow_decorators(flow)] if d.name in _ENVIRONMENT_DECORATORS
        ]
        return cls(
            applied=tuple(applied),
            ignored=tuple(d.name for d in decorators if d not in applied and d not in environments),
            environments=tuple(environments),
        )

    def prepare_process(self, retry_count: int) -> None:
        """What Metaflow's runtime does for these decorators before it starts the
        task's process: ``@environment`` sets its variables."""
        command_line = _StepCommandLine()
        for deco in self.applied:
            deco.runtime_step_cli(command_line, retry_count, 0, None)
        os.environ.update(command_line.env)

    def packages(self) -> dict[str, str]:
        """The packages @conda/@pypi ask for, name -> version ("" for any)."""
        wanted: dict[str, str] = {}
        for deco in self.environments:
            for name, version in (deco.attributes.get("packages") or {}).items():
                wanted[name] = str(version or "")
        return wanted


def _environments_not_built() -> None:
    """Metaflow's spin builds a @conda/@pypi step's environment (and, in a flow
    that uses one anywhere, refuses ``--environment=local``); a spin here runs in
    the kernel's interpreter, so this child's Metaflow treats those decorators as
    it treats the others a spin skips. The child is throwaway."""
    from metaflow.metaflow_config import SPIN_ALLOWED_DECORATORS

    SPIN_ALLOWED_DECORATORS[:] = [
        name for name in SPIN_ALLOWED_DECORATORS if name not in _ENVIRONMENT_DECORATORS
    ]


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
    # Store the outputs in the spin datastore, as ``metaflow spin --persist``: a
    # @card step's card process reads the task's artifacts from there.
    persist: bool = False

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
            "--persist" if self.persist else "--no-persist",
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


def _without_skip_warnings(logger: Callable[..., Any]) -> Callable[..., Any]:
    """Metaflow warns of every decorator a spin skips, on every step of the flow,
    on every spin; Spinlens says it once per kernel, for the step spun."""

    def log(message: Any = "", *args: Any, **kwargs: Any) -> Any:
        if str(message).startswith("[Warning] Ignoring "):
            return None
        return logger(message, *args, **kwargs)

    return log


def _adds_cli_options(flow_cls: type) -> bool:
    """Whether the flow adds options to Metaflow's top-level command: the kernel
    imported that command for a flow without any (reloading it costs ~8 ms)."""
    from metaflow.decorators import flow_decorators

    configs = any(p.IS_CONFIG_PARAMETER for _, p in flow_cls._get_parameters())  # type: ignore[attr-defined]
    return configs or any(deco.options for deco in flow_decorators(flow_cls))


def _unrecorded_spin_metadata() -> None:
    """Metaflow records a spin task's metadata (a dozen JSON files, ~10 ms a spin)
    in the spin datastore; Spinlens deletes it unread after the spin unless a
    @card process needs it. For the other spins this child's spin metadata
    provider records nothing. The child is throwaway, so the swap touches no one."""
    from metaflow.plugins import METADATA_PROVIDERS
    from metaflow.plugins.metadata_providers.spin import SpinMetadataProvider

    class UnrecordedSpinMetadata(SpinMetadataProvider):  # type: ignore[misc]
        def register_run_id(self, *args: Any, **kwargs: Any) -> bool:
            return False

        def register_task_id(self, *args: Any, **kwargs: Any) -> bool:
            return False

        def register_metadata(self, *args: Any, **kwargs: Any) -> None:
            return None

        def register_data_artifacts(self, *args: Any, **kwargs: Any) -> None:
            return None

    for position, provider in enumerate(METADATA_PROVIDERS):
        if provider.TYPE == SpinMetadataProvider.TYPE:
            METADATA_PROVIDERS[position] = UnrecordedSpinMetadata


def run_task(flow_cls: type, flow_file: str, command: TaskCommand, hooks: StepHooks) -> int:
    """Run the step as Metaflow's CLI runs a task; the exit status of the command.

    Exceptions from the flow's construction or the step propagate (Metaflow's
    own handler would print them and exit); the step's own is also in
    ``hooks.step_error``.
    """
    from metaflow import parameters

    _environments_not_built()
    if not command.persist:
        _unrecorded_spin_metadata()
    flow = flow_cls(use_cli=False)  # type: ignore[call-arg]
    with parameters.flow_context(flow_cls):
        cli = importlib.import_module("metaflow.cli")
        if _adds_cli_options(flow_cls):
            # Metaflow's CLI takes the flow's Config and flow-decorator options
            # (--config-value, @project's --branch) from the flow class in context
            # when its module runs, as on the first import under ``python flow.py``.
            cli = importlib.reload(cli)
        cli.logger = _without_skip_warnings(cli.logger)  # type: ignore[attr-defined]
        with _tasks_built_with(hooks):
            code = cli.main(
                flow,
                args=command.argv(),
                handle_exceptions=False,
                entrypoint=[sys.executable, flow_file],
            )
    return int(code or 0)


def read_cards(
    spin_root: str, flow: str, run_id: str, step: str, task_id: str, into: Path
) -> list[Card]:
    """The cards Metaflow rendered for the spin's task (in the spin datastore under
    ``spin_root``), each saved as an HTML file in ``into``."""
    from metaflow import Task, inspect_spin
    from metaflow.cards import get_cards

    # The child is a throwaway process: pointing its Client at the spin datastore
    # touches no one else's.
    inspect_spin(spin_root)
    task = Task(f"{flow}/{run_id}/{step}/{task_id}", _namespace_check=False)
    into.mkdir(parents=True, exist_ok=True)
    found: list[Card] = []
    for number, card in enumerate(get_cards(task, follow_resumed=False)):
        path = into / f"card-{number}-{card.type}.html"
        path.write_text(card.get(), encoding="utf-8")
        found.append(Card(type=card.type, id=card.id, path=str(path)))
    return found
