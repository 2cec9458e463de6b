"""``spinlens.server.valuePage``: one page of a value for the value viewer.

A spin's output is paged by its parked child, a source-run artifact by the flow
file's kernel (``engine/value_pages.py``), through ``SpinSession.value_page``.
Never starts a kernel: without one, the reply is an error that says so.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pygls.exceptions import JsonRpcInternalError

from ..errors import SpinError
from ..wire.frames import BadFrame
from .methods import VALUE_PAGE
from .payloads import ValuePageArgs, ValuePageReply

if TYPE_CHECKING:
    from .server import SpinlensServer

logger = logging.getLogger(__name__)

NO_KERNEL = (
    "The kernel that held this value has stopped, so it can no longer be paged: "
    "spin the step again to view its values."
)
NO_KERNEL_FOR_RUNS = (
    "No kernel runs for this flow file, and viewing a value never starts one: "
    "spin a step of the file once, then its runs' values can be paged."
)


async def value_page(server: SpinlensServer, arguments: Sequence[Any]) -> ValuePageReply:
    args = ValuePageArgs.parse(VALUE_PAGE, arguments)
    gone = NO_KERNEL if args.spin_id is not None else NO_KERNEL_FOR_RUNS
    kernel = server.kernels.get(server.flow_path(args.uri))
    if kernel is None or kernel.session is None or kernel.session.kernel_pid is None:
        raise JsonRpcInternalError(gone)
    async with kernel.lock:  # after the spins queued before it; one caller per session
        session = kernel.session
        if session is None or session.kernel_pid is None:
            raise JsonRpcInternalError(gone)
        try:
            page = await server.workers.in_worker(
                lambda: session.value_page(
                    args.name,
                    spin_id=args.spin_id,
                    task=args.task,
                    path=args.path,
                    offset=args.offset,
                    limit=args.limit,
                    sort=args.sort,
                    descending=args.descending,
                    as_text=args.as_text,
                )
            )
        except SpinError as exc:
            raise JsonRpcInternalError(str(exc)) from None
        except (OSError, EOFError, BadFrame) as exc:  # the kernel went away meanwhile
            logger.info("value page of %s in %s: %s", args.name, kernel.flow_file, exc)
            raise JsonRpcInternalError(gone) from None
    return ValuePageReply(page=page)
