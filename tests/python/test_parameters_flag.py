"""A spin's artifact events flag the flow's Parameters and Configs (``parameter``)
and Metaflow's own (``internal``, with the flow's ``name``), never the step's
outputs: the results panel groups them apart. A real run of a flow with both."""

from __future__ import annotations

from collections.abc import Callable

from flowruns import FlowRun
from spinlens.session import SpinSession
from spinlens.wire.events import Artifact

PARAMETERS = {"alpha", "label", "settings"}  # config_flow.py's two Parameters and its Config


def flags(events: dict[str, Artifact]) -> dict[str, tuple[bool, bool]]:
    return {name: (e.parameter, e.internal) for name, e in events.items()}


def test_parameters_and_configs_are_flagged_and_the_step_s_outputs_are_not(
    flow_runs: Callable[..., FlowRun],
) -> None:
    run = flow_runs("config_flow.py", "--alpha", "0.7")
    with SpinSession(run.file) as session:
        start = session.spin("start")
        end = session.spin("end")
    assert start.ok and end.ok, (start.error, end.error)
    for result, own in (
        (start, {"seen_alpha", "depth", "flow_name"}),
        (end, {"summary", "params"}),
    ):
        found = flags(result.artifact_events)
        assert {n for n, (parameter, _) in found.items() if parameter} == PARAMETERS, found
        for name in PARAMETERS:
            assert found[name] == (True, False), name
        for name in own:  # the step's own outputs, and in end the ones start passed on
            assert found[name] == (False, False), name
        # The flow's name is Metaflow's bookkeeping, with its `_` artifacts.
        assert found["name"] == (False, True)
        assert found["_graph_info"] == (False, True)
    # A parameter event still says what the value is, like any artifact.
    assert start.artifact_events["alpha"].summary == "0.7"
    assert end.artifact_events["seen_alpha"].parameter is False
