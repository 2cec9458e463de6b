"""Markdown pieces shared by hover, completion and inlay hints: values, links, status."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

from ..artifact_flow import Assignment
from ..units import age_text, size_text
from ..wire.events import Artifact
from .outcomes import SpinOutcome, shorten
from .positions import DocumentLines, link
from .values import LastSpin, SourceValue

ONE_LINE_CHARS = 60  # a completion's detail, an inlay hint


def short_type(qualified: str | None) -> str:
    """``pandas.core.frame.DataFrame`` reads as ``DataFrame``."""
    return (qualified or "?").rsplit(".", 1)[-1]


def fenced(text: str) -> str:
    """A code block that the text cannot close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def one_line(text: str, limit: int = ONE_LINE_CHARS) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def facts(type_name: str | None, size: int | None) -> str:
    """``DataFrame · 40.1 MB``."""
    parts = [f"`{short_type(type_name)}`"]
    if size is not None:
        parts.append(size_text(size))
    return " · ".join(parts)


def source_section(value: SourceValue) -> str:
    if value.error is not None:
        return f"**Source run**: {value.error}"
    head = f"**Source run** `{value.task}`: {facts(value.type, value.size)}"
    return f"{head}\n{fenced(value.text)}" if value.text else head


def last_spin_section(name: str, spin: LastSpin | None, outcome: SpinOutcome | None) -> str | None:
    """The artifact in the step's last spin, with the spin's status; None if
    the step was not spun since the document opened."""
    now = time.time()
    if spin is not None:
        ago = age_text(now - spin.ended)
        status = "ok" if spin.status == "ok" else f"failed ({shorten(_error(spin), 80)})"
        head = f"**Last spin** `{spin.spin_id}`, {status}, {ago}"
        artifact = spin.artifacts.get(name)
        if artifact is None:
            return f"{head}: did not set `{name}`" if spin.status == "ok" else head
        return f"{head}: {artifact_facts(artifact)}\n{fenced(artifact.summary)}"
    if outcome is not None:
        return f"**Last spin** `{outcome.spin_id}`: {outcome.title(now)}"
    return None


def _error(spin: LastSpin) -> str:
    return spin.failure.error if spin.failure is not None else "failed"


def artifact_facts(artifact: Artifact) -> str:
    """``DataFrame · 40.1 MB · changed vs the source run``."""
    text = f"{facts(artifact.type, artifact.size)} · {artifact.vs_source} vs the source run"
    return text + (" (partial: the step failed after setting it)" if artifact.partial else "")


def assignment_links(
    lines: DocumentLines, definitions: Iterable[Assignment], verb: str = "Assigned in"
) -> str | None:
    """``Assigned in [start line 12](file:///flow.py#L12), ...``"""
    found = [
        f"[{a.step or 'class'} line {a.location.line}]"
        f"({link(lines, a.location.file, a.location.line)})"
        for a in definitions
    ]
    return f"{verb} {', '.join(found)}" if found else None
