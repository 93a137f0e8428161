"""Run a risky read in a child process with a memory cap, so a file built to exhaust memory (a Rust
allocation failure aborts the whole process) costs only the child. POSIX only; elsewhere it runs inline."""

from __future__ import annotations

import multiprocessing
import resource
from collections.abc import Callable
from typing import Any

from .messages import TEXT

DEFAULT_MEMORY = 4 * 1024**3
DEFAULT_TIMEOUT = 300.0


class Died(Exception):
    """The child process was killed (memory cap, crash) or ran out of time."""


def cap_memory(limit: int) -> None:
    """Cap this process's address space (a reader that tries to allocate more fails in this process only)."""
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        pass


def _child(conn: Any, fn: Callable[..., Any], args: tuple[Any, ...], memory: int) -> None:
    cap_memory(memory)
    try:
        conn.send((True, fn(*args)))
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, which decides
        conn.send((False, exc))
    finally:
        conn.close()


def run_isolated(fn: Callable[..., Any], *args: Any, memory: int = DEFAULT_MEMORY,
                 timeout: float = DEFAULT_TIMEOUT) -> Any:
    """fn(*args) in a forked child; its exception is re-raised here; Died if the child did not finish."""
    try:
        ctx = multiprocessing.get_context("fork")
    except ValueError:  # no fork (Windows): run inline
        return fn(*args)
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, fn, args, memory), daemon=True)
    proc.start()
    send.close()
    try:
        if not receive.poll(timeout):
            raise Died(TEXT["isolate.timeout"].format(seconds=timeout))
        ok, value = receive.recv()
    except EOFError as exc:
        raise Died(TEXT["isolate.died"].format(code=proc.exitcode)) from exc
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join()
        receive.close()
    if not ok:
        raise value
    return value
