"""Load a flow file's current text as a module, without running its CLI."""

from __future__ import annotations

import linecache
import os
import sys
import types
from pathlib import Path

FLOW_MODULE = "__spinlens_flow__"


def load_flow_module(path: str, source: str | None = None) -> types.ModuleType:
    """Execute the flow file (or unsaved editor text for it) as a fresh module.

    The module is not named ``__main__``, so ``if __name__ == "__main__": Flow()``
    stays quiet; it is also registered as ``__main__`` so artifacts pickled by the
    original run (classes defined in the flow file) load back.
    """
    text = Path(path).read_text(encoding="utf-8") if source is None else source
    # Tracebacks and Metaflow's graph (inspect.getsource) must see this text,
    # not whatever is on disk; mtime None keeps linecache from re-reading it.
    linecache.cache[path] = (len(text), None, text.splitlines(True), path)
    code = compile(text, path, "exec")
    module = types.ModuleType(FLOW_MODULE)
    module.__file__ = path
    sys.modules[FLOW_MODULE] = module
    sys.modules["__main__"] = module
    exec(code, module.__dict__)
    return module


def user_module_files(root: str) -> dict[str, tuple[str, float]]:
    """Modules imported from the user's project (under root, outside site-packages):
    name -> (file, mtime). Walks all of sys.modules, so the kernel does it once."""
    found: dict[str, tuple[str, float]] = {}
    root_path = os.path.realpath(root) + os.sep
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not file or name in (FLOW_MODULE, "__main__"):
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
    changed = []
    for name, (path, mtime) in snapshot.items():
        try:
            current = os.stat(path).st_mtime
        except OSError:
            current = -1.0
        if current != mtime:
            changed.append(name)
    if changed:
        for name in snapshot:
            sys.modules.pop(name, None)
    return changed
