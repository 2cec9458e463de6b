"""Security: what Spinlens listens on, and that it never hands a command to a shell.

Listening sockets are read from the kernel's own tables, ``/proc/<pid>/net/tcp{,6}``,
matched with the socket inodes a process holds in ``/proc/<pid>/fd``: exactly what
each process has bound, whatever library opened it.
"""

from __future__ import annotations

import ast
import os
import socket
import struct
import subprocess
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from dapclient import DapClient, read_attach_configuration
from flowruns import FlowRun
from procs import children, cmdline, processes
from spinlens import SpinSession
from test_debug import DebugSpin

SERVER = Path(__file__).resolve().parents[2] / "server" / "spinlens"
LOOPBACK = "127.0.0.1"
TCP_LISTEN = "0A"  # the state column of /proc/net/tcp for a listening socket
TAG_VARIABLE = "SPINLENS_TEST_TAG"  # marks the processes one test starts


# -- what a process listens on ----------------------------------------------------


@dataclass(frozen=True)
class Listener:
    pid: int
    host: str
    port: int


def _socket_inodes(pid: int) -> set[int]:
    inodes = set()
    try:
        fds = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:  # the process ended
        return inodes
    for fd in fds:
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def _address(hex_address: str) -> str:
    """An address as /proc/net/tcp{,6} prints it: 32-bit words in host byte order."""
    words = [int(hex_address[i : i + 8], 16) for i in range(0, len(hex_address), 8)]
    raw = b"".join(struct.pack("=I", word) for word in words)
    return socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)


def tcp_listeners(pid: int) -> list[Listener]:
    """The TCP sockets (IPv4 and IPv6) that process ``pid`` holds in the listening state."""
    inodes = _socket_inodes(pid)
    found = []
    for table in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except FileNotFoundError:  # no IPv6 in this kernel
            continue
        for row in rows:
            fields = row.split()
            local, state, inode = fields[1], fields[3], int(fields[9])
            if state == TCP_LISTEN and inode in inodes:
                host, port = local.rsplit(":", 1)
                found.append(Listener(pid, _address(host), int(port, 16)))
    return found


def process_tree(root: int) -> set[int]:
    """``root``, its descendants, and the processes of any session one of them leads."""
    table = list(processes())
    tree = {root}
    while more := {p.pid for p in table if p.ppid in tree or p.session in tree} - tree:
        tree |= more
    return tree


def tagged(tag: str) -> set[int]:
    """Processes whose environment holds ``TAG_VARIABLE=tag``, also those that left the
    tree (debugpy's out-of-process adapter double-forks and calls setsid)."""
    needle = f"{TAG_VARIABLE}={tag}\0".encode()
    found = set()
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if needle in (proc / "environ").read_bytes():
                    found.add(int(proc.name))
            except OSError:
                continue
    return found & {p.pid for p in processes()}  # no zombies


def tag_environment() -> tuple[str, dict[str, str]]:
    tag = uuid.uuid4().hex
    return tag, {**os.environ, TAG_VARIABLE: tag}


def listeners_of(pids: set[int]) -> dict[int, list[Listener]]:
    return {pid: tcp_listeners(pid) for pid in sorted(pids)}


def describe(listeners: dict[int, list[Listener]]) -> str:
    return "\n".join(
        f"  {pid} {cmdline(pid)[:150]}: "
        + (", ".join(f"{lst.host}:{lst.port}" for lst in found) or "no TCP listener")
        for pid, found in listeners.items()
    )


def test_the_listener_reader_sees_sockets_on_any_address() -> None:
    """The reader itself: it reports wildcard listeners as such (so the tests below
    would see a server bound to 0.0.0.0 or ::), and only listening sockets."""
    pid = os.getpid()
    before = set(tcp_listeners(pid))
    with (
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as v4,
        socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as v6,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as loop,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as bound_only,
    ):
        v4.bind(("0.0.0.0", 0))
        v6.bind(("::", 0))
        loop.bind((LOOPBACK, 0))
        bound_only.bind((LOOPBACK, 0))
        for sock in (v4, v6, loop):
            sock.listen()
        expected = {
            Listener(pid, "0.0.0.0", v4.getsockname()[1]),
            Listener(pid, "::", v6.getsockname()[1]),
            Listener(pid, LOOPBACK, loop.getsockname()[1]),
        }
        assert set(tcp_listeners(pid)) - before == expected


# -- debug spins ------------------------------------------------------------------


def test_a_debug_spin_listens_on_loopback_only(flow_runs: Callable[..., FlowRun]) -> None:
    """While a debug spin waits for its debugger, every TCP listener of its processes
    (the spin child, and debugpy's adapter when it runs as a process of its own) is on
    127.0.0.1, the announced port among them; the kernel has none."""
    run = flow_runs("linear_flow.py")
    tag, env = tag_environment()
    with SpinSession(run.file, env=env) as session:
        spin = DebugSpin(session, "middle")  # returns once the step waits for a debugger
        try:
            kernel = session.kernel_pid
            assert kernel is not None
            found = listeners_of(process_tree(kernel) | tagged(tag))
            report = describe(found)
            assert len(found) >= 2, f"expected the kernel and the spin child:\n{report}"
            assert found[kernel] == [], f"the kernel listens:\n{report}"
            everything = [lst for listeners in found.values() for lst in listeners]
            assert any(lst.port == spin.where.port for lst in everything), (
                f"nobody listens on the announced port {spin.where.port}:\n{report}"
            )
            assert {lst.host for lst in everything} == {LOOPBACK}, report
            assert spin.where.host == LOOPBACK
        finally:
            spin.attach()
        result = spin.result()
    assert result.ok, result.error


def test_cli_debug_with_a_port_binds_it_on_loopback(flow_runs: Callable[..., FlowRun]) -> None:
    """`spinlens spin --debug --port N`: N is bound on 127.0.0.1, and so is everything
    else its processes listen on; neither the CLI nor its kernel listens."""
    run = flow_runs("linear_flow.py")
    tag, env = tag_environment()
    with socket.socket() as probe:  # a port free right now
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "spinlens.cli", "spin", run.file.name, "middle", "--debug"]
        + ["--port", str(port)],
        cwd=run.folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    try:
        config = read_attach_configuration(proc.stderr)
        assert config["connect"] == {"host": LOOPBACK, "port": port}
        try:
            found = listeners_of(process_tree(proc.pid) | tagged(tag))
            report = describe(found)
            kernels = [
                pid for pid in children(proc.pid) if "spinlens.engine.kernel" in cmdline(pid)
            ]
            assert len(kernels) == 1, report
            assert found[proc.pid] == [], f"the CLI itself listens:\n{report}"
            assert found[kernels[0]] == [], f"the kernel listens:\n{report}"
            everything = [lst for listeners in found.values() for lst in listeners]
            assert Listener(_owner(found, port), LOOPBACK, port) in everything, report
            assert {lst.host for lst in everything} == {LOOPBACK}, report
        finally:
            # Let the step run; stay attached until it ends (detaching cancels it).
            dap = DapClient(LOOPBACK, port)
            dap.attach({"justMyCode": False})
        try:
            out, _ = proc.communicate(timeout=120)
        finally:
            dap.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out


def _owner(found: dict[int, list[Listener]], port: int) -> int:
    owners = [pid for pid, listeners in found.items() if any(lst.port == port for lst in listeners)]
    assert owners, f"nobody listens on port {port}:\n{describe(found)}"
    return owners[0]


# -- no shell ---------------------------------------------------------------------

# Functions that always run their argument through a shell.
SHELL_FUNCTIONS = {
    "os.system",
    "os.popen",
    "subprocess.getoutput",
    "subprocess.getstatusoutput",
    "asyncio.create_subprocess_shell",
}
SHELL_METHODS = {"subprocess_shell", "create_subprocess_shell"}  # asyncio loops
SHELLS = {"sh", "bash", "zsh", "dash", "ksh", "fish", "cmd", "cmd.exe", "powershell", "pwsh"}


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Local name -> dotted origin, for the module's imports."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    names[head] = head
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr, names: dict[str, str]) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(names.get(node.id, node.id))
    return ".".join(reversed(parts))


def _is_shell_program(node: ast.expr) -> bool:
    if not isinstance(node, ast.Constant) or not isinstance(node.value, str):
        return False
    return os.path.basename(node.value).lower() in SHELLS


def shell_uses(source: str, filename: str) -> list[str]:
    """``file:line: what`` for every way this source could hand a string to a shell."""
    tree = ast.parse(source, filename)
    names = _imported_names(tree)
    found = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Call):
            target = _dotted(node.func, names)
            if target in SHELL_FUNCTIONS:
                found.append(f"{where}: {target}() runs its argument through a shell")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in SHELL_METHODS:
                found.append(f"{where}: .{node.func.attr}() runs its argument through a shell")
            for keyword in node.keywords:
                if keyword.arg == "shell" and not (
                    isinstance(keyword.value, ast.Constant) and keyword.value.value is False
                ):
                    found.append(
                        f"{where}: {target or 'a call'}(shell={ast.unparse(keyword.value)})"
                    )
                elif keyword.arg is None and target and target.startswith("subprocess."):
                    found.append(f"{where}: {target}(**...) could pass shell=True")
        elif isinstance(node, ast.List | ast.Tuple) and len(node.elts) >= 2:
            first, second = node.elts[0], node.elts[1]
            if (
                _is_shell_program(first)
                and isinstance(second, ast.Constant)
                and second.value in ("-c", "/c", "-Command")
            ):
                found.append(f"{where}: a command line that runs a shell ({ast.unparse(node)})")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess\nsubprocess.run(cmd, shell=True)",
        "import subprocess as sp\nsp.Popen(cmd, shell=use_shell)",
        "from subprocess import check_output as co\nco(cmd, shell=1)",
        "import subprocess\nsubprocess.run(cmd, **options)",
        "import os\nos.system(cmd)",
        "from os import popen\npopen(cmd)",
        "import subprocess\nsubprocess.getoutput(cmd)",
        "import asyncio\nasyncio.create_subprocess_shell(cmd)",
        "loop.subprocess_shell(factory, cmd)",
        "import subprocess\nsubprocess.run(['/bin/sh', '-c', cmd])",
        "import os\nos.execvp('bash', ('bash', '-c', cmd))",
    ],
)
def test_the_shell_scan_catches(source: str) -> None:
    assert shell_uses(source, "example.py"), source


@pytest.mark.parametrize(
    "source",
    [
        "import subprocess\nsubprocess.run([sys.executable, flow_file, 'run'], shell=False)",
        "import subprocess\nsubprocess.Popen(['python', '-c', code])",
        "import os\nos.path.join(a, b)",
    ],
)
def test_the_shell_scan_lets_argument_lists_through(source: str) -> None:
    assert shell_uses(source, "example.py") == []


def test_the_backend_never_runs_a_shell() -> None:
    files = sorted(SERVER.rglob("*.py"))
    assert len(files) > 10, SERVER
    found = [
        use
        for file in files
        for use in shell_uses(file.read_text(), str(file.relative_to(SERVER.parents[1])))
    ]
    assert found == [], "\n".join(found)
