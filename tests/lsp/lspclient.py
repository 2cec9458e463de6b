"""A real LSP client (pygls) driving a real ``spinlens lsp`` process."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import attrs
from lsprotocol import types
from pygls.lsp.client import BaseLanguageClient
from pygls.protocol import LanguageServerProtocol
from pygls.uris import from_fs_path

from spinlens.lsp.methods import (
    CANCEL,
    DEBUG,
    EVENT,
    LIST_RUNS,
    LIST_STEPS,
    RESTART_KERNEL,
    SET_SOURCE_RUN,
    SPIN,
)

__all__ = [
    "CANCEL",
    "DEBUG",
    "LIST_RUNS",
    "LIST_STEPS",
    "RESTART_KERNEL",
    "SET_SOURCE_RUN",
    "SPIN",
]


def file_uri(path: Path) -> str:
    uri = from_fs_path(str(path))
    assert uri is not None
    return uri


@attrs.define
class RawNotification:
    """A notification whose params stay plain JSON (pygls turns unknown ones into
    namedtuples, which would lose keys that are not identifiers)."""

    method: str
    jsonrpc: str
    params: Any = None


class RawEventProtocol(LanguageServerProtocol):
    def get_message_type(self, method: str) -> Any:
        if method == EVENT:
            return RawNotification
        return super().get_message_type(method)


def new_client() -> BaseLanguageClient:
    return BaseLanguageClient("spinlens-tests", "0", protocol_cls=RawEventProtocol)


@dataclass
class Received:
    at: float
    params: Any


@dataclass
class SpinlensClient:
    """The client side of one server process, with everything the server sent."""

    root: Path
    client: BaseLanguageClient = field(default_factory=new_client)
    events: list[Received] = field(default_factory=list)  # spinlens/event params
    progress: list[Received] = field(default_factory=list)  # $/progress params
    progress_tokens: list[str] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    refreshes: int = 0
    configuration_requests: int = 0  # workspace/configuration requests answered
    stderr: bytearray = field(default_factory=bytearray)
    versions: dict[str, int] = field(default_factory=dict)
    python: str = sys.executable  # the interpreter that runs the server

    async def start(
        self,
        init_options: dict[str, Any] | None = None,
        folders: dict[Path, dict[str, Any]] | None = None,
    ) -> None:
        """Initialize; ``folders`` (folder -> its ``spinlens`` section) makes a
        multi-root workspace whose client answers ``workspace/configuration``."""
        client = self.client
        sections = {file_uri(folder): section for folder, section in (folders or {}).items()}

        @client.feature(types.WORKSPACE_CONFIGURATION)
        def on_configuration(params: types.ConfigurationParams) -> list[Any]:
            self.configuration_requests += 1
            return [sections.get(item.scope_uri or "") for item in params.items]

        @client.feature(EVENT)
        def on_event(params: Any) -> None:
            self.events.append(Received(time.perf_counter(), params))

        @client.feature(types.PROGRESS)
        def on_progress(params: Any) -> None:
            self.progress.append(Received(time.perf_counter(), params))

        @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
        def on_progress_create(params: types.WorkDoneProgressCreateParams) -> None:
            self.progress_tokens.append(str(params.token))

        @client.feature(types.WORKSPACE_CODE_LENS_REFRESH)
        def on_refresh(params: Any) -> None:
            self.refreshes += 1

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params: types.LogMessageParams) -> None:
            self.logs.append(params.message)

        await client.start_io(self.python, "-m", "spinlens.cli", "lsp", cwd=str(self.root))
        server = client._server
        assert server is not None and server.stderr is not None
        # Nobody else reads the server's stderr pipe; a full pipe would block it.
        asyncio.ensure_future(self._drain(server.stderr))
        await client.initialize_async(
            types.InitializeParams(
                process_id=os.getpid(),
                root_uri=file_uri(self.root),
                workspace_folders=[
                    types.WorkspaceFolder(uri=uri, name=Path(uri).name)
                    for uri in sections or [file_uri(self.root)]
                ],
                capabilities=types.ClientCapabilities(
                    window=types.WindowClientCapabilities(work_done_progress=True),
                    workspace=types.WorkspaceClientCapabilities(
                        code_lens=types.CodeLensWorkspaceClientCapabilities(refresh_support=True),
                        configuration=bool(sections),
                    ),
                ),
                initialization_options=init_options,
            )
        )
        client.initialized(types.InitializedParams())

    async def _drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self.stderr.extend(chunk)

    @property
    def pid(self) -> int:
        assert self.client._server is not None
        return self.client._server.pid

    # -- documents --------------------------------------------------------------
    def open(self, path: Path, text: str, language_id: str = "python") -> str:
        uri = file_uri(path)
        self.versions[uri] = 1
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
            )
        )
        return uri

    def replace(self, uri: str, text: str) -> None:
        """An unsaved edit: the whole buffer's new text."""
        self.versions[uri] += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def insert(self, uri: str, line: int, text: str) -> None:
        """An unsaved incremental edit: ``text`` inserted at the start of 0-based ``line``."""
        self.versions[uri] += 1
        at = types.Position(line=line, character=0)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=uri, version=self.versions[uri]
                ),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=at, end=at), text=text
                    )
                ],
            )
        )

    async def lenses(self, uri: str) -> list[types.CodeLens]:
        result = await self.client.text_document_code_lens_async(
            types.CodeLensParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        return list(result or [])

    async def command(self, name: str, *arguments: Any) -> Any:
        return await self.client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=name, arguments=list(arguments))
        )

    # -- spin events ------------------------------------------------------------
    def spin_events(self, spin_id: str) -> list[dict[str, Any]]:
        return [r.params["event"] for r in self.events if r.params["event"]["spin_id"] == spin_id]

    def request_events(self, request_id: str) -> list[dict[str, Any]]:
        """The events of the spin request that gave ``requestId``."""
        return [r.params["event"] for r in self.events if r.params["requestId"] == request_id]

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 30.0) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := predicate():
                return value
            await asyncio.sleep(0.01)
        raise AssertionError(f"timed out after {timeout} s; server stderr:\n{self.stderr_text}")

    @property
    def stderr_text(self) -> str:
        return self.stderr.decode(errors="replace")[-4000:]

    # -- stopping ---------------------------------------------------------------
    async def stop(self) -> int:
        """shutdown, exit; the server's exit code."""
        await self.client.shutdown_async(None)
        self.client.exit(None)
        return await self.wait_exit()

    async def wait_exit(self, timeout: float = 15.0) -> int:
        server = self.client._server
        assert server is not None
        code = await asyncio.wait_for(server.wait(), timeout)
        await self.client.stop()
        return code


def kernel_pids(flow_file: Path) -> list[int]:
    """Processes whose command line names the flow file (kernels and their children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(flow_file) in cmdline and "spinlens" in cmdline:
            found.append(int(entry.name))
    return found
