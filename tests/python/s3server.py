"""A local S3-compatible server (moto's) for runs with ``--datastore s3``.

The server runs as its own process on 127.0.0.1 and logs one line per HTTP
request; tests read that log to count what a spin asked S3 for.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

BUCKET = "spinlens-test"
REGION = "us-east-1"

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# werkzeug's access log: 127.0.0.1 - - [date] "GET /bucket/key?query HTTP/1.1" 200 -
_REQUEST = re.compile(r'"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3})')


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    status: int


@dataclass
class S3Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def sysroot(self) -> str:
        return f"s3://{BUCKET}/metaflow"

    def metaflow_env(self, home: Path) -> dict[str, str]:
        """Environment variables that point Metaflow at this server, with local
        metadata; ``home`` (an empty folder) stands in for ~/.metaflowconfig so a
        developer's own configuration cannot redirect the test."""
        return {
            "METAFLOW_HOME": str(home),
            "METAFLOW_DEFAULT_DATASTORE": "s3",
            "METAFLOW_DATASTORE_SYSROOT_S3": self.sysroot,
            "METAFLOW_S3_ENDPOINT_URL": self.endpoint,
            "METAFLOW_DEFAULT_METADATA": "local",
            # A broken server should fail the test quickly, not after minutes of retries.
            "METAFLOW_S3_RETRY_COUNT": "1",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def objects(self, prefix: str = "") -> dict[str, tuple[str, int]]:
        """Every key under prefix with its ETag and size."""
        found: dict[str, tuple[str, int]] = {}
        pages = (
            self.client().get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        )
        for page in pages:
            for obj in page.get("Contents", []):
                found[obj["Key"]] = (obj["ETag"], obj["Size"])
        return found

    def requests(self) -> list[Request]:
        """Every request the server has logged so far, in order."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            match = _REQUEST.search(_ANSI.sub("", line))
            if match:
                found.append(Request(match[1], match[2], int(match[3])))
        return found

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start_server(folder: Path, timeout: float = 30.0) -> S3Server:
    """moto's server on a free loopback port, answering, with the test bucket made."""
    for _attempt in range(3):  # another process may take the free port before moto binds it
        port = _free_port()
        log = folder / f"moto-{port}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        server = S3Server(process, port, log)
        deadline = time.monotonic() + timeout
        while process.poll() is None and time.monotonic() < deadline:
            if _answers(f"{server.endpoint}/moto-api/"):
                server.client().create_bucket(Bucket=BUCKET)
                return server
            time.sleep(0.1)
        server.stop()
    raise RuntimeError(f"moto's S3 server did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A fresh S3 server (and bucket) per test module, stopped afterwards."""
    server = start_server(tmp_path_factory.mktemp("s3"))
    try:
        yield server
    finally:
        server.stop()
