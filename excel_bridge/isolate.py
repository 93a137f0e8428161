"""Run a risky read in a child process with a memory cap, so a file built to exhaust memory (a Rust
allocation failure aborts the whole process) costs only the child. The cap (RLIMIT_AS) exists only on
POSIX; on Windows the child runs uncapped (a crash still costs only the child), and `-v` says so."""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import threading
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


def end_with_parent() -> None:
    """A child process whose program is gone (killed: kill -9, the Task Manager, a machine's shutdown of the
    watcher) ends at once, as the program's other processes do. A pool's worker otherwise waits for its next job
    forever (it holds both ends of its job queue, so it never sees the program go), and so does `check`'s reading
    child (a forked child holds both ends of its pipe), each with its memory; a watcher restarted after each crash
    would leave its workers behind each time. What a worker was doing is redone by the next pass, as after any kill
    (the ledger says what is still due). The program's end is seen on the parent's sentinel (a pipe from the
    program, or its process handle on Windows), on a thread of its own."""
    parent = multiprocessing.parent_process()
    sentinel = getattr(parent, "sentinel", None)
    if sentinel is None:
        return

    def wait() -> None:
        from multiprocessing.connection import wait as wait_for

        wait_for([sentinel])
        os._exit(1)

    try:
        threading.Thread(target=wait, name="excel_bridge-end-with-program", daemon=True).start()
    except RuntimeError:  # no thread to be had: the process still works, and waits as before if orphaned
        pass


def _serve(conn: Any, prepare: Callable[..., Any], args: tuple[Any, ...], imports: tuple[str, ...],
           memory: int) -> None:
    """The child's side of Child: cap, prepare, import, then run each call sent until told to stop (or the program
    is gone)."""
    end_with_parent()
    cap_memory(memory)
    try:
        prepared = prepare(*args)
        for name in imports:  # before the first call comes: the parent gets ready meanwhile
            importlib.import_module(name)
        while (call := conn.recv()) is not None:
            fn, fn_args = call
            try:
                conn.send((True, fn(prepared, *fn_args)))
            except BaseException as exc:  # noqa: BLE001 - sent to the parent, which decides
                conn.send((False, exc))
    except EOFError:  # the parent has gone
        pass
    finally:
        conn.close()


class Child:
    """A risky read in a memory-capped child process, started before what it is to run is known: `prepare(*args)`
    runs there at once (`check` starts reading the file on a thread) and the `imports` are imported, while the
    parent gets on with its own start; each call(fn, *args) then runs fn(prepared, *args) there and returns its
    value, its exception raised here, or Died if the child died (memory cap, crash) or took longer than `timeout`.
    The platform's start method is used (fork on Linux, spawn on Windows), so functions must be module-level and
    arguments picklable. A context manager: leaving it ends the child."""

    def __init__(self, prepare: Callable[..., Any], *args: Any, imports: tuple[str, ...] = (),
                 memory: int = DEFAULT_MEMORY, timeout: float = DEFAULT_TIMEOUT) -> None:
        say_uncapped()
        ctx = multiprocessing.get_context()
        self._conn, theirs = ctx.Pipe(duplex=True)
        self._proc = ctx.Process(target=_serve, args=(theirs, prepare, args, imports, memory), daemon=True)
        self._proc.start()
        theirs.close()
        self._timeout = timeout
        self._died: Died | None = None

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self._died is not None:
            raise self._died
        try:
            self._conn.send((fn, args))
            if not self._conn.poll(self._timeout):
                self._died = Died(TEXT["isolate.timeout"].format(seconds=self._timeout))
            else:
                ok, value = self._conn.recv()
        except (EOFError, OSError):  # it ended without an answer: killed by its cap, or crashed
            self._end(wait=5.0)
            self._died = Died(TEXT["isolate.died"].format(code=self._proc.exitcode))
        if self._died is not None:
            self.close()
            raise self._died
        if not ok:
            raise value
        return value

    def _end(self, *, wait: float) -> None:
        self._proc.join(wait)
        if self._proc.is_alive():
            self._proc.kill()
            self._proc.join()

    def close(self) -> None:
        """Tell the child to stop (it ends when its call is done; killed if it does not at once)."""
        try:
            self._conn.send(None)
        except OSError:
            pass
        self._end(wait=1.0 if self._died is None else 0.0)
        self._conn.close()

    def __enter__(self) -> Child:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._conn.closed:
            self.close()
