"""Run a risky read in a child process with a memory cap, so a file built to exhaust memory (a Rust
allocation failure aborts the whole process) costs only the child. The cap (RLIMIT_AS) exists only on
POSIX; on Windows the child runs uncapped (a crash still costs only the child), and `-v` says so."""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Callable
from types import ModuleType
from typing import Any

from .messages import TEXT

DEFAULT_MEMORY = 4 * 1024**3
DEFAULT_TIMEOUT = 300.0

log = logging.getLogger(__name__)


class Died(Exception):
    """The child process was killed (memory cap, crash) or ran out of time."""


def _resource() -> ModuleType | None:
    """The POSIX `resource` module, or None where there is none (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    return resource


def can_cap_memory() -> bool:
    """Whether this system can cap a process's memory (POSIX RLIMIT_AS); Windows cannot."""
    resource = _resource()
    return resource is not None and hasattr(resource, "RLIMIT_AS")


def say_uncapped() -> None:
    """The `-v` line saying that worker processes run without a memory cap here."""
    if not can_cap_memory():
        log.info(TEXT["isolate.log.no_cap"])


def cap_memory(limit: int) -> bool:
    """Cap this process's address space (a reader that tries to allocate more fails in this process only);
    False where the system has no such cap (Windows) or refuses it."""
    resource = _resource()
    if resource is None or not hasattr(resource, "RLIMIT_AS"):
        return False
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ValueError, OSError):
        return False
    return True


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
    """fn(*args) in a child process (the platform's start method: fork on Linux, spawn on Windows, so `fn`
    must be a module-level function and `args` picklable); its exception is re-raised here; Died if the
    child did not finish."""
    say_uncapped()
    ctx = multiprocessing.get_context()
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
