"""The server's small pure parts: settings, arguments, flow choice, lens titles."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcInvalidParams

from spinlens.lsp.jobs import resolve_flow
from spinlens.lsp.outcomes import Outcomes, SpinOutcome
from spinlens.lsp.payloads import (
    CancelArgs,
    ListRunsArgs,
    RunInfo,
    RunsReply,
    SourceRunArgs,
    SpinArgs,
    SpinReply,
    to_wire,
)
from spinlens.lsp.settings import Settings
from spinlens.lsp.source_runs import SourceRuns
from spinlens.lsp.spins import reply
from spinlens.wire.events import Artifact, Failed, Finished

TWO_FLOWS = """\
from metaflow import FlowSpec, step


class AFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.only_a)

    @step
    def only_a(self):
        self.next(self.end)

    @step
    def end(self):
        pass


class BFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    AFlow()
"""


def test_settings_flat_nested_and_bad_values() -> None:
    settings = Settings().updated({"defaultSourceRun": "12", "historySize": 3, "diffRows": 7})
    assert settings == Settings("12", 3, 7)
    nested = settings.updated({"spinlens": {"defaultSourceRun": None, "historySize": 0}})
    assert nested == Settings(None, 0, 7)
    # Wrong types and unknown keys are ignored; "" means the latest successful run.
    assert settings.updated({"historySize": "ten", "diffRows": -1, "other": 1}) == settings
    assert settings.updated({"defaultSourceRun": ""}).default_source_run is None
    assert settings.updated({"defaultSourceRun": 42}).default_source_run == "42"
    assert settings.updated(None) == settings and settings.updated([1]) == settings


def test_command_arguments() -> None:
    spin = SpinArgs.parse("s", [{"uri": "file:///f.py", "step": "a", "run": 12, "index": 1}])
    assert (spin.run, spin.index, spin.task, spin.overrides) == ("12", 1, None, {})
    assert spin.request_id is None
    asked = SpinArgs.parse("s", [{"uri": "file:///f.py", "step": "a", "requestId": "w-1"}])
    assert asked.request_id == "w-1"
    assert SourceRunArgs.parse("s", [{"uri": "file:///f.py", "runId": None}]).run_id is None
    assert ListRunsArgs.parse("s", [{"uri": "file:///f.py", "flow": "AFlow"}]).flow == "AFlow"
    assert CancelArgs.parse("c", [{"requestId": "w-1"}]) == CancelArgs(request_id="w-1")
    assert CancelArgs.parse("c", [{"uri": "file:///f.py"}]).uri == "file:///f.py"
    with pytest.raises(JsonRpcInvalidParams, match="requestId"):
        CancelArgs.parse("c", [{}])
    for bad in (
        [],
        ["file:///f.py", "a"],
        [{"uri": "file:///f.py"}],
        [{"uri": "file:///f.py", "step": "a", "index": "1"}],
        [{"uri": "file:///f.py", "step": "a", "overrides": {"x": 1}}],
    ):
        with pytest.raises(JsonRpcInvalidParams):
            SpinArgs.parse("s", bad)
    with pytest.raises(JsonRpcInvalidParams):
        SourceRunArgs.parse("s", [{"uri": "file:///f.py"}])


def test_flow_choice(tmp_path: Path) -> None:
    path = str(tmp_path / "flows.py")
    assert resolve_flow(TWO_FLOWS, path, "only_a") == "AFlow"  # the only flow with it
    assert resolve_flow(TWO_FLOWS, path, "end") == "AFlow"  # ambiguous: the __main__ one
    no_main = TWO_FLOWS.split("if __name__")[0]
    assert resolve_flow(no_main, path, "end") == "BFlow"  # else the last
    assert resolve_flow("def (", path, "end") is None
    assert resolve_flow(None, path, "end") is None  # not open and not on disk


def test_outcome_titles() -> None:
    artifacts = [
        Artifact("s1", "a", "int", 1, "1", "unchanged", "changed"),
        Artifact("s1", "b", "int", 1, "1", "unchanged", "new"),
        Artifact("s1", "c", "int", 1, "1", "changed", "unchanged"),
    ]
    ok = SpinOutcome.from_events("F", "x", [*artifacts, Finished("s1", (), None, {})])
    assert ok is not None and ok.title(ok.ended + 12) == "spun 12 s ago: 2 changed"
    error = "KeyError: 'a very long key name that does not fit on a lens line'\nmore"
    failed = SpinOutcome.from_events("F", "x", [Failed("s2", "exception", error)])
    assert failed is not None
    title = failed.title(failed.ended + 5)
    assert title.startswith("failed 5 s ago: KeyError: 'a very long") and title.endswith("…")
    assert len(title.split(": ", 1)[1]) <= 40
    cancelled = SpinOutcome.from_events("F", "x", [Failed("s3", "cancelled", "Cancelled.")])
    assert cancelled is not None and cancelled.title(cancelled.ended) == "cancelled 0 s ago"
    assert SpinOutcome.from_events("F", "x", artifacts) is None


def test_results_on_the_wire() -> None:
    # camelCase names; an optional field that is None is left out.
    assert to_wire(SpinReply("s1", "ok")) == {"spinId": "s1", "status": "ok"}
    runs = RunsReply(runs=[RunInfo("12", "ok", 1.5)], chosen=None, default_run="7")
    assert to_wire(runs) == {
        "runs": [{"runId": "12", "status": "ok", "created": 1.5}],
        "chosen": None,
        "defaultRun": "7",
    }
    # A cancelled spin's reply says so; other failures are failed.
    assert reply(Failed("s2", "cancelled", "Cancelled.")) == SpinReply(
        "s2", "cancelled", "Cancelled."
    )
    assert reply(Failed("s3", "exception", "E: x")).status == "failed"
    assert reply(Finished("s4", (), None, {})) == SpinReply("s4", "ok")


def test_source_runs_per_file() -> None:
    runs = SourceRuns()
    assert runs.for_spin("/a.py", None, None) is None  # the latest successful run
    assert runs.for_spin("/a.py", None, "7") == "7"  # the defaultSourceRun setting
    runs.choose("/a.py", "12")
    assert (runs.chosen("/a.py"), runs.chosen("/b.py")) == ("12", None)
    assert runs.for_spin("/a.py", None, "7") == "12"
    assert runs.for_spin("/a.py", "3", "7") == "3"  # the request's run first
    runs.choose("/a.py", None)
    assert runs.chosen("/a.py") is None


def test_outcomes_by_path_pruned_when_the_document_closes() -> None:
    outcomes = Outcomes()
    ok = SpinOutcome.from_events("F", "x", [Finished("s1", (), None, {})])
    failed = SpinOutcome.from_events(None, "x", [Failed("s2", "setup", "bad")])
    assert ok is not None and failed is not None
    unparsed = replace(failed, ended=ok.ended + 1)
    outcomes.record("/a.py", ok)
    outcomes.record("/b.py", ok)
    assert outcomes.lookup("/a.py")("F", "x") is ok
    assert outcomes.lookup("/a.py")("F", "y") is None
    outcomes.record("/a.py", unparsed)  # no flow: shown for any flow's step x, the newer wins
    assert outcomes.lookup("/a.py")("F", "x") is unparsed
    outcomes.forget("/a.py")
    assert outcomes.lookup("/a.py")("F", "x") is None
    assert len(outcomes) == 1 and outcomes.lookup("/b.py")("F", "x") is ok
