"""The runs explorer's Metaflow reader (``python -m spinlens.client_reader``) on
real runs in a temporary folder: runs paged newest first with status, user and
parameters; steps; a foreach's tasks with index and split value, paged;
artifacts with type, size and a short value; a comparison of two runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import spinlens
from compat_cases import card_text

PARAM_FLOW = """\
from metaflow import FlowSpec, Parameter, step


class ParamFlow(FlowSpec):
    alpha = Parameter("alpha", default=0.5, type=float)

    @step
    def start(self):
        self.items = ["a", "b", "c"]
        self.label = "fixed"
        self.blob = b"x" * (2 << 20)
        self.next(self.fan, foreach="items")

    @step
    def fan(self):
        self.letter = self.input * 2
        self.next(self.join)

    @step
    def join(self, inputs):
        self.letters = [i.letter for i in inputs]
        self.next(self.end)

    @step
    def end(self):
        self.score = self.alpha * 10
        self.weights = {"w": self.alpha, "k": 1}


if __name__ == "__main__":
    ParamFlow()
"""


def run_param_flow(folder: Path, *alphas: float) -> list[str]:
    """ParamFlow written into ``folder`` and run once per alpha; the run ids, in order."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "param_flow.py").write_text(PARAM_FLOW)
    ids = []
    for alpha in alphas:
        id_file = folder / "run-id"
        completed = subprocess.run(
            [sys.executable, "param_flow.py", "run", "--alpha", str(alpha)]
            + ["--run-id-file", str(id_file)],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert completed.returncode == 0, completed.stdout + completed.stderr
        ids.append(id_file.read_text().strip())
    return ids


class Reader:
    """The reader process, one request at a time."""

    def __init__(self, folder: Path) -> None:
        env = dict(os.environ)
        parent = str(Path(spinlens.__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [parent, env.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spinlens.client_reader"],
            cwd=folder,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert json.loads(self.readline()) == {"id": None, "ready": True}
        self.next_id = 0

    def readline(self) -> str:
        assert self.proc.stdout is not None
        return self.proc.stdout.readline()

    def ask(self, op: str, **params: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.next_id += 1
        self.proc.stdin.write(json.dumps({"id": self.next_id, "op": op, **params}) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.readline())
        assert reply["id"] == self.next_id
        return reply

    def result(self, op: str, **params: Any) -> Any:
        reply = self.ask(op, **params)
        assert "result" in reply, reply
        return reply["result"]

    def close(self) -> int:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        return self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def param_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    folder = tmp_path_factory.mktemp("param")
    return folder, run_param_flow(folder, 0.5, 0.7, 0.9)


@pytest.fixture
def reader(param_runs: tuple[Path, list[str]]) -> Iterator[Reader]:
    found = Reader(param_runs[0])
    yield found
    found.close()


def test_runs_are_paged_newest_first(reader: Reader, param_runs: tuple[Path, list[str]]) -> None:
    _, ids = param_runs
    first = reader.result("runs", flow="ParamFlow", offset=0, limit=2)
    assert (first["total"], first["more"]) == (3, True)
    assert [r["run_id"] for r in first["runs"]] == [ids[2], ids[1]]
    newest = first["runs"][0]
    assert newest["status"] == "ok"
    assert newest["parameters"] == {"alpha": "0.9"}  # Metaflow's own `name` is no Parameter
    assert newest["user"]  # Metaflow's user:<name> tag
    rest = reader.result("runs", flow="ParamFlow", offset=2, limit=2)
    assert (rest["total"], rest["more"]) == (3, False)
    assert [r["run_id"] for r in rest["runs"]] == [ids[0]]
    assert rest["runs"][0]["parameters"]["alpha"] == "0.5"


def test_a_flow_without_runs_has_none(reader: Reader) -> None:
    assert reader.result("runs", flow="NoSuchFlow") == {"total": 0, "more": False, "runs": []}


def test_steps_in_the_order_they_ran(reader: Reader, param_runs: tuple[Path, list[str]]) -> None:
    _, ids = param_runs
    steps = reader.result("steps", flow="ParamFlow", run=ids[0])["steps"]
    assert [s["name"] for s in steps] == ["start", "fan", "join", "end"]


def test_foreach_tasks_with_index_and_value_paged(
    reader: Reader, param_runs: tuple[Path, list[str]]
) -> None:
    _, ids = param_runs
    page = reader.result("tasks", flow="ParamFlow", run=ids[0], step="fan", offset=0, limit=2)
    assert (page["total"], page["more"]) == (3, True)
    assert [(t["index"], t["var"], t["value"], t["status"]) for t in page["tasks"]] == [
        (0, "items", "a", "ok"),
        (1, "items", "b", "ok"),
    ]
    rest = reader.result("tasks", flow="ParamFlow", run=ids[0], step="fan", offset=2, limit=2)
    assert [(t["index"], t["value"]) for t in rest["tasks"]] == [(2, "c")]
    assert rest["more"] is False
    start = reader.result("tasks", flow="ParamFlow", run=ids[0], step="start")["tasks"]
    assert [(t["index"], t["value"]) for t in start] == [(None, None)]


def test_artifacts_with_type_size_and_short_value(
    reader: Reader, param_runs: tuple[Path, list[str]]
) -> None:
    _, ids = param_runs
    task = reader.result("tasks", flow="ParamFlow", run=ids[0], step="start")["tasks"][0]
    pathspec = f"ParamFlow/{ids[0]}/start/{task['task_id']}"
    found = reader.result("artifacts", pathspec=pathspec)
    rows = {a["name"]: a for a in found["artifacts"]}
    assert not any(name.startswith("_") for name in rows)  # Metaflow's own are left out
    assert rows["items"]["type"] == "list"
    assert rows["items"]["value"] == "['a', 'b', 'c']"
    assert rows["items"]["size"] > 0
    assert (rows["label"]["type"], rows["label"]["value"]) == ("str", "'fixed'")
    # A large value is described by type and size, never loaded for the tree.
    assert rows["blob"]["type"] == "bytes"
    assert rows["blob"]["value"] is None and rows["blob"]["size"] > 1 << 20


def test_compare_two_runs_shows_parameters_changes_and_metrics(
    reader: Reader, param_runs: tuple[Path, list[str]]
) -> None:
    _, ids = param_runs
    found = reader.result("compare", a=f"ParamFlow/{ids[0]}", b=f"ParamFlow/{ids[1]}")
    params = {p["name"]: p for p in found["parameters"]}
    assert (params["alpha"]["a"], params["alpha"]["b"], params["alpha"]["changed"]) == (
        "0.5",
        "0.7",
        True,
    )
    rows = {a["name"]: a for a in found["artifacts"]}
    assert rows["end.score"]["status"] == "changed"
    assert rows["end.score"]["diff"]["kind"] == "number"
    assert "5 → 7" in rows["end.score"]["summary"]
    assert rows["end.weights"]["status"] == "changed"
    assert rows["start.label"]["status"] == "same"
    assert rows["fan[1].letter"]["status"] == "same"
    assert "end.alpha" not in rows  # Parameters are compared once, above
    # Changed rows come first.
    statuses = [a["status"] for a in found["artifacts"]]
    assert statuses == sorted(statuses, key=lambda s: s != "changed")
    metrics = {m["name"]: m for m in found["metrics"]}
    assert metrics["end.score"] == {"name": "end.score", "a": 5.0, "b": 7.0, "delta": 2.0}


def test_compare_two_tasks(reader: Reader, param_runs: tuple[Path, list[str]]) -> None:
    _, ids = param_runs
    tasks = reader.result("tasks", flow="ParamFlow", run=ids[0], step="fan")["tasks"]
    a, b = (f"ParamFlow/{ids[0]}/fan/{t['task_id']}" for t in tasks[:2])
    found = reader.result("compare", a=a, b=b)
    rows = {r["name"]: r for r in found["artifacts"]}
    assert rows["letter"]["status"] == "changed"
    assert rows["items"]["status"] == "same"
    assert found["parameters"] == []


def test_bad_requests_get_errors_and_the_reader_goes_on(reader: Reader) -> None:
    assert reader.ask("nonsense")["error"] == "unknown op"
    assert "error" in reader.ask("steps", flow="ParamFlow", run="12345")
    assert "error" in reader.ask("compare", a="ParamFlow/1", b="ParamFlow/1/start/2")
    assert reader.result("runs", flow="ParamFlow")["total"] == 3


def test_reader_ends_when_stdin_closes(param_runs: tuple[Path, list[str]]) -> None:
    assert Reader(param_runs[0]).close() == 0


@pytest.fixture(scope="module")
def spins(param_runs: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory) -> Spins:
    """Two spins of ``end`` of the newest run (alpha 0.9), recorded in a temporary
    history: one of the flow as it ran, one with ``score`` computed otherwise."""
    from spinlens import SpinSession
    from spinlens.wire.events import Finished

    folder, _ = param_runs
    history = tmp_path_factory.mktemp("history")
    flow = folder / "param_flow.py"
    edited = PARAM_FLOW.replace("self.score = self.alpha * 10", "self.score = self.alpha * 100")
    records = []
    with SpinSession(flow, history_dir=history) as session:
        for source in (PARAM_FLOW, edited):
            result = session.spin("end", source=source)
            assert result.ok, result.error
            finished = next(e for e in result.events if isinstance(e, Finished))
            assert finished.record is not None
            records.append(finished.record)
    return Spins(history=str(history), same=records[0], edited=records[1])


@dataclass(frozen=True)
class Spins:
    history: str
    same: str  # the record folder of the spin of the unchanged step
    edited: str


def test_compare_a_task_and_a_spin(
    reader: Reader, param_runs: tuple[Path, list[str]], spins: Spins
) -> None:
    _, ids = param_runs
    (task,) = reader.result("tasks", flow="ParamFlow", run=ids[-1], step="end")["tasks"]
    source = f"ParamFlow/{ids[-1]}/end/{task['task_id']}"
    found = reader.result("compare", a=source, b=spins.edited, history=spins.history)
    rows = {r["name"]: r for r in found["artifacts"]}
    assert rows["score"]["status"] == "changed"
    assert rows["score"]["diff"]["kind"] == "number"
    assert "9 → 90" in rows["score"]["summary"]
    assert rows["weights"]["status"] == "same"
    assert {m["name"]: m["b"] for m in found["metrics"]} == {"score": 90.0}
    unchanged = reader.result("compare", a=source, b=spins.same, history=spins.history)
    assert {r["status"] for r in unchanged["artifacts"]} == {"same"}


def test_compare_two_spins(reader: Reader, spins: Spins) -> None:
    found = reader.result("compare", a=spins.same, b=spins.edited, history=spins.history)
    rows = {r["name"]: r for r in found["artifacts"]}
    assert rows["score"]["status"] == "changed"
    assert rows["score"]["diff"] is not None and "9 → 90" in rows["score"]["summary"]
    assert found["artifacts"][0]["name"] == "score"  # changed rows first
    assert rows["letters"]["status"] == "same"


def test_a_spin_outside_the_history_is_refused(
    reader: Reader, param_runs: tuple[Path, list[str]], spins: Spins, tmp_path: Path
) -> None:
    folder, _ = param_runs
    stray = tmp_path / "ParamFlow" / "end" / "fake"
    stray.mkdir(parents=True)
    (stray / "manifest.json").write_text(json.dumps({"id": "fake"}))
    escape = os.path.join(spins.history, "ParamFlow", "end", "..", "..", "..", stray.name)
    for outside in (str(stray), escape, str(folder / "param_flow.py"), spins.history):
        reply = reader.ask("compare", a=spins.same, b=outside, history=spins.history)
        assert "is not a spin record of the history" in reply["error"], reply
    # Without the history the server knows, no folder is read at all.
    reply = reader.ask("compare", a=spins.same, b=spins.edited)
    assert "only within the spin history" in reply["error"]
    assert "neither a run" in reader.ask("compare", a="ParamFlow", b=spins.same)["error"]


CARD_FLOW = Path(__file__).parent / "compat" / "cards" / "flow.py"


def test_cards_of_a_past_task(tmp_path: Path) -> None:
    """``cards``: each card of a task with its type, id and HTML, read through
    Metaflow's get_cards from the run's datastore (no card server)."""
    (tmp_path / "flow.py").write_text(CARD_FLOW.read_text())
    completed = subprocess.run(
        [sys.executable, "flow.py", "run", "--run-id-file", "run-id"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    run_id = (tmp_path / "run-id").read_text().strip()
    reader = Reader(tmp_path)
    try:
        tasks = {
            step: reader.result("tasks", flow="CardFlow", run=run_id, step=step)["tasks"]
            for step in ("report", "end")
        }
        report = reader.result(
            "cards", pathspec=f"CardFlow/{run_id}/report/{tasks['report'][0]['task_id']}"
        )
        (card,) = report["cards"]
        assert (card["type"], card["id"], card["note"]) == ("blank", None, None)
        assert "Model report" in card_text(card["html"]) and "alpha" in card_text(card["html"])
        assert card["size"] == len(card["html"].encode()) and not report["truncated"]
        end = reader.result("cards", pathspec=f"CardFlow/{run_id}/end/{tasks['end'][0]['task_id']}")
        assert [(c["type"], c["id"]) for c in end["cards"]] == [("blank", "summary")]
        assert "Best model" in card_text(end["cards"][0]["html"])
        assert "error" in reader.ask("cards", pathspec=f"CardFlow/{run_id}/report/999999")
    finally:
        reader.close()


def test_a_card_past_the_bound_is_named_not_sent() -> None:
    from spinlens import client_reader

    class Card:
        type, id, path = "blank", "big", "x"
        reads = 0

        def get(self) -> str:
            Card.reads += 1
            return "<p>" + "x" * 100 + "</p>"

    row = client_reader._card_row(Card(), limit=50)
    assert (row.html, row.size) == (None, 107) and "too large" in (row.note or "")
    assert client_reader._card_row(Card(), limit=1000).html == "<p>" + "x" * 100 + "</p>"
