"""The source run chosen per flow file (``spinlens.server.setSourceRun``)."""

from __future__ import annotations


class SourceRuns:
    """Each flow file's chosen run, by absolute path; the server's, not the client's,
    so it survives nothing but the server (a restarted server starts with none)."""

    def __init__(self) -> None:
        self._by_path: dict[str, str] = {}

    def choose(self, flow_file: str, run_id: str | None) -> None:
        """Spin ``flow_file`` from ``run_id``; None clears the choice."""
        if run_id is None:
            self._by_path.pop(flow_file, None)
        else:
            self._by_path[flow_file] = run_id

    def chosen(self, flow_file: str) -> str | None:
        return self._by_path.get(flow_file)

    def for_spin(self, flow_file: str, requested: str | None, default: str | None) -> str | None:
        """The run a spin uses: the request's, else the file's choice, else ``default``
        (None: the latest successful run)."""
        return requested or self._by_path.get(flow_file) or default
