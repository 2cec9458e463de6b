"""The terminal summary of a spin (`spinlens spin` without --json), from constructed events."""

from __future__ import annotations

import io

from spinlens.render import Printer
from spinlens.session import SpinResult
from spinlens.wire import events

SID = "s1"


def _artifact(name: str, **fields: object) -> events.Artifact:
    defaults: dict[str, object] = {
        "type": "builtins.int",
        "size": 28,
        "summary": "1",
        "vs_inputs": "new",
        "vs_source": "changed",
    }
    return events.Artifact(SID, name, **{**defaults, **fields})


def _summary(result: SpinResult) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    Printer(as_json=False, out=out, err=err).summary(result)
    return out.getvalue(), err.getvalue()


def _ok(*stream: events.Event) -> SpinResult:
    return SpinResult(spin_id=SID, step="train", status="ok", events=list(stream))


def _finished(cards: tuple[events.Card, ...] = ()) -> events.Finished:
    return events.Finished(SID, ("end",), None, {"step_s": 0.1}, cards=cards)


def test_the_table_leaves_out_metaflows_internal_artifacts_and_says_how_many() -> None:
    out, _ = _summary(
        _ok(
            _artifact("model"),
            _artifact("_graph_info", internal=True, vs_source="unchanged"),
            _artifact("_transition", internal=True, diffs={"source": {"summary": "x"}}),
            _artifact("_foreach_stack", internal=True, error="cannot store"),
            _finished(),
        )
    )
    table = out.split("\n\n")[0]
    assert "model" in table
    assert "_graph_info" not in out and "_transition" not in out and "_foreach_stack" not in out
    assert "3 internal artifacts hidden" in table


def test_one_hidden_artifact_is_singular_and_none_says_nothing() -> None:
    out, _ = _summary(_ok(_artifact("model"), _artifact("_transition", internal=True), _finished()))
    assert "1 internal artifact hidden" in out
    out, _ = _summary(_ok(_artifact("model"), _finished()))
    assert "hidden" not in out


def test_cards_follow_the_table_with_their_type_id_and_path() -> None:
    cards = (
        events.Card("default", None, "/w/.spinlens/F/train/s1/card-0-default.html"),
        events.Card("blank", "summary", "/w/.spinlens/F/train/s1/card-1-blank.html"),
    )
    out, _ = _summary(_ok(_artifact("model"), _finished(cards)))
    lines = out.splitlines()
    first = lines.index("card default: /w/.spinlens/F/train/s1/card-0-default.html")
    assert lines[first + 1] == "card blank summary: /w/.spinlens/F/train/s1/card-1-blank.html"
    assert any(line.startswith("model") for line in lines[:first])
    assert lines[-1].startswith("✓ ok")


def test_a_failure_lists_what_the_step_assigned_before_it_raised() -> None:
    failed = events.Failed(
        SID,
        "exception",
        "ValueError: bad",
        traceback="Traceback (most recent call last):\nValueError: bad\n",
    )
    stream: list[events.Event] = [
        _artifact(
            "features",
            type="pandas.core.frame.DataFrame",
            size=2_400_000,
            summary="DataFrame shape=(10, 3)",
            partial=True,
        ),
        _artifact("_foreach_stack", internal=True, partial=True),
        failed,
    ]
    result = SpinResult(spin_id=SID, step="train", status="failed", events=stream, failure=failed)
    out, err = _summary(result)
    assert out == ""
    lines = err.splitlines()
    head = lines.index("assigned before the failure:")
    assert lines[head - 1] == "ValueError: bad"  # after the traceback
    assert lines[head + 1].split() == ["artifact", "type", "size", "value"]
    assert lines[head + 2].split() == [
        "features",
        "DataFrame",
        "2.3",
        "MB",
        "DataFrame",
        "shape=(10,",
        "3)",
    ]
    assert "_foreach_stack" not in err
    assert lines[-1] == "✗ ValueError: bad"


def test_a_failure_before_any_assignment_has_no_partial_table() -> None:
    failed = events.Failed(SID, "exception", "ValueError: bad")
    result = SpinResult(spin_id=SID, step="train", status="failed", events=[failed], failure=failed)
    _, err = _summary(result)
    assert err == "✗ ValueError: bad\n"
