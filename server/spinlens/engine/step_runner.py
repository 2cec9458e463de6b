"""Run one step, once, inside a spin child forked from the kernel.

Everything here runs in the child, but is imported by the kernel, so Metaflow's
task machinery is already in memory when a child is forked. The child executes
the flow file's current text,
binds the inputs the kernel holds, runs the step the way Metaflow's task runner
does (reusing its foreach, iteration and parameter set-up), and works out the
outputs by Metaflow's persistence rules without writing anything anywhere.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import inspect
import os
import pdb
import secrets
import sys
import sysconfig
import threading
import time
import traceback
import types
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any, TextIO, TypeVar

import metaflow
from metaflow.metaflow_current import current
from metaflow.user_configs.config_parameters import ConfigValue

from ..errors import SpinError
from ..wire import events
from ..wire.frames import SpinSpec
from .debugger import Debugger, inputs_listed
from .flow_loader import compile_flow, flow_class, flow_text, run_flow_code
from .history import ArtifactRecord, History, SpinRecord, SpinWriter
from .inputs import ArtifactTable, InputStore
from .limits import memory_errors, memory_failure, memory_limit
from .metaflow_task import (
    StepDecorators,
    StepHooks,
    TaskCommand,
    persisted_attributes,
    read_cards,
    run_task,
)
from .outputs import OutputReporter
from .resolve import Resolved
from .step_sources import getsourcelines

Emit = Callable[[events.Event], None]
_T = TypeVar("_T")

_SPINLENS_DIR = os.path.dirname(os.path.abspath(__file__))


class StepFailed(Exception):
    def __init__(self, failure: events.Failed) -> None:
        super().__init__(failure.error)
        self.failure = failure


def _is_library_frame(filename: str) -> bool:
    path = os.path.abspath(filename)
    return path.startswith(_SPINLENS_DIR) or "site-packages" in path


# Frames in these are not the user's: Metaflow (wherever it is installed) and
# the standard library, beside site-packages and Spinlens's own.
_NOT_USER_DIRS = tuple(
    os.path.abspath(folder) + os.sep
    for folder in (
        os.path.dirname(os.path.abspath(metaflow.__file__)),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["platstdlib"],
    )
)
MAX_FRAMES = 20  # a deep recursion's traceback: its innermost frames


def _user_frames(tb: Any) -> tuple[events.Frame, ...]:
    """The user's own frames (not Metaflow's, Spinlens's, the standard library's
    or an installed package's), from the step down to the raise."""
    frames = []
    for frame in traceback.extract_tb(tb):
        path = os.path.abspath(frame.filename)
        if frame.filename.startswith("<") or _is_library_frame(path):
            continue
        if path.startswith(_NOT_USER_DIRS) or frame.lineno is None:
            continue
        frames.append(events.Frame(file=path, line=frame.lineno, function=frame.name))
    return tuple(frames[-MAX_FRAMES:])


def _user_frame(tb: Any, flow_file: str) -> tuple[str | None, int | None]:
    """The innermost frame in the user's own code (the flow's folder): where the
    error points."""
    best: tuple[str | None, int | None] = (None, None)
    root = os.path.dirname(os.path.abspath(flow_file)) + os.sep
    for frame in traceback.extract_tb(tb):
        if not _is_library_frame(frame.filename) and (
            os.path.abspath(frame.filename) + os.sep
        ).startswith(root):
            best = (frame.filename, frame.lineno)
    return best


def _format_user_traceback(exc: BaseException) -> str:
    """The traceback from the first non-library frame on, without our own frames."""
    frames = traceback.extract_tb(exc.__traceback__)
    first = next((i for i, f in enumerate(frames) if not _is_library_frame(f.filename)), 0)
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.format_list(frames[first:])
    lines += traceback.format_exception_only(type(exc), exc)
    return "".join(lines)


def _failure(
    spec: SpinSpec, kind: events.FailureKind, exc: BaseException, timings: dict[str, float]
) -> events.Failed:
    file, line = _user_frame(exc.__traceback__, spec.flow_file)
    if isinstance(exc, SyntaxError) and exc.filename == spec.flow_file:
        file, line = exc.filename, exc.lineno
    message = f"{type(exc).__name__}: {exc}"
    return events.Failed(
        spin_id=spec.spin_id,
        kind=kind,
        error=message,
        traceback=_format_user_traceback(exc),
        file=file,
        line=line,
        frames=_user_frames(exc.__traceback__),
        timings=timings,
    )


def _parse_override(name: str, literal: str) -> Any:
    try:
        return ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        raise SpinError(
            f"--set {name}={literal}: the value is not a Python literal "
            f"(quote strings: {name}='\"text\"')."
        ) from None


def _load_artifacts_module(path: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__file__": path, "__name__": "__spinlens_artifacts__"}
    with open(path, encoding="utf-8") as handle:
        exec(compile(handle.read(), path, "exec"), namespace)
    artifacts = namespace.get("ARTIFACTS")
    if not isinstance(artifacts, dict):
        raise SpinError(f"{path} must define ARTIFACTS = {{name: value, ...}}.")
    return artifacts


def _apply_overrides(spec: SpinSpec, parents: list[ArtifactTable]) -> None:
    """--set values and an ARTIFACTS module replace input artifacts.

    As in Metaflow, a join's module may key values by a parent's pathspec; plain
    names apply to every parent.
    """
    plain: dict[str, Any] = {}
    per_parent: dict[str, dict[str, Any]] = {}
    if spec.artifacts_module:
        for key, value in _load_artifacts_module(spec.artifacts_module).items():
            if "/" in key and isinstance(value, dict):
                per_parent[key] = value
            else:
                plain[key] = value
    for name, literal in spec.overrides.items():
        plain[name] = _parse_override(name, literal)
    for table in parents:
        targeted = next(
            (values for key, values in per_parent.items() if table.pathspec.endswith(key)), {}
        )
        for name, value in {**plain, **targeted}.items():
            table.override(name, value)


def _config_values(
    cls: type, parameters: ArtifactTable, spec: SpinSpec
) -> dict[str, tuple[Any, bool]]:
    """Every Config's value as the source run had it (Metaflow stores them with the
    parameters), unless the spin asks for another value or file."""
    values: dict[str, tuple[Any, bool]] = {}
    for var, param in cls._get_parameters():  # type: ignore[attr-defined]
        if not getattr(param, "IS_CONFIG_PARAMETER", False) or param.name in spec.config_files:
            continue
        plain = bool(param.kwargs.get("plain", False))
        if param.name in spec.config_values:
            values[param.name] = (spec.config_values[param.name], plain)
        elif var in parameters:
            value = parameters[var]
            if isinstance(value, ConfigValue):
                value = value.to_dict()
            values[param.name] = (value, plain)
    return values


def _parameters_of(flow: Any) -> frozenset[str]:
    """The artifact names of the flow's Parameters and Configs, as Metaflow lists
    them (after its mutators ran: the flow object is built)."""
    return frozenset(var for var, _ in type(flow)._get_parameters())


def _source_hash(step_function: Any) -> str | None:
    """Which version of the step ran: a hash of its source text (as
    ``inspect.getsource`` reads it; Metaflow's graph has read it already)."""
    try:
        return _block_hash(getsourcelines(step_function)[0])
    except (OSError, TypeError):
        return None


def _block_hash(lines: list[str]) -> str:
    return hashlib.sha1("".join(lines).encode()).hexdigest()[:12]


Terminal = tuple[TextIO, TextIO]  # a terminal's input and output, for pdb


def open_terminal(fds: list[int]) -> Terminal | None:
    """The session's terminal (stdin, stdout fds passed along), for pdb in the step."""
    if len(fds) < 2:
        return None
    return os.fdopen(fds[0], "r"), os.fdopen(fds[1], "w")


class StepRun:
    """State of the one step this child runs."""

    def __init__(
        self,
        spec: SpinSpec,
        resolved: Resolved,
        store: InputStore,
        emit: Emit,
        terminal: Terminal | None = None,
        emit_many: Callable[[list[events.Event]], None] | None = None,
    ) -> None:
        # One frame at a time on the socket: a debug spin also emits from the
        # thread the debugger stops.
        lock = threading.Lock()

        def emit_locked(event: events.Event) -> None:
            with lock:
                emit(event)

        def emit_many_locked(batch: list[events.Event]) -> None:
            assert emit_many is not None
            with lock:
                emit_many(batch)

        self.emit = emit_locked
        self.emit_many = emit_many_locked if emit_many is not None else None
        self.resolved = resolved
        self.store = store
        # Metaflow's run id for the spin's task: chosen here, not from the spin id,
        # so that a speculative spare can build the task before its spin exists.
        self.run_id = f"spin-{secrets.token_hex(6)}"
        # Called when Metaflow's task runner binds the inputs (see ``adopt``).
        self.before_inputs: Callable[[], None] = lambda: None
        self.speculating = False  # a speculative spare's run (``speculation.py``)
        self.adopt(spec, terminal)
        self.timings: dict[str, float] = {}
        self.outputs: dict[str, Callable[[], Any]] = {}  # name -> value getter
        self.flow_text = ""
        self.flow_code: types.CodeType | None = None
        self.module: types.ModuleType | None = None
        self._flow_cls: type | None = None
        self._previous_read: tuple[str | None, tuple[SpinRecord | None, Path | None]] | None = None
        self.step_source_hash: str | None = None
        self.next_steps: tuple[str, ...] = ()
        self.started = time.perf_counter()
        self.decorators: StepDecorators | None = None
        self.writer: SpinWriter | None = None
        self.parents: list[ArtifactTable] = []
        self.records: list[ArtifactRecord] = []

    def adopt(
        self, spec: SpinSpec, terminal: Terminal | None = None, since: float | None = None
    ) -> None:
        """Run this spin: the spin id and what may differ between spins of one
        built flow (the debugger, the memory limit, the history, the terminal).
        A speculative spare adopts its spin once Metaflow has built the flow;
        ``since``: when the spin reached it (the start of what it waits for)."""
        self.spec = spec
        self.terminal = terminal
        self.debugger = Debugger(spec.spin_id, self.emit) if spec.debug_port is not None else None
        self.history = History(spec.history_dir, spec.history_keep) if spec.history_dir else None
        self._load_started = time.perf_counter() if since is None else since

    def swapped_in(self, text: str, code: types.CodeType) -> None:
        """The flow file's functions now run ``text`` (``code_swap``)."""
        self.flow_text, self.flow_code = text, code
        step = getattr(self._flow_cls, self.spec.step, None)
        if isinstance(step, types.FunctionType):
            # The block inspect.getsource reads, without its search for the
            # function's module (a walk over sys.modules).
            first = step.__code__.co_firstlineno
            self.step_source_hash = _block_hash(
                inspect.getblock(text.splitlines(True)[first - 1 :])
            )

    def run(self) -> events.Finished:
        """The step's phases in order; a failure in any is a ``StepFailed``."""
        self._load_started = self.started = time.perf_counter()
        cls = self._setup(self._load)
        command = self._setup(lambda: self._bind(cls))
        flow, hooks = self._run_step(cls, command)
        transition = self._outputs(flow, hooks)
        return self._record(command, transition)

    def _setup(self, phase: Callable[[], _T]) -> _T:
        """A phase before the step runs; its errors are ``setup`` failures."""
        try:
            return phase()
        except SpinError as exc:
            raise StepFailed(
                events.Failed(
                    spin_id=self.spec.spin_id, kind="setup", error=str(exc), code=exc.code
                )
            ) from None
        except Exception as exc:
            self.timings["load_s"] = time.perf_counter() - self._load_started
            raise StepFailed(_failure(self.spec, "setup", exc, self.timings)) from None

    def _load(self) -> type:
        """Load: the flow file's current text, executed as ``__main__``; its flow class."""
        path = self.spec.flow_file
        self.flow_text = flow_text(path, self.spec.source)
        self.flow_code = compile_flow(path, self.flow_text)
        self.module = run_flow_code(path, self.flow_code)
        cls = self._flow_cls = flow_class(self.module, self.spec.flow_class)
        self.step_source_hash = _source_hash(getattr(cls, self.spec.step, None))
        return cls

    def _bind(self, cls: type) -> TaskCommand:
        """Bind: the parents' artifact tables over the kernel's inputs, with the
        overrides applied, and the ``spin-step`` command for this task."""
        parents = [
            ArtifactTable(p.pathspec, self.store, p.objects, p.info, origin=p.datastore)
            for p in self.resolved.parents
        ]
        _apply_overrides(self.spec, parents)
        self.parents = parents
        command = self._command(cls, parents)
        if command.persist and self.speculating:
            # Its task would write into the spin datastore while the spin before
            # it may still be clearing it.
            raise SpinError("a @card step is not built ahead")
        return command

    def _run_step(self, cls: type, command: TaskCommand) -> tuple[Any, StepHooks]:
        """Run: Metaflow's task runner with Spinlens's hooks; the flow object the
        step ran on, and the hooks that watched it."""
        spec, parents = self.spec, self.parents
        hooks = StepHooks(
            parents,
            register=(command.step, command.task_id) if command.persist else None,
            cards_from=spec.scratch_dir if command.persist else None,
            before_inputs=lambda: self.before_inputs(),
            flow_built=self._flow_built,
            before_step=self._before_step,
            around_step=self._around_step,
            paused_s=self.debugger.paused_s if self.debugger else lambda: 0.0,
        )
        folder = os.getcwd()  # a @card step's card process starts from another
        try:
            exit_code = run_task(cls, spec.flow_file, command, hooks)
        except BaseException as exc:  # noqa: B036 - classified below, never re-raised
            raise StepFailed(self._step_failed(hooks, exc, parents)) from None
        finally:
            os.chdir(folder)
        if hooks.step_error is not None:  # a sys.exit in the step: the CLI returned its code
            raise StepFailed(self._step_failed(hooks, hooks.step_error, parents))
        if exit_code or hooks.task is None:
            self.timings.setdefault("load_s", time.perf_counter() - self._load_started)
            raise StepFailed(
                events.Failed(
                    spin_id=spec.spin_id,
                    kind="setup",
                    error=f"Metaflow's spin-step command ended with exit status {exit_code} "
                    "before the step ran (its message is in the output above).",
                )
            )
        self.timings["step_s"] = hooks.step_s
        self._note_paused()
        return hooks.task.flow, hooks

    def _outputs(self, flow: Any, hooks: StepHooks) -> tuple[Any, Any]:
        """Outputs: compared, diffed, stored and reported; the step's transition
        (next steps, foreach variable)."""
        outputs_started = time.perf_counter()
        sys.stdout.flush()
        sys.stderr.flush()
        transition = getattr(flow, "_transition", None) or ((), None)
        self.next_steps = tuple(transition[0])
        # Metaflow sets its own bookkeeping (`_task_ok`, `_success`) after the step
        # function, and its persist keeps those on the flow object: read them now.
        attributes = {
            **hooks.attributes,
            **{n: v for n, v in persisted_attributes(flow).items() if n.startswith("_")},
        }
        self.outputs = self._report(
            self._output_table(flow), attributes, self.parents, parameters=_parameters_of(flow)
        )
        self.timings["outputs_s"] = time.perf_counter() - outputs_started
        return transition

    def _record(self, command: TaskCommand, transition: tuple[Any, Any]) -> events.Finished:
        """Record: the cards kept, the history record committed; the terminal event."""
        cards = self._cards(command)
        self._note_paused()
        record_path = self._commit("ok", cards=cards) if self.writer else None
        source_task = self.resolved.source_task
        removed = (
            tuple(
                sorted(
                    name
                    for name in source_task.objects
                    if not name.startswith("_") and name not in self.outputs
                )
            )
            if source_task
            else ()
        )
        return events.Finished(
            spin_id=self.spec.spin_id,
            next_steps=self.next_steps,
            foreach=transition[1],
            timings=self.timings,
            removed=removed,
            record=str(record_path) if record_path else None,
            cards=tuple(cards),
        )

    def _report(
        self,
        table: ArtifactTable,
        attributes: dict[str, Any],
        parents: list[ArtifactTable],
        partial: bool = False,
        parameters: frozenset[str] = frozenset(),
    ) -> dict[str, Callable[[], Any]]:
        """Compare, diff, store and report the outputs (or, ``partial``, what a
        failed step had assigned), beginning this spin's history record.
        ``parameters``: the artifact names of the flow's Parameters and Configs."""
        source = self.resolved.source
        if self.history is not None:
            self.writer = self.history.begin(source.flow, self.spec.step, self.spec.spin_id)
        previous, previous_folder = self._previous_spin()
        reporter = OutputReporter(
            self.spec.spin_id,
            self.resolved,
            self.store,
            self.emit,
            self.writer,
            previous,
            previous_folder,
            self.emit_many,
            parameters,
        )
        getters = reporter.report(table, attributes, parents, partial=partial)
        self.records = reporter.records
        return getters

    def _step_failed(
        self, hooks: StepHooks, exc: BaseException, parents: list[ArtifactTable]
    ) -> events.Failed:
        """The failure; if the step itself failed, what it had assigned by then is
        reported first, as partial artifacts."""
        failure = self._classify(hooks, exc)
        if hooks.step_started is not None and hooks.task is not None:
            assigned = _assigned(hooks.attributes, [hooks.task.flow._datastore, *parents])
            if assigned:
                sys.stdout.flush()
                sys.stderr.flush()
                empty = ArtifactTable(f"spin/{self.spec.spin_id}", self.store)
                try:
                    self.outputs = self._report(empty, assigned, parents, partial=True)
                except Exception as report_error:  # the failure itself must still be reported
                    print(f"[spinlens] partial artifacts: {report_error}", file=sys.stderr)
        return failure

    def _cards(self, command: TaskCommand) -> list[events.Card]:
        """The cards the step's @card decorators rendered, kept with the spin."""
        if not command.persist or self.spec.scratch_dir is None:
            return []
        if self.writer is not None:  # the record's folder, where it will be once committed
            into, final = self.writer.folder, self.writer.final
        else:
            into = final = Path(self.spec.scratch_dir) / "cards" / self.spec.spin_id
        try:
            cards = read_cards(
                self.spec.scratch_dir,
                self.resolved.source.flow,
                command.run_id,
                command.step,
                command.task_id,
                into,
            )
        except Exception as exc:  # a card Metaflow could not render is not the step's failure
            print(f"[spinlens] the step's cards could not be read: {exc}", file=sys.stderr)
            return []
        return [dataclasses.replace(c, path=str(final / Path(c.path).name)) for c in cards]

    def _command(self, cls: type, parents: list[ArtifactTable]) -> TaskCommand:
        """The ``spin-step`` command Metaflow's spin would run for this task."""
        spec, resolved = self.spec, self.resolved
        source_task = resolved.source_task or resolved.parents[0]
        return TaskCommand(
            step=spec.step,
            run_id=self.run_id,
            task_id=resolved.source.task_id or "0",
            input_paths=[p.pathspec.split("/", 1)[1] for p in resolved.parents],
            split_index=resolved.source.index,
            retry_count=resolved.attempt,
            datastore_type=source_task.datastore_type,
            datastore_root=source_task.datastore_root,
            skip_decorators=spec.skip_decorators,
            decospecs=tuple(spec.decospecs),
            config_values=_config_values(cls, parents[0], spec),
            config_files=dict(spec.config_files),
            scratch=Path(spec.scratch_dir) if spec.scratch_dir else None,
            persist=self._has_cards(cls),
        )

    def _has_cards(self, cls: type) -> bool:
        """A @card step persists its outputs, so its card can show them. Read off
        the class as written (and --with): mutators may add cards, seen only once
        Metaflow's CLI has built the flow, after the command is chosen."""
        step = getattr(cls, self.spec.step, None)
        decorators = [d.name for d in getattr(step, "decorators", [])]
        decorators += [spec.split(":")[0] for spec in self.spec.decospecs]
        return not self.spec.skip_decorators and "card" in decorators

    def _flow_built(self, flow: Any) -> None:
        """Metaflow's CLI has built the flow (mutators, --with): sort the step's
        decorators as Metaflow's spin does, and start the step's process the way
        its runtime would."""
        self.decorators = StepDecorators.of(flow, self.spec.step, self.spec.skip_decorators)
        if self.decorators.ignored:
            names = ", ".join(f"@{name}" for name in self.decorators.ignored)
            why = "--skip-decorators" if self.spec.skip_decorators else "as in metaflow spin"
            self._note(f"not applied ({why}): {names}")
        if self.decorators.environments:
            names = ", ".join(sorted({f"@{d.name}" for d in self.decorators.environments}))
            self._note(f"{names}: not built in a spin; the step runs in {sys.executable}")
        self.decorators.prepare_process(self.resolved.attempt)
        self._step_sees_config_overrides(flow)

    def _step_sees_config_overrides(self, flow: Any) -> None:
        """A Config given to the spin reaches the step too, as Metaflow parsed it
        (Metaflow's own spin changes only what the decorators get: the step reads
        the source run's value, stored with the parameters)."""
        overridden = set(self.spec.config_values) | set(self.spec.config_files)
        if not overridden:
            return
        from metaflow.flowspec import FlowStateItems

        cls = type(flow)
        processed = cls._flow_state[FlowStateItems.CONFIGS]
        for var, param in cls._get_parameters():
            if getattr(param, "IS_CONFIG_PARAMETER", False) and param.name in overridden:
                if param.name in processed:
                    for table in self.parents:
                        table.override(var, processed[param.name][0])

    def _note(self, message: str) -> None:
        """Said once per kernel (the kernel drops a note it has passed on before)."""
        self.emit(events.Progress(spin_id=self.spec.spin_id, message=message))

    def _before_step(self) -> None:
        """Inputs are bound and Metaflow's decorators have run their pre-step hooks."""
        self.timings["load_s"] = time.perf_counter() - self._load_started
        # Metaflow's spin-step passes no origin run; the source task had one if
        # it ran in a resume.
        current._origin_run_id = self.resolved.origin_run_id
        if self.debugger is not None and self.spec.debug_port is not None:
            self.debugger.listen(self.spec.debug_port)
        if self.terminal is not None:
            sys.breakpointhook = self._pdb_here

    def _around_step(self, flow: Any) -> AbstractContextManager[Any]:
        limit = memory_limit(self.spec.memory_limit_mb)
        if self.debugger is None:
            return limit
        stack = ExitStack()
        stack.enter_context(inputs_listed(flow))
        stack.enter_context(limit)
        return stack

    def _note_paused(self) -> None:
        """A debug spin's time stopped in the debugger, kept out of ``step_s``."""
        if self.debugger is not None:
            self.timings["paused_s"] = self.debugger.paused_s()

    def _classify(self, hooks: StepHooks, exc: BaseException) -> events.Failed:
        """The failure, by where it happened: building the flow, the step, or after it."""
        spec = self.spec
        self.timings.setdefault("load_s", time.perf_counter() - self._load_started)
        if hooks.step_started is None:
            if isinstance(exc, SpinError):
                return events.Failed(
                    spin_id=spec.spin_id, kind="setup", error=str(exc), code=exc.code
                )
            return _failure(spec, "setup", exc, self.timings)
        self.timings["step_s"] = hooks.step_s
        self._note_paused()
        step_exc = hooks.step_error or exc
        if isinstance(step_exc, SystemExit):
            failure = _failure(spec, "exit", step_exc, self.timings)
            return dataclasses.replace(
                failure,
                error=f"The step called sys.exit({step_exc.code!r}); end a step with self.next().",
            )
        if isinstance(step_exc, memory_errors(spec.memory_limit_mb)):
            failure = _failure(spec, "memory", step_exc, self.timings)
            return memory_failure(failure, spec.memory_limit_mb or 0)
        if type(step_exc).__name__ == "TimeoutException":  # Metaflow's @timeout fired
            failure = _failure(spec, "timeout", step_exc, self.timings)
            # Its message goes on with a stack dump, which the traceback already has.
            return dataclasses.replace(failure, error=failure.error.splitlines()[0])
        if self.terminal is not None:  # post-mortem, as pdb.post_mortem does
            debugger = self._pdb()
            debugger.reset()
            debugger.interaction(None, step_exc.__traceback__)
        elif self.debugger is not None and hooks.task is not None:
            # Caught here, the exception is no "uncaught" one to the debugger:
            # stop at its raise as if it were (when the client asks for that).
            import debugpy

            with inputs_listed(hooks.task.flow):
                debugpy.trigger_exception_handler(step_exc)
            self._note_paused()
        failure = _failure(spec, "exception", step_exc, self.timings)
        return dataclasses.replace(failure, error=failure.error + self._decorator_hint(step_exc))

    def _decorator_hint(self, exc: BaseException) -> str:
        """What a decorator the spin does not apply would have made of the error."""
        decorators = self.decorators
        if decorators is None:
            return ""
        packages = decorators.packages()
        if isinstance(exc, ModuleNotFoundError) and packages:
            wanted = ", ".join(f"{n}=={v}" if v else n for n, v in sorted(packages.items()))
            return (
                f" The step's @conda/@pypi environment ({wanted}) is not built in a spin: "
                f"it runs in {sys.executable}. Install those packages there, or choose "
                f"a Python that has them (spinlens.python in the editor)."
            )
        if "catch" in decorators.ignored:
            return " In a run, @catch would catch this exception and the run would go on."
        return ""

    def _output_table(self, flow: Any) -> ArtifactTable:
        """The artifacts a step passes on without assigning them: its input table,
        or for a join the names ``merge_artifacts`` passed down (Metaflow keeps
        those in the task's output datastore, by the inputs' content keys)."""
        table = flow._datastore
        if isinstance(table, ArtifactTable):
            return table
        return ArtifactTable(
            f"spin/{self.spec.spin_id}", self.store, dict(table._objects), dict(table._info)
        )

    def _pdb(self) -> pdb.Pdb:
        assert self.terminal is not None
        stdin, stdout = self.terminal
        return pdb.Pdb(stdin=stdin, stdout=stdout)

    def _pdb_here(self, *args: Any, **kwargs: Any) -> None:
        """breakpoint() in the step: pdb on the session's terminal, not on the log pipe."""
        self._pdb().set_trace(sys._getframe(1))

    def read_previous_ahead(self) -> None:
        """Read the third baseline now (a speculative spare, before its spin):
        this kernel's spins of the task are all committed by then."""
        self._previous_read = (self.spec.history_dir, self._previous_spin())

    def _previous_spin(self) -> tuple[SpinRecord | None, Path | None]:
        """The latest successful spin of the same source task, the third baseline."""
        if self._previous_read is not None and self._previous_read[0] == self.spec.history_dir:
            return self._previous_read[1]
        if self.history is None:
            return None, None
        source = self.resolved.source
        for record, folder in self.history.spins_with_folders(source.flow, self.spec.step):
            same_task = (
                record.source.get("run_id") == source.run_id
                and record.source.get("task_id") == source.task_id
            )
            if record.status == "ok" and same_task:
                return record, folder
        return None, None

    def _commit(
        self, status: str, error: str | None = None, cards: list[events.Card] | None = None
    ) -> Path | None:
        assert self.writer is not None
        record = SpinRecord(
            id=self.spec.spin_id,
            created=time.time(),
            flow=self.resolved.source.flow,
            flow_file=self.spec.flow_file,
            step=self.spec.step,
            source=dataclasses.asdict(self.resolved.source),
            step_source_hash=self.step_source_hash,
            status=status,
            timings=dict(self.timings),
            next_steps=list(self.next_steps),
            error=error,
            artifacts=self.records,
            cards=[{"type": c.type, "id": c.id, "file": Path(c.path).name} for c in cards or []],
        )
        try:
            return self.writer.commit(record, prune=False)  # see prune_history
        except OSError as exc:  # a full disk must not fail the spin itself
            self.writer.abandon()
            print(f"[spinlens] could not record this spin in the history: {exc}", file=sys.stderr)
            return None

    def prune_history(self) -> None:
        """Keep only the newest spins of the step: after the terminal event, so
        the spin's result does not wait for it."""
        if self.history is not None and self.writer is not None:
            self.history.prune(self.resolved.source.flow, self.spec.step)

    def record_failure(self, failure: events.Failed) -> None:
        """Failed spins are part of the history too, with their partial artifacts."""
        if self.history is not None:
            if self.writer is None:
                self.writer = self.history.begin(
                    self.resolved.source.flow, self.spec.step, self.spec.spin_id
                )
            self._commit("failed", error=failure.error)


def _assigned(attributes: dict[str, Any], tables: list[Any]) -> dict[str, Any]:
    """The public attributes a step set: not the inputs it merely read (Metaflow
    caches those on the flow object) nor the flow's name."""

    def read(name: str, value: Any) -> bool:
        return any(
            isinstance(t, ArtifactTable) and t.accessed.get(name, _MISSING) is value for t in tables
        )

    return {
        name: value
        for name, value in attributes.items()
        if not name.startswith("_") and name != "name" and not read(name, value)
    }


_MISSING = object()
