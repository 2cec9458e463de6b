"""Load a flow file's current text as a module, without running its CLI."""

from __future__ import annotations

import builtins
import linecache
import os
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import SpinError


class FlowNotDefined(SpinError):
    """The executed flow text defines no FlowSpec of the expected name."""

    code = "unknown-flow"


@contextmanager
def _cli_held_back() -> Iterator[None]:
    """While the flow text runs as ``__main__``, its ``if __name__ == "__main__":
    MyFlow()`` must not start Metaflow's command line: the caller runs the
    command it wants (``spin-step``) once the module is loaded."""
    from metaflow import cli

    run_cli = cli.main
    cli.main = lambda *args, **kwargs: None
    try:
        yield
    finally:
        cli.main = run_cli


def load_flow_module(path: str, source: str | None = None) -> types.ModuleType:
    """Execute the flow file (or unsaved editor text for it) as ``__main__``."""
    return run_flow_code(path, compile_flow(path, flow_text(path, source)))


def flow_text(path: str, source: str | None) -> str:
    """The text a spin runs: the editor's unsaved ``source``, else the file's."""
    return Path(path).read_text(encoding="utf-8") if source is None else source


def compile_flow(path: str, text: str) -> types.CodeType:
    """The flow text's code, the text shown for ``path`` from now on."""
    show_flow_text(path, text)
    return compile(text, path, "exec")


def show_flow_text(path: str, text: str) -> None:
    """Tracebacks, debuggers and Metaflow's graph (``inspect.getsource``) see this
    text for ``path``, not whatever is on disk."""
    # mtime None keeps linecache from re-reading the file.
    linecache.cache[path] = (len(text), None, text.splitlines(True), path)


def run_flow_code(path: str, code: types.CodeType) -> types.ModuleType:
    """Execute the flow's code as ``__main__``.

    As under ``python flow.py run``, classes defined in the flow file belong to
    ``__main__``: artifacts the run pickled as ``__main__.X`` load back, and new
    values pickle the same way.
    """
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = builtins  # type: ignore[attr-defined]
    # Metaflow registers some of its own classes on whatever __main__ is at import
    # (ForeachFrame, pickled as __main__.ForeachFrame): keep them on this one.
    previous = sys.modules.get("__main__")
    for name, value in vars(previous).items() if previous is not None else ():
        if isinstance(value, type) and value.__module__ == "__main__":
            setattr(module, name, value)
    sys.modules["__main__"] = module
    with _cli_held_back():
        exec(code, module.__dict__)
    return module


def needs_flow_module(exc: BaseException) -> bool:
    """An unpickling error for a class the flow file defines (pickled as
    ``__main__.X`` under ``python flow.py run``): only a process that runs the
    flow as ``__main__`` can load it."""
    return isinstance(exc, AttributeError) and "Can't get attribute" in str(exc)


@contextmanager
def flow_as_main(path: str) -> Iterator[types.ModuleType]:
    """The flow file as ``__main__`` of this process for a while, so that values a
    run pickled as ``__main__.X`` load here (a command-line reader of the history;
    never the language server, which runs no workspace code)."""
    saved_main, saved_path = sys.modules.get("__main__"), list(sys.path)
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        yield load_flow_module(path)
    finally:
        sys.path[:] = saved_path
        if saved_main is not None:
            sys.modules["__main__"] = saved_main


def flow_class(module: types.ModuleType, name: str) -> type:
    """The flow class the module defines (or imports) under ``name``."""
    from metaflow import FlowSpec

    found = getattr(module, name, None)
    # A bare @FlowMutator binds the flow's name to the mutator, which holds the class.
    while found is not None and not isinstance(found, type) and hasattr(found, "_flow_cls"):
        found = found._flow_cls
    if isinstance(found, type) and issubclass(found, FlowSpec):
        return found
    flows = sorted(
        attr
        for attr, value in vars(module).items()
        if (isinstance(value, type) and issubclass(value, FlowSpec) and value is not FlowSpec)
        or hasattr(value, "_flow_cls")
    )
    listed = f" It defines {', '.join(flows)}." if flows else ""
    raise FlowNotDefined(f"{module.__file__} no longer defines flow class {name}.{listed}")


def user_module_files(root: str) -> dict[str, tuple[str, float]]:
    """Modules imported from the user's project (under root, outside site-packages):
    name -> (file, mtime). Walks all of sys.modules, so the kernel does it once."""
    found: dict[str, tuple[str, float]] = {}
    root_path = os.path.realpath(root) + os.sep
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or name == "__main__":
            continue
        real = os.path.realpath(file)
        if not real.startswith(root_path) or "site-packages" in real:
            continue
        try:
            found[name] = (real, os.stat(real).st_mtime)
        except OSError:
            found[name] = (real, -1.0)
    return found


def drop_changed_user_modules(snapshot: dict[str, tuple[str, float]]) -> list[str]:
    """Forget the user's modules if any changed on disk since the snapshot.

    All of them go, not just the changed ones: an unchanged module may hold
    names imported from a changed one. Modules first imported after the
    snapshot are not in a forked child's sys.modules, so they load fresh anyway.
    """
    changed = changed_user_modules(snapshot)
    if changed:
        for name in snapshot:
            sys.modules.pop(name, None)
    return changed


def changed_user_modules(snapshot: dict[str, tuple[str, float]]) -> list[str]:
    """The snapshot's modules whose file changed (or went) since."""
    changed = []
    for name, (path, mtime) in snapshot.items():
        try:
            current = os.stat(path).st_mtime
        except OSError:
            current = -1.0
        if current != mtime:
            changed.append(name)
    return changed
