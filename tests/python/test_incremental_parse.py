"""Re-parsing one method gives exactly the tree a full parse gives, or declines.

Every line of every flow the suites run is edited in a few ways that keep the
line count (some valid, some not); for each edit the spliced tree, when there is
one, must equal ``ast.parse`` of the edited text, positions included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from spinlens import flow_analysis
from spinlens.incremental_parse import reparse_function

HERE = Path(__file__).resolve().parent
FLOWS = sorted(
    {
        *HERE.glob("compat/*/*.py"),
        *HERE.glob("flows/*.py"),
        *HERE.glob("artifact_flows/**/*.py"),
        *(HERE.parents[1] / "examples").glob("*.py"),
    }
)


def _parse(source: str, filename: str) -> ast.Module:
    return ast.parse(source, filename=filename)


def _dump(tree: ast.AST) -> str:
    return ast.dump(tree, include_attributes=True)


def _same(mine: object, theirs: object, kept: set[int]) -> bool:
    """``mine`` equals ``theirs`` (fields and positions), not descending into
    nodes of the old tree that the splice kept."""
    if isinstance(mine, ast.AST):
        if type(mine) is not type(theirs):
            return False
        if id(mine) in kept:
            return True
        names = (*mine._fields, *mine._attributes)
        return all(_same(getattr(mine, n, None), getattr(theirs, n, None), kept) for n in names)
    if isinstance(mine, list):
        return (
            isinstance(theirs, list)
            and len(mine) == len(theirs)
            and all(_same(a, b, kept) for a, b in zip(mine, theirs, strict=True))
        )
    return mine == theirs


def _edits(line: str) -> list[str]:
    indent = line[: len(line) - len(line.lstrip())]
    return [
        line + "  # edited",  # valid almost anywhere
        f"{indent}pass" if line.strip() else line,  # valid only on a statement line
        line.lstrip(),  # a dedent: mostly a different structure or an error
    ]


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: str(p.relative_to(HERE.parents[1])))
def test_a_spliced_tree_is_the_full_parse(path: Path) -> None:
    source = path.read_text()
    tree = ast.parse(source)
    old_nodes = {id(node) for node in ast.walk(tree)}
    lines = source.split("\n")
    spliced_count = 0
    for number, line in enumerate(lines):
        for edited in _edits(line):
            if edited == line:
                continue
            text = "\n".join([*lines[:number], edited, *lines[number + 1 :]])
            spliced = reparse_function(source, tree, text, str(path), _parse)
            if spliced is None:
                continue
            spliced_count += 1
            full = ast.parse(text)
            if spliced_count == 1:  # once per file, the whole tree
                assert _dump(spliced) == _dump(full), (path, number + 1, edited)
            # Nodes the splice kept are the old tree's own (their lines did not
            # change); every node it built must be the full parse's, positions included.
            assert _same(spliced, full, old_nodes), (path, number + 1, edited)
    # Flows with methods get the cheap path for edits inside their bodies.
    if any(isinstance(n, ast.FunctionDef) for n in ast.walk(tree)):
        assert spliced_count > 0, path
    assert _dump(tree) == _dump(ast.parse(source)), "the old tree is left as it was"


METHOD_FLOW = """\
from metaflow import FlowSpec, step


class Tiny(FlowSpec):
    @step
    def start(self):
        self.x = 1
        self.next(self.end)

    @step
    def end(self):
        print(self.x)
"""


def test_declines_what_is_not_one_method_body() -> None:
    tree = ast.parse(METHOD_FLOW)

    def reparsed(old: str, new: str) -> ast.Module | None:
        return reparse_function(METHOD_FLOW, tree, METHOD_FLOW.replace(old, new), "f.py", _parse)

    assert reparsed("self.x = 1", "self.x = 2") is not None
    assert reparsed("def end(self)", "def stop(self)") is None  # the def line
    assert reparsed("    @step\n    def end", "    @stap\n    def end") is None  # a decorator
    assert reparsed("self.x = 1", "self.x = (") is None  # no longer parses
    assert reparsed("from metaflow", "from  metaflow") is None  # outside any method
    assert reparse_function(METHOD_FLOW, tree, METHOD_FLOW + "\n", "f.py", _parse) is None


def test_parse_source_splices_after_an_edit_in_a_step() -> None:
    filename = "/tmp/spinlens-incremental-parse-test.py"
    first = flow_analysis.parse_source(METHOD_FLOW, filename)
    edited = METHOD_FLOW.replace("self.x = 1", "self.x = 41 + 1")
    second = flow_analysis.parse_source(edited, filename)
    assert _dump(second) == _dump(ast.parse(edited))
    # The methods the edit did not touch are the same objects: nothing re-parsed them.
    assert second.body[1].body[1] is first.body[1].body[1]
    assert second.body[1].body[0] is not first.body[1].body[0]
    analysis = flow_analysis.analyze_source(edited, filename)
    assert [s.name for s in analysis.flows[0].steps] == ["start", "end"]
