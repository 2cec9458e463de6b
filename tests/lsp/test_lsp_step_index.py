"""The incremental step index agrees with a full analysis after any edit."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from spinlens.lsp import step_index
from spinlens.lsp.step_index import full_index, update_index

FLOWS = Path(__file__).resolve().parents[1] / "python" / "flows"

INHERITED = '''\
from metaflow import FlowSpec, step


class BaseFlow(FlowSpec):
    @step
    def start(self):
        """Docstring."""
        self.x = [
            1,
            2,
        ]
        self.next(self.end)

    @step
    def end(self):
        pass


class ChildFlow(BaseFlow):
    @step
    def end(self):
        text = """
    not code
"""
        self.y = text


if __name__ == "__main__":
    ChildFlow()
'''

INSERTS = [
    "x = 1\n",
    "        y = 2\n",
    "\n",
    "    @step\n    def added(self):\n        self.next(self.end)\n",
    "(",
    ")",
    '"""',
    "#",
    "\\\n",
    "        if x:\n",
    "    ",
    "\t",
    "def ",
    "@step\n",
    "        print('a')\n        print('b')\n",
    "\r\n",
    "\f",
    "class Other(FlowSpec):\n    @step\n    def start(self):\n        pass\n",
]


def _edit(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    line = rng.randrange(len(lines))
    at = sum(len(part) + 1 for part in lines[:line]) + rng.randrange(len(lines[line]) + 1)
    roll = rng.random()
    if roll < 0.5:
        return text[:at] + rng.choice(INSERTS) + text[at:]
    if roll < 0.8:
        return text[:at] + text[at + rng.randint(1, 20) :]
    end = text.find("\n", at)
    return text[:at] + (text[end:] if end >= 0 else "")


def _texts() -> list[tuple[str, str]]:
    # discovery/: aliases, and a base and a child flow in one file.
    files = sorted(FLOWS.glob("*.py")) + sorted((FLOWS / "discovery").glob("*.py"))
    return [("inherited.py", INHERITED), *((p.name, p.read_text()) for p in files)]


@pytest.mark.parametrize("name,text", _texts())
def test_random_edits_match_a_full_analysis(name: str, text: str) -> None:
    rng = random.Random(name)
    index = update_index(None, text, name)
    for edit in range(400):
        candidate = _edit(rng, text)
        if candidate == text:
            continue
        index = update_index(index, candidate, name)
        assert index.steps == full_index(candidate, name).steps, f"edit {edit}:\n{candidate}"
        if index.steps is not None or rng.random() < 0.3:
            text = candidate  # else undo it, as a user would, to keep exercising steps


def test_typing_inside_a_step_skips_the_full_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    full = []
    real = step_index.full_index
    monkeypatch.setattr(step_index, "full_index", lambda t, f: full.append(t) or real(t, f))
    lines = INHERITED.split("\n")
    at = lines.index("        self.next(self.end)")
    typed = "        self.total = sum(x * 2 for x in self.x)  # doubled"
    index = update_index(None, INHERITED, "f.py")
    states = 0
    for cut in range(9, len(typed) + 1):  # key by key, each state a CodeLens request
        text = "\n".join(lines[:at] + [typed[:cut]] + lines[at:])
        index = update_index(index, text, "f.py")
        expected = real(text, "f.py")
        assert index.steps == expected.steps
        states += expected.steps is not None
    # Only the states that do not parse (then no lenses) need the whole file.
    assert len(full) == 1 + (len(typed) - 8 - states)
    assert states > 10


def test_cases_that_must_take_the_full_analysis() -> None:
    index = update_index(None, INHERITED, "f.py")
    assert index.steps is not None
    lines = INHERITED.split("\n")
    body = lines.index("        self.y = text")
    # An unterminated string inside a body swallows the rest of the file.
    broken = "\n".join(lines[:body] + ['        s = """'] + lines[body:])
    assert update_index(index, broken, "f.py").steps is None
    # A new method right after a step's last line, at class level.
    method = ["", "    @step", "    def extra(self):", "        pass"]
    added = "\n".join(lines[: body + 1] + method + lines[body + 1 :])
    names = [s.name for s in update_index(index, added, "f.py").steps or ()]
    assert names == [s.name for s in full_index(added, "f.py").steps or ()]
    assert "extra" in names
    # A body line dedented to class level.
    dedented = "\n".join(lines[:body] + ["    self.y = text"] + lines[body + 1 :])
    assert update_index(index, dedented, "f.py").steps == full_index(dedented, "f.py").steps
