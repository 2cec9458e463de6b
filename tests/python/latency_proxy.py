"""A TCP proxy on 127.0.0.1 that adds a round trip's latency to every request.

moto answers on loopback in well under a millisecond, so a benchmark against it
cannot tell one request at a time from many at once; S3 from a laptop or a
cluster answers each request 10-50 ms later. The proxy holds each message (the
first bytes sent after the other side last spoke) for half the round trip in its
direction, so a request and its answer cost one round trip however large they
are, and connections wait in parallel, as they would on a network. It counts
the most requests ever awaiting their answers at once.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field


@dataclass
class LatencyProxy:
    target_port: int
    round_trip_s: float
    port: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _server: asyncio.base_events.Server | None = None
    _thread: threading.Thread | None = None

    def start(self) -> LatencyProxy:
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self._loop)
            self._server = self._loop.run_until_complete(
                asyncio.start_server(self._connection, "127.0.0.1", 0)
            )
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="latency-proxy", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._loop.call_soon_threadsafe(self._server.close)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    async def _connection(
        self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter
    ) -> None:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        # Which side spoke last: a chunk from the other side starts a new message.
        last = {"side": ""}

        async def pipe(
            side: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            try:
                while chunk := await reader.read(1 << 16):
                    if last["side"] != side:
                        last["side"] = side
                        self._count(+1 if side == "client" else -1)
                        await asyncio.sleep(self.round_trip_s / 2)
                    writer.write(chunk)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pipe("client", client_r, server_w), pipe("server", server_r, client_w))
        if last["side"] == "client":  # closed before its answer came
            self._count(-1)

    def _count(self, change: int) -> None:
        self.in_flight += change  # the event loop's thread only
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
