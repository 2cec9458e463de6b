"""Sizes and ages read the same everywhere: the cases are shared with the extension's
tests (tests/extension/format.test.ts) through tests/fixtures/units.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spinlens.units import age_text, size_text

CASES = json.loads((Path(__file__).parents[1] / "fixtures" / "units.json").read_text())


@pytest.mark.parametrize(("size", "text"), CASES["sizes"])
def test_size_text(size: int | None, text: str) -> None:
    assert size_text(size) == text


@pytest.mark.parametrize(("seconds", "text"), CASES["ages"])
def test_age_text(seconds: float, text: str) -> None:
    assert age_text(seconds) == text


def test_unknown_sizes() -> None:
    assert size_text(float("nan")) == "?"
    assert size_text(float("inf")) == "?"
