"""Pages of values for the value viewer: tables, arrays, images, text, trees
(``engine/value_pages.py``), and a real spin's values paged through SpinSession."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flowruns import latest_run_id
from spinlens import SpinError, SpinSession
from spinlens.engine.value_pages import (
    IMAGE_BYTES,
    MAX_LIMIT,
    REPR_CHARS,
    TEXT_PAGE,
    PageRequest,
    ValuePageError,
    ValuePages,
    page_of,
)
from spinlens.wire.events import Started


def _png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny, grey) PNG, made by hand: no imaging library needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 0, 0, 0, 0])
    pixels = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(pixels))
        + chunk(b"IEND", b"")
    )


def _page(value: Any, **request: Any) -> dict[str, Any]:
    page = page_of(value, PageRequest(**request))
    json.dumps(page, allow_nan=False)  # what the wire carries: plain JSON, no NaN
    return page


FRAME = pd.DataFrame(
    {
        "n": [5, 3, 9, 1, 7],
        "x": [0.5, None, 2.5, 1.5, float("nan")],
        "name": ["e", "c", "i", "a", "g"],
    }
)


def test_a_dataframe_pages_its_rows_with_dtypes_and_column_statistics() -> None:
    page = _page(FRAME, offset=1, limit=2)
    assert page["kind"] == "table" and page["total"] == 5 and page["offset"] == 1
    assert [(c["name"], c["dtype"]) for c in page["columns"]] == [
        ("n", "int64"),
        ("x", "float64"),
        ("name", str(FRAME["name"].dtype)),
    ]
    assert page["rows"] == [["3", "nan", "c"], ["9", "2.5", "i"]]
    assert page["index"] == ["1", "2"]
    stats = {c["name"]: c["stats"] for c in page["columns"]}
    assert stats["n"] == {"nulls": 0, "min": 1, "max": 9, "mean": 5.0}
    assert stats["x"]["nulls"] == 2 and stats["x"]["min"] == 0.5 and stats["x"]["max"] == 2.5
    assert stats["name"] == {"nulls": 0, "unique": 5}


def test_a_table_sorts_by_one_column_either_way_with_nulls_last() -> None:
    up = _page(FRAME, sort="n")
    assert [row[0] for row in up["rows"]] == ["1", "3", "5", "7", "9"]
    assert up["index"] == ["3", "1", "0", "4", "2"]  # the rows' own labels
    down = _page(FRAME, sort="x", descending=True)
    assert [row[1] for row in down["rows"]] == ["2.5", "1.5", "0.5", "nan", "nan"]
    assert down["sort"] == {"column": "x", "descending": True}
    second_page = _page(FRAME, sort="n", offset=3, limit=5)
    assert [row[0] for row in second_page["rows"]] == ["7", "9"]
    with pytest.raises(ValuePageError, match="No column 'missing'"):
        _page(FRAME, sort="missing")


def test_a_page_is_bounded_whatever_the_limit_asked() -> None:
    frame = pd.DataFrame({"i": np.arange(5000)})
    assert len(_page(frame, limit=10**6)["rows"]) == MAX_LIMIT
    assert len(_page(np.arange(5000), limit=10**6)["values"]) == MAX_LIMIT
    assert len(_page(list(range(5000)), limit=10**6)["entries"]) == MAX_LIMIT


def test_statistics_and_sort_orders_are_computed_once_per_value() -> None:
    calls: list[str] = []

    class Counting(pd.DataFrame):
        @property
        def _constructor(self) -> type:
            return pd.DataFrame

        def sort_values(self, *args: Any, **kwargs: Any) -> Any:  # not used: columns sort
            raise AssertionError

    pages = ValuePages()
    frame = Counting({"a": [3, 1, 2]})
    original = pd.Series.sort_values

    def counted(self: pd.Series, *args: Any, **kwargs: Any) -> Any:
        calls.append("sort")
        return original(self, *args, **kwargs)

    pd.Series.sort_values = counted  # type: ignore[method-assign]
    try:
        first = pages.page("k", frame, PageRequest(sort="a", limit=1))
        second = pages.page("k", frame, PageRequest(sort="a", offset=1, limit=2))
    finally:
        pd.Series.sort_values = original  # type: ignore[method-assign]
    assert calls == ["sort"]
    assert first["rows"] == [["1"]] and second["rows"] == [["2"], ["3"]]


def test_polars_and_arrow_tables_page_and_sort_like_pandas() -> None:
    import polars as pl  # the dev extras hold both
    import pyarrow as pa

    for table in (pl.from_pandas(FRAME[["n", "name"]]), pa.Table.from_pandas(FRAME[["n", "name"]])):
        page = _page(table, sort="n", descending=True, limit=2)
        assert page["kind"] == "table" and page["total"] == 5
        assert page["rows"] == [["9", "i"], ["7", "g"]]
        assert page["index"] == ["2", "4"]
        stats = {c["name"]: c["stats"] for c in page["columns"]}
        assert stats["n"]["min"] == 1 and stats["n"]["max"] == 9 and stats["n"]["mean"] == 5.0


def test_an_array_has_shape_dtype_statistics_a_histogram_and_a_page_of_values() -> None:
    array = np.arange(12, dtype=np.float64).reshape(3, 4)
    array[0, 0] = np.nan
    page = _page(array, offset=2, limit=3)
    assert page["kind"] == "array" and page["shape"] == [3, 4] and page["dtype"] == "float64"
    assert page["values"] == ["2.0", "3.0", "4.0"] and page["total"] == 12
    assert page["stats"]["nonFinite"] == 1 and page["stats"]["min"] == 1.0
    assert page["stats"]["max"] == 11.0
    assert sum(page["histogram"]["counts"]) == 11  # the finite values
    assert len(page["histogram"]["edges"]) == len(page["histogram"]["counts"]) + 1
    assert page["line"][0] == "nan" and page["line"][1] == 1.0
    text = _page(np.array(["a", "b"]))
    assert text["kind"] == "array" and text["stats"] is None and text["values"] == ["a", "b"]


def test_png_and_jpeg_bytes_are_images_other_bytes_are_not() -> None:
    png = _png()
    page = _page(png)
    assert page["kind"] == "image" and page["mime"] == "image/png"
    assert base64.b64decode(page["data"]) == png
    jpeg = _page(b"\xff\xd8\xff\xe0" + b"\x00" * 20)
    assert jpeg["kind"] == "image" and jpeg["mime"] == "image/jpeg"
    assert _page(b"hello")["kind"] == "repr"
    huge = b"\x89PNG\r\n\x1a\n" + bytes(IMAGE_BYTES)
    described = _page(huge)
    assert described["kind"] == "repr" and "too large" in described["text"]


def test_pil_images_and_matplotlib_figures_are_images() -> None:
    import matplotlib.figure  # the dev extras hold both
    import PIL.Image

    page = _page(PIL.Image.new("RGB", (3, 2)))
    assert page["kind"] == "image" and base64.b64decode(page["data"]).startswith(b"\x89PNG")

    figure = matplotlib.figure.Figure(figsize=(1, 1))
    figure.add_subplot().plot([1, 2, 3])
    assert _page(figure)["mime"] == "image/png"


def test_long_text_comes_in_pages() -> None:
    text = "".join(f"line {i}\n" for i in range(10_000))
    first = _page(text)
    assert first["kind"] == "text" and first["total"] == len(text)
    assert first["text"] == text[:TEXT_PAGE]
    second = _page(text, offset=TEXT_PAGE)
    assert second["text"] == text[TEXT_PAGE : 2 * TEXT_PAGE]


def test_dicts_and_lists_are_trees_walked_by_entry_positions() -> None:
    value = {"model": {"alpha": 0.1, "layers": [4, 8]}, "frame": FRAME, ("t", 1): set()}
    pages = ValuePages()
    top = pages.page("v", value, PageRequest())
    assert top["kind"] == "tree" and top["container"] == "mapping" and top["total"] == 3
    entries = {e["key"]: e for e in top["entries"]}
    assert entries["'model'"]["expandable"] and entries["'model'"]["kind"] == "tree"
    assert entries["'frame'"]["kind"] == "table" and not entries["'frame'"]["expandable"]
    assert entries["('t', 1)"]["expandable"] is False  # an empty set
    layers = pages.page("v", value, PageRequest(path=(0, 1)))
    assert layers["container"] == "sequence"
    assert [(e["key"], e["summary"]) for e in layers["entries"]] == [("0", "4"), ("1", "8")]
    frame = pages.page("v", value, PageRequest(path=(1,), sort="n", limit=1))
    assert frame["kind"] == "table" and frame["rows"] == [["1", "1.5", "a"]]
    with pytest.raises(ValuePageError, match="No entry 5"):
        pages.page("v", value, PageRequest(path=(5,)))
    with pytest.raises(ValuePageError, match="Nothing to open"):
        pages.page("v", value, PageRequest(path=(0, 0, 0)))


def test_copy_text_is_the_whole_repr_bounded() -> None:
    small = ValuePages().page("s", {"a": [1, 2]}, PageRequest(as_text=True))
    assert small == {"kind": "repr", "type": "dict", "text": "{'a': [1, 2]}"}
    big = ValuePages().page("b", list(range(10**6)), PageRequest(as_text=True))
    assert len(big["text"]) == REPR_CHARS and big["text"].endswith("…")
    whole = ValuePages().page("f", pd.DataFrame({"i": range(300)}), PageRequest(as_text=True))
    assert "\n299  299" in whole["text"]  # every row, not pandas' 60-row cut


def test_scalars_and_other_objects_are_one_line() -> None:
    assert _page(3.5) == {"kind": "scalar", "type": "float", "text": "3.5"}

    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert _page(Broken())["text"].startswith("<Broken instance")  # no exception


# -- through a real spin ---------------------------------------------------------------

VIEWER_FLOW = """
import pandas as pd
from metaflow import FlowSpec, step


class ViewerFlow(FlowSpec):
    @step
    def start(self):
        self.frame = pd.DataFrame({"n": [5, 3, 9, 1], "name": ["e", "c", "i", "a"]})
        self.next(self.shape)

    @step
    def shape(self):
        self.doubled = self.frame.assign(double=self.frame.n * 2)
        self.nested = {"a": [1, 2, 3], "b": {"c": "d"}}
        self.next(self.end)

    @step
    def end(self):
        pass


if __name__ == "__main__":
    ViewerFlow()
"""


@pytest.fixture(scope="module")
def viewer_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    folder = tmp_path_factory.mktemp("viewer")
    flow = folder / "viewer_flow.py"
    flow.write_text(VIEWER_FLOW)
    done = subprocess.run(
        [sys.executable, flow.name, "run"], cwd=folder, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return flow, latest_run_id(folder, "ViewerFlow")


def test_a_spin_s_output_is_paged_by_its_parked_child_and_a_source_artifact_by_the_kernel(
    viewer_run: tuple[Path, str],
) -> None:
    flow, run_id = viewer_run
    with SpinSession(flow) as session:
        with pytest.raises(SpinError, match="No kernel is running"):
            session.value_page("doubled", spin_id="20261127-170109-000000")
        result = session.spin("shape")
        assert result.ok, result.error
        page = session.value_page("doubled", spin_id=result.spin_id, sort="n", limit=2)
        assert page["kind"] == "table" and page["total"] == 4
        assert [c["name"] for c in page["columns"]] == ["n", "name", "double"]
        assert page["rows"] == [["1", "a", "2"], ["3", "c", "6"]]
        tree = session.value_page("nested", spin_id=result.spin_id, path=[0])
        assert [e["summary"] for e in tree["entries"]] == ["1", "2", "3"]
        with pytest.raises(SpinError, match="No entry 7"):
            session.value_page("nested", spin_id=result.spin_id, path=[7])
        started = next(e for e in result.events if isinstance(e, Started))
        parent = started.source.parents[0]
        assert parent.startswith(f"ViewerFlow/{run_id}/start/")
        source = session.value_page("frame", task=parent, sort="n", descending=True)
        assert [row[0] for row in source["rows"]] == ["9", "5", "3", "1"]
        with pytest.raises(SpinError, match="no artifact 'nope'"):
            session.value_page("nope", task=parent)
        again = session.spin("shape")  # the earlier spin's child is gone now
        assert again.ok, again.error
        with pytest.raises(SpinError, match="no longer held"):
            session.value_page("doubled", spin_id=result.spin_id)


def test_the_value_page_frames_round_trip_and_are_documented() -> None:
    import dataclasses
    import re

    from spinlens.wire.frames import (
        ErrorReply,
        ValuePageReply,
        ValuePageRequest,
        request_from_frame,
        to_frame,
        value_page_reply_from_frame,
    )

    request = ValuePageRequest(id=3, name="df", spin_id="s", path=[1, 2], sort="n", descending=True)
    assert request_from_frame(json.loads(json.dumps(to_frame(request)))) == request
    reply = ValuePageReply(id=3, page=_page([1, 2]))
    assert value_page_reply_from_frame(json.loads(json.dumps(to_frame(reply)))) == reply
    assert value_page_reply_from_frame(to_frame(ErrorReply(id=3, error="x"))) == ErrorReply(3, "x")
    protocol = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
    row = next(
        line for line in protocol.read_text().splitlines() if "| `valuePage` |" in line
    ).split("|")[3]
    while re.search(r"\([^()]*\)", row):
        row = re.sub(r"\([^()]*\)", "", row)
    assert set(re.findall(r"`(\w+)`", row)) == {
        f.name for f in dataclasses.fields(ValuePageRequest)
    }


def test_the_server_command_checks_its_arguments_and_never_starts_a_kernel() -> None:
    import asyncio
    from types import SimpleNamespace

    from pygls.exceptions import JsonRpcInternalError, JsonRpcInvalidParams

    from spinlens.lsp.kernels import Kernels
    from spinlens.lsp.payloads import ValuePageArgs
    from spinlens.lsp.value_pages import NO_KERNEL, value_page

    command = "spinlens.server.valuePage"
    args = ValuePageArgs.parse(command, [{"uri": "file:///f.py", "name": "df", "spinId": "s"}])
    assert (args.path, args.offset, args.limit, args.sort) == ([], 0, 100, None)
    for bad in (
        {"uri": "file:///f.py", "name": "df"},  # neither a spin nor a task
        {"uri": "file:///f.py", "name": "df", "spinId": "s", "task": "F/1/a/2"},
        {"uri": "file:///f.py", "name": "df", "spinId": "s", "path": [-1]},
        {"uri": "file:///f.py", "name": "df", "spinId": "s", "offset": "3"},
        {"uri": "file:///f.py", "name": "df", "spinId": "s", "limit": True},
    ):
        with pytest.raises(JsonRpcInvalidParams):
            ValuePageArgs.parse(command, [bad])
    kernels = Kernels()
    server = SimpleNamespace(kernels=kernels, flow_path=lambda uri: "/f.py")
    arguments = [{"uri": "file:///f.py", "name": "df", "spinId": "s"}]
    for _ in range(2):  # no kernel for the file; then one whose session never started
        with pytest.raises(JsonRpcInternalError, match="spin the step again"):
            asyncio.run(value_page(server, arguments))  # type: ignore[arg-type]
        kernels.for_file("/f.py")
    assert kernels.get("/f.py") is not None and kernels.get("/f.py").session is None  # type: ignore[union-attr]
    assert "has stopped" in NO_KERNEL
    task = [{"uri": "file:///f.py", "name": "df", "task": "F/1/start/2"}]
    with pytest.raises(JsonRpcInternalError, match="never starts one"):
        asyncio.run(value_page(server, task))  # type: ignore[arg-type]
