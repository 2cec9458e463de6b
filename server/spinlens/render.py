"""Terminal rendering: live spin events, artifact tables, diffs and history records."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Sequence
from typing import Any, TextIO

from .engine.history import SpinRecord
from .session import SpinResult
from .units import age_text, size_text
from .wire import events

_STATUS_COLOURS = {"new": "36", "changed": "33", "unchanged": "32"}
_COMPARISONS = (("inputs", "inputs"), ("source", "source run"), ("previous", "previous spin"))
_MAX_DIFF_LINES = 12


def short_type(type_name: str) -> str:
    return type_name.rsplit(".", 1)[-1].strip("'<>")


class Painter:
    def __init__(self, stream: TextIO, enabled: bool | None = None) -> None:
        if enabled is None:
            enabled = stream.isatty() and "NO_COLOR" not in os.environ
        self.enabled = enabled

    def __call__(self, text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled and code else text

    def status(self, text: str, status: str | None) -> str:
        return self(text, _STATUS_COLOURS.get(status or "", ""))


def table(
    rows: Sequence[Sequence[str]],
    paint: Painter,
    statuses: Sequence[Sequence[str | None]] = (),
    status_columns: Sequence[int] = (),
) -> list[str]:
    """Aligned columns; the first row is the header; status cells are coloured."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        if n == 0:
            lines.append(paint("  ".join(cells).rstrip(), "1"))
            continue
        if status_columns:
            for column, status in zip(status_columns, statuses[n - 1], strict=True):
                cells[column] = paint.status(cells[column], status)
        lines.append("  ".join(cells).rstrip())
    return lines


def diff_lines(diff: dict[str, Any], limit: int = _MAX_DIFF_LINES) -> list[str]:
    """A diff payload (diff.ValueDiff.to_dict()) as a few readable lines."""
    lines = [diff.get("summary") or diff.get("kind", "changed")]
    if diff.get("error"):
        lines.append(f"(diff incomplete: {diff['error']})")
    detail = diff.get("detail") or {}
    kind = diff.get("kind")
    if kind == "text":
        lines += [str(line) for line in (detail.get("diff") or [])[2:]]  # past the ---/+++ header
    elif kind == "table":
        for row in detail.get("sample") or []:
            old, new = row.get("old") or {}, row.get("new") or {}
            changes = ", ".join(f"{c}: {old.get(c)!r} → {new.get(c)!r}" for c in new)
            lines.append(f"row {row.get('key')!r}: {changes}")
    elif kind == "array":
        for cell in detail.get("sample") or []:
            lines.append(f"{cell.get('index')}: {cell.get('old')!r} → {cell.get('new')!r}")
    elif kind in ("mapping", "sequence", "params"):
        for item in detail.get("changed") or []:
            where = item.get("key", item.get("index"))
            lines.append(f"{where!r}: {(item.get('diff') or {}).get('summary', 'changed')}")
    if len(lines) > limit:
        lines = lines[:limit] + [f"… {len(lines) - limit} more lines"]
    return lines


class Printer:
    """Renders spin events for a person (live logs, then a table) or as JSON lines."""

    def __init__(self, as_json: bool, out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> None:
        self.as_json = as_json
        self.out = out
        self.err = err
        self.paint = Painter(out, enabled=False if as_json else None)

    def __call__(self, event: events.Event) -> None:
        if self.as_json:
            print(json.dumps(events.to_dict(event), default=str), file=self.out, flush=True)
        elif isinstance(event, events.Log):
            stream = self.out if event.stream == "stdout" else self.err
            stream.write(event.text)
            stream.flush()
        elif isinstance(event, events.Progress):
            print(self.paint(f"… {event.message}", "2"), file=self.err, flush=True)
        elif isinstance(event, events.DebugReady):
            attach = {
                "name": "Attach to spinlens",
                "type": "debugpy",
                "request": "attach",
                "connect": {"host": event.host, "port": event.port},
                "justMyCode": False,
            }
            waiting = f"⏸ waiting for a debugger on {event.host}:{event.port}"
            print(self.paint(waiting, "1"), file=self.err)
            print(
                'attach with this launch.json configuration ("type": "spinlens" '
                "without Microsoft's Python debugger):",
                file=self.err,
            )
            print(json.dumps(attach, indent=2), file=self.err, flush=True)
        elif isinstance(event, events.Started):
            source = event.source
            where = f"run {source.run_id}, task {source.task_id}"
            if source.index is not None:
                where += f", foreach index {source.index}"
            if source.iteration is not None:
                where += f", iteration {source.iteration}"
            warm = "warm kernel" if event.warm else "new kernel"
            line = f"▶ spinning {event.flow}.{event.step} ({where}; {warm})"
            print(self.paint(line, "1"), file=self.err, flush=True)

    def summary(self, result: SpinResult) -> None:
        if self.as_json:
            return
        # Metaflow's own artifacts are bookkeeping; --json and the Python API have them.
        everything = list(result.artifact_events.values())
        artifacts = [a for a in everything if not a.internal]
        hidden = len(everything) - len(artifacts)
        if not result.ok:
            failure = result.failure
            assert failure is not None
            if failure.traceback:
                print(failure.traceback.rstrip(), file=self.err)
            for line in partial_lines([a for a in artifacts if a.partial], self.paint):
                print(line, file=self.err)
            where = f" ({failure.file}:{failure.line})" if failure.file else ""
            print(self.paint(f"✗ {failure.error}{where}", "31"), file=self.err)
            return
        rows = [("artifact", "type", "size", "vs inputs", "vs source run", "vs previous spin")]
        statuses = []
        for a in artifacts:
            rows.append(
                (
                    a.name,
                    short_type(a.type),
                    size_text(a.size),
                    a.vs_inputs,
                    a.vs_source,
                    a.vs_previous or "-",
                )
            )
            statuses.append((a.vs_inputs, a.vs_source, a.vs_previous))
        print(file=self.out)
        for line in table(rows, self.paint, statuses, (3, 4, 5)):
            print(line, file=self.out)
        if hidden:
            note = f"{hidden} internal artifact{'s' if hidden != 1 else ''} hidden (Metaflow's own)"
            print(self.paint(note, "2"), file=self.out)
        for card in _cards(result):
            name = f"{card.type} {card.id}" if card.id else card.type
            print(f"card {name}: {card.path}", file=self.out)
        print(file=self.out)
        for a in artifacts:
            for comparison, label in _COMPARISONS:
                if comparison in a.diffs:
                    lines = diff_lines(a.diffs[comparison])
                    print(self.paint(f"{a.name} vs {label}: ", "1") + lines[0], file=self.out)
                    for line in lines[1:]:
                        print(f"    {line}", file=self.out)
        if result.removed:
            gone = f"no longer produced: {', '.join(result.removed)}"
            print(self.paint(gone, "31"), file=self.out)
        for a in artifacts:
            if a.error:
                print(self.paint(f"! {a.name}: {a.error}", "31"), file=self.out)
        nxt = ", ".join(result.next_steps) or "(end)"
        if result.foreach:
            nxt += f" (foreach over {result.foreach})"
        total, step = result.timings.get("total_s", 0.0), result.timings.get("step_s", 0.0)
        done = f"✓ ok in {total:.2f} s (step {step:.2f} s); next: {nxt}"
        print(self.paint(done, "32"), file=self.out)


def partial_lines(partial: Sequence[events.Artifact], paint: Painter) -> list[str]:
    """What a failed step had assigned before it raised: how far it got."""
    if not partial:
        return []
    rows = [("artifact", "type", "size", "value")]
    rows += [(a.name, short_type(a.type), size_text(a.size), a.summary) for a in partial]
    head = paint("assigned before the failure:", "1")
    return [head, *(f"  {line}" for line in table(rows, paint))]


def _cards(result: SpinResult) -> tuple[events.Card, ...]:
    finished = next((e for e in result.events if isinstance(e, events.Finished)), None)
    return finished.cards if finished else ()


def history_lines(records: Sequence[SpinRecord], paint: Painter) -> list[str]:
    rows = [("spin", "when", "status", "source", "step code", "changed vs source", "step")]
    for record in records:
        changed = [a.name for a in record.artifacts if a.status.get("source") != "unchanged"]
        source = record.source
        where = f"{source.get('run_id')}/{source.get('task_id')}"
        rows.append(
            (
                record.id,
                age_text(time.time() - record.created),
                record.status,
                where,
                record.step_source_hash or "?",
                ", ".join(changed) or "-",
                f"{record.timings.get('step_s', 0.0):.2f} s",
            )
        )
    return table(rows, paint)


def record_lines(record: SpinRecord, paint: Painter) -> list[str]:
    source = record.source
    head = [
        paint(f"spin {record.id}: {record.flow}.{record.step} ({record.status})", "1"),
        f"source: run {source.get('run_id')}, task {source.get('task_id')}"
        + (f", foreach index {source['index']}" if source.get("index") is not None else "")
        + (f", iteration {source['iteration']}" if source.get("iteration") is not None else ""),
        f"flow file: {record.flow_file}; step code {record.step_source_hash or '?'}",
    ]
    if record.error:
        head.append(paint(f"error: {record.error}", "31"))
    if not record.artifacts:
        return head
    rows = [("artifact", "type", "size", "stored", "vs inputs", "vs source run", "vs previous")]
    statuses = []
    for a in record.artifacts:
        stored = a.stored.to_dict()["format"] if a.stored else (a.error or "-")
        rows.append(
            (
                a.name,
                short_type(a.type),
                size_text(a.size),
                stored,
                a.status.get("inputs") or "-",
                a.status.get("source") or "-",
                a.status.get("previous") or "-",
            )
        )
        statuses.append((a.status.get("inputs"), a.status.get("source"), a.status.get("previous")))
    return [*head, "", *table(rows, paint, statuses, (4, 5, 6))]
