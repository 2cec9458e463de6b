"""``spinlens lsp``: the language server behind the editor extension (pygls, stdio)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from .. import __version__
from ..engine.metaflow_env import ensure_user
from ..wire.events import Event
from . import commands, intelligence, prewarm, value_pages
from .analyses import DocumentAnalyses
from .diagnostics import Diagnostics
from .explorer import Explorer
from .explorer import register as register_explorer
from .kernels import Kernels
from .lenses import code_lenses, is_python
from .methods import (
    CANCEL,
    DEBUG,
    FLOW_GRAPH,
    FLOW_PARAMETERS,
    LIST_RUNS,
    LIST_STEPS,
    LIST_TASKS,
    PREWARM,
    RESTART_KERNEL,
    RUN_FLOW,
    SET_SOURCE_RUN,
    SET_TASK,
    SPIN,
    VALUE_PAGE,
)
from .outcomes import Outcomes, SpinOutcome
from .payloads import invalid, to_wire
from .protocol import SpinlensProtocol
from .run_flow import FlowRuns
from .run_lenses import extra_lenses
from .run_status import RunStatuses
from .settings import SECTION, WorkspaceSettings, containing_folder, has_settings
from .source_runs import SourceRuns
from .step_index import StepIndexes
from .tasks import ForeachChoices, ForeachSteps
from .values import LastSpins, SourceValues
from .workers import Workers

logger = logging.getLogger(__name__)

CLOSE_WAIT_S = 5.0  # how long a stopping server lets cancelled spins wind down


class SpinlensServer(LanguageServer):
    """The handlers' shared state, each part with one owner: settings, the kernels
    (and the spins queued on them), chosen source runs, last outcomes, documents'
    step indexes, and the threads."""

    def __init__(self) -> None:
        super().__init__(
            "spinlens",
            __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            protocol_cls=SpinlensProtocol,
        )
        self.settings = WorkspaceSettings()
        self.kernels = Kernels()
        self.source_runs = SourceRuns()
        self.outcomes = Outcomes()
        self.step_indexes = StepIndexes()
        self.workers = Workers()
        # Never-run flows and foreach children (run_flow.py, run_status.py, tasks.py).
        self.flow_runs = FlowRuns()
        self.run_statuses = RunStatuses()
        self.foreach_choices = ForeachChoices()
        self.foreach_steps = ForeachSteps()
        # Hover, completion, navigation, diagnostics and inlay hints (intelligence.py).
        self.analyses = DocumentAnalyses()
        self.last_spins = LastSpins()
        self.source_values = SourceValues(self.workers)
        self.diagnostics = Diagnostics(self)
        self.explorer = Explorer()  # the runs tree's Metaflow readers (explorer.py)
        self.shutdown_requested = False
        self._closed = False
        self._close_lock = threading.Lock()

    def log(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """window/logMessage, from any thread (never stdout: it is the LSP channel)."""
        params = types.LogMessageParams(type=kind, message=message)
        self.workers.in_loop(self.window_log_message, params)

    def request_cancelled(self, msg_id: Any) -> None:
        """``$/cancelRequest`` (on the event loop): cancel the spin that request made."""
        job = self.kernels.find(message_id=msg_id)
        if job is not None:
            job.cancel()
        run = self.flow_runs.find(message_id=msg_id)
        if run is not None:
            run.cancel()

    # -- documents --------------------------------------------------------------
    def flow_path(self, uri: str) -> str:
        path = file_path(uri)
        if path is None:
            raise invalid(f"{uri} is not a file: only files on disk can be spun")
        return path

    def open_text(self, uri: str) -> str | None:
        """The buffer's text if the client opened the document, else None (read the file)."""
        document = self.workspace.text_documents.get(uri)
        return document.source if document is not None else None

    def folder_roots(self) -> dict[str, str]:
        """Each workspace folder's resolved path -> its URI (the root if no folders)."""
        roots = {
            str(Path(path).resolve()): folder.uri
            for folder in self.workspace.folders.values()
            if (path := to_fs_path(folder.uri))
        }
        if not roots and self.workspace.root_path and self.workspace.root_uri:
            roots[str(Path(self.workspace.root_path).resolve())] = self.workspace.root_uri
        return roots

    def history_dir(self, flow_file: str) -> str | None:
        """``.spinlens`` in the workspace folder holding the file (else beside the file)."""
        root = containing_folder(flow_file, self.folder_roots())
        return str(Path(root) / ".spinlens") if root is not None else None

    async def read_folder_settings(self) -> None:
        """Ask the client for each workspace folder's ``spinlens`` section."""
        workspace = self.client_capabilities.workspace
        roots = self.folder_roots()
        if not (workspace and workspace.configuration and roots):
            return
        items = [types.ConfigurationItem(scope_uri=uri, section=SECTION) for uri in roots.values()]
        params = types.ConfigurationParams(items=items)
        try:
            values = await self.workspace_configuration_async(params)
        except Exception as exc:  # the client could not answer: keep what we have
            self.log(f"Could not read the spinlens settings: {exc}", types.MessageType.Warning)
            return
        self.settings.set_folders(dict(zip(roots, values or [], strict=False)))

    # -- after a spin -------------------------------------------------------------
    def spun(self, flow_file: str, outcome: SpinOutcome, events: Sequence[Event] = ()) -> None:
        """Keep the spin's outcome for its lens and its values for hovers, log it,
        and ask for fresh lenses, diagnostics and inlay hints."""
        self.outcomes.record(flow_file, outcome)
        self.last_spins.record(flow_file, outcome.flow, outcome.step, events)
        intelligence.after_spin(self, flow_file)
        failed = outcome.status != "ok" and outcome.kind != "cancelled"
        self.log(outcome.summary(), types.MessageType.Error if failed else types.MessageType.Info)
        workspace = self.client_capabilities.workspace
        if workspace and workspace.code_lens and workspace.code_lens.refresh_support:
            self.workspace_code_lens_refresh(None)

    # -- stopping ---------------------------------------------------------------
    def close_kernels(self, wait_s: float = CLOSE_WAIT_S) -> None:
        """Cancel every spin, let them end (briefly), stop every kernel. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self.kernels.cancel_all()
        self.flow_runs.cancel_all()
        self.workers.wait(wait_s)
        self.kernels.close_all()
        self.explorer.close()
        self.workers.shutdown()

    def shutdown(self) -> None:
        """pygls' end of the stdio loop (stdin EOF, exit, a signal): stop the kernels.

        Unlike the base class it does not wait for the thread pool, whose stdin
        reader may stay blocked until the client closes the pipe.
        """
        self.close_kernels()
        if self._stop_event is not None:
            self._stop_event.set()
        if self._thread_pool is not None:
            self._thread_pool.shutdown(wait=False, cancel_futures=True)


def file_path(uri: str) -> str | None:
    """The absolute path of a ``file:`` URI, else None."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    return str(Path(path).resolve()) if path else None


def build_server() -> SpinlensServer:
    server = SpinlensServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: SpinlensServer, params: types.InitializeParams) -> None:
        ls.workers.loop = asyncio.get_running_loop()
        ls.settings.update_window(params.initialization_options)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SpinlensServer, params: types.InitializedParams) -> None:
        await ls.read_folder_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: SpinlensServer, params: types.DidChangeConfigurationParams
    ) -> None:
        # Push-model clients send the window's settings; folders are always asked for.
        if has_settings(params.settings):
            ls.settings.update_window(params.settings)
        await ls.read_folder_settings()

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_folders(
        ls: SpinlensServer, params: types.DidChangeWorkspaceFoldersParams
    ) -> None:
        await ls.read_folder_settings()

    @server.feature(types.TEXT_DOCUMENT_CODE_LENS, types.CodeLensOptions(resolve_provider=False))
    def code_lens(ls: SpinlensServer, params: types.CodeLensParams) -> list[types.CodeLens]:
        uri = params.text_document.uri
        document = ls.workspace.get_text_document(uri)
        if not is_python(uri, document.language_id):
            return []
        index = ls.step_indexes.index(uri, document.source, document.path or uri)
        path = file_path(uri)
        outcome = ls.outcomes.lookup(path) if path is not None else lambda flow, step: None
        lenses = code_lenses(uri, index, outcome, time.time())
        if path is not None:
            lenses += extra_lenses(ls, uri, path, document.source, index)
        return lenses

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SpinlensServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.step_indexes.forget(uri)
        ls.foreach_steps.forget(uri)
        intelligence.forget_document(ls, uri)
        path = file_path(uri)
        if path is not None:
            ls.outcomes.forget(path)
            ls.run_statuses.forget(path)

    intelligence.register(server)

    @server.feature(types.SHUTDOWN)
    async def shutdown(ls: SpinlensServer, params: None) -> None:
        ls.shutdown_requested = True
        await asyncio.to_thread(ls.close_kernels)

    @server.feature(types.EXIT)
    def exit_(ls: SpinlensServer, params: None) -> None:
        ls.close_kernels()

    # Results go out through to_wire: pygls would serialize a dataclass by its
    # Python field names, not the protocol's camelCase ones.
    @server.command(SPIN)
    async def spin(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(await commands.spin(ls, arguments))

    @server.command(DEBUG)
    async def debug(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(await commands.spin(ls, arguments, debug=True))

    @server.command(CANCEL)
    def cancel(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(commands.cancel(ls, arguments))

    @server.command(LIST_RUNS)
    async def list_runs(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(await commands.list_flow_runs(ls, arguments))

    @server.command(SET_SOURCE_RUN)
    def set_source_run(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(commands.set_source_run(ls, arguments))

    @server.command(RESTART_KERNEL)
    async def restart_kernel(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(await commands.restart_kernel(ls, arguments))

    @server.command(LIST_STEPS)
    def list_steps(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(commands.list_steps(ls, arguments))

    @server.command(RUN_FLOW)
    async def run_flow(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(await commands.run_flow(ls, arguments))

    @server.command(FLOW_PARAMETERS)
    def flow_parameters(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(commands.flow_parameters(ls, arguments))

    @server.command(LIST_TASKS)
    async def list_tasks(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(await commands.list_step_tasks(ls, arguments))

    @server.command(SET_TASK)
    def set_task(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(commands.set_task(ls, arguments))

    @server.command(FLOW_GRAPH)
    def flow_graph(ls: SpinlensServer, *arguments: Any) -> Any:
        return commands.file_graph(ls, arguments).to_dict()  # 0-based lines on the wire

    @server.command(VALUE_PAGE)
    async def value_page(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(await value_pages.value_page(ls, arguments))

    @server.command(PREWARM)
    async def prewarm_step(ls: SpinlensServer, *arguments: Any) -> Any:
        return to_wire(await prewarm.prewarm(ls, arguments))

    register_explorer(server)
    return server


def _claim_stdout() -> BinaryIO:
    """The LSP channel: the real stdout, moved to a private descriptor.

    File descriptor 1 then points at stderr, so a stray print (ours, a
    library's, a subprocess's) cannot corrupt the protocol stream.
    """
    channel = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return channel


def main() -> int:
    """Serve over stdio until the client says exit or closes stdin."""
    ensure_user()
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="spinlens lsp: %(message)s",
    )
    channel = _claim_stdout()
    server = build_server()
    # SIGTERM unwinds like Ctrl-C (SystemExit in the loop), through server.shutdown().
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    server.start_io(sys.stdin.buffer, channel)
    server.close_kernels()
    code = 0 if server.shutdown_requested else 1
    sys.stderr.flush()
    # Not sys.exit: the interpreter would join pygls' stdin reader thread, which
    # may block until the client closes the pipe; every kernel is stopped by now.
    os._exit(code)
