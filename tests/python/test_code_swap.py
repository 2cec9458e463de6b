"""code_swap: which edits a flow built ahead can take by swapping function code,
and which it must refuse (anything Metaflow or the module would see otherwise)."""

from __future__ import annotations

import types

import pytest

from spinlens.engine.code_swap import NotSwappable, apply_swaps, function_swaps

BASE = '''\
import functools

LIMIT = 3


def step(f):
    f.is_step = True
    return f


def helper(x):
    return x + 1


def wrapped(f):
    @functools.wraps(f)
    def inner(*args):
        return f(*args)
    return inner


class Flow:
    alpha = 0.5

    @step
    def start(self):
        """Begin."""
        self.value = helper(1)
        self.next(self.end)

    @wrapped
    def decorated(self):
        return 1

    def plain(self):
        return "plain"

    @step
    def end(self):
        self.next(self.end)
'''


def _module(text: str) -> tuple[types.ModuleType, types.CodeType]:
    code = compile(text, "flow.py", "exec")
    module = types.ModuleType("flow")
    exec(code, module.__dict__)
    return module, code


def _swap(old_text: str, new_text: str) -> tuple[types.ModuleType, list[types.FunctionType]]:
    module, old = _module(old_text)
    new = compile(new_text, "flow.py", "exec")
    return module, apply_swaps(module, function_swaps(old, new), old_text, new_text)


class _Self:
    end = plain = None

    def next(self, *args: object) -> None:
        pass


def test_a_body_edit_swaps_that_function_only_and_it_runs_the_new_code() -> None:
    edited = BASE.replace("self.value = helper(1)", "self.value = helper(41)")
    module, changed = _swap(BASE, edited)
    assert [f.__name__ for f in changed] == ["start"]
    flow = _Self()
    module.Flow.start(flow)
    assert flow.value == 42  # type: ignore[attr-defined]


def test_lines_added_above_move_every_later_function_to_its_new_lines() -> None:
    edited = BASE.replace(
        '    def plain(self):\n        return "plain"',
        '    def plain(self):\n        x = 1\n\n        return "plain" * x',
    )
    module, changed = _swap(BASE, edited)
    assert [f.__name__ for f in changed] == ["plain", "end"]
    lines = edited.splitlines()
    assert lines[module.Flow.end.__code__.co_firstlineno - 1].strip() == "@step"
    assert "def end" in lines[module.Flow.end.__code__.co_firstlineno]


def test_a_helper_at_module_level_is_swapped_too() -> None:
    module, changed = _swap(BASE, BASE.replace("return x + 1", "return x + 2"))
    assert [f.__name__ for f in changed] == ["helper"]
    assert module.helper(1) == 3


def test_the_same_text_needs_no_swap() -> None:
    assert _swap(BASE, BASE)[1] == []


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ("LIMIT = 3", "LIMIT = 4", "a value in the module changed"),
        ("alpha = 0.5", "alpha = 0.6", "a value in class Flow changed"),
        ("import functools\n", "import functools\nimport os\n", "the module changed"),
        ("    def plain(self):", "    @step\n    def plain(self):", "class Flow changed"),
        ("    def plain(self):", "    def plain(self, extra=1):", "class Flow changed"),
        ("    def plain(self):", "    def plain(this):", "the signature of plain changed"),
        (
            "self.next(self.end)\n\n    @wrapped",
            "self.next(self.plain)\n\n    @wrapped",
            "step start changed its self.next",
        ),
        (
            "self.next(self.end)\n\n    @wrapped",
            "raise ValueError\n\n    @wrapped",
            "step start changed its self.next",
        ),
        ('"""Begin."""', '"""Start here."""', "step start changed its self.next or docstring"),
        ("        return 1\n", "        return 2\n", "decorated is not a plain function"),
    ],
    ids=[
        "module constant",
        "class attribute",
        "new import",
        "new decorator",
        "new default argument",
        "argument renamed",
        "self.next target",
        "self.next removed",
        "step docstring",
        "user-wrapped function",
    ],
)
def test_edits_outside_plain_function_bodies_are_refused(old: str, new: str, reason: str) -> None:
    assert old in BASE
    module, old_code = _module(BASE)
    before = module.Flow.start.__code__
    edited = BASE.replace(old, new, 1)
    with pytest.raises(NotSwappable, match=reason):
        apply_swaps(
            module, function_swaps(old_code, compile(edited, "flow.py", "exec")), BASE, edited
        )
    assert module.Flow.start.__code__ is before  # nothing was changed


def test_a_step_whose_self_next_spans_lines_is_read_whole() -> None:
    base = BASE.replace(
        "        self.next(self.end)\n\n    @wrapped",
        "        self.next(\n            self.end,\n        )\n\n    @wrapped",
    )
    edited = base.replace("helper(1)", "helper(2)")
    assert [f.__name__ for f in _swap(base, edited)[1]] == ["start"]
    retargeted = base.replace("            self.end,\n", "            self.plain,\n")
    with pytest.raises(NotSwappable, match="self.next"):
        _swap(base, retargeted)
