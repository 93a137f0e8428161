"""Where the work of a pass runs: a pool of worker processes, each with a memory cap where the system has one,
and a separate single worker for the district's workbooks, written in the background while passes go on.
Workers are never forked from the main process (its threads and database connections are not theirs to
inherit): spawned where spawn is the start method (Windows, macOS), forked from a fork server elsewhere
(Linux), which starts once and loads the code that reads a file, so each further worker starts in
milliseconds instead of starting an interpreter and loading that code again. A worker that dies (a file built
to exhaust memory) fails only its own job: the jobs of a broken pool are retried one by one, so only the file
that kills a worker is blamed.

Jobs are module-level functions of an importable module (never a script's __main__), taking one picklable
argument (pipeline.jobs); a runner serves any number of passes and workspaces (tests share one).
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .heap import freeze_inherited
from .isolate import DEFAULT_MEMORY, cap_memory, end_with_parent, say_uncapped
from .messages import TEXT

log = logging.getLogger(__name__)


def _worker_init(limit: int) -> None:
    """A worker's start: its memory cap (where the system has one), Ctrl-C left to the main process, its end
    with the program's, no fast bins in its C library's allocator, and what it inherited out of its cycle
    collector's sight (heap)."""
    end_with_parent()  # (its thread's stack taken before the cap, which counts it)
    cap_memory(limit)
    no_fast_bins()
    try:  # Ctrl-C is for the main process: it stops the pool itself (no worker tracebacks on the terminal)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):
        pass
    freeze_inherited()  # the code the fork server loaded: never walked by this worker's cycle collector


def no_fast_bins() -> None:
    """glibc (Linux): small blocks freed go straight back to the heap instead of into its fast bins. A returned
    copy builds and drops lxml trees of tens of thousands of nodes; with fast bins, the next larger allocation
    (opening the copy's file) first merged them all: ~20 ms of a 250-household village's 130 ms copy, 20 % of the
    job (issue 23; the master's writer, measured the same way, neither gains nor loses). Elsewhere (Windows,
    macOS, musl): nothing to do, nothing done."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt  # the C library the interpreter runs on
    except (OSError, AttributeError):  # (no mallopt: not glibc)
        return
    mallopt(1, 0)  # M_MXFAST: the largest block a fast bin keeps, 0 = none


def _background_init(limit: int) -> None:
    """The district's workbooks are written at a lower priority: a village's returned copy goes first."""
    _worker_init(limit)
    try:
        if hasattr(os, "nice"):
            os.nice(10)
        elif sys.platform == "win32":  # BELOW_NORMAL_PRIORITY_CLASS of the current process
            import ctypes

            ctypes.windll.kernel32.SetPriorityClass(ctypes.windll.kernel32.GetCurrentProcess(), 0x4000)
    except (OSError, AttributeError):
        pass


PRELOAD = ("excel_bridge.pipeline.jobs",)  # what the fork server loads for its workers: reading a file, its copy


_no_fork_server: list[str] = []  # why this program's fork server could not start (then workers are spawned)


def worker_context() -> Any:
    """The start method of workers: spawn where it is the program's start method (Windows' only one, macOS's
    default, or set so), else a fork server that has loaded PRELOAD (Linux: forking the main process itself is
    never done); spawn where the system has no fork server or it cannot start (its socket lives in the temp
    folder, whose path may be too long for one: spawned workers need none)."""
    method = multiprocessing.get_start_method(allow_none=True) or multiprocessing.get_context().get_start_method()
    if method != "spawn" and "forkserver" in multiprocessing.get_all_start_methods() and not _no_fork_server:
        from multiprocessing import forkserver

        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))  # (read when the server starts: once per program)
        try:
            forkserver.ensure_running()  # started now (once), so a failure to start is seen here, not in a pool
        except OSError as exc:
            _no_fork_server.append(str(exc))
            log.info(TEXT["runner.log.spawned"], exc)
        else:
            return context
    return multiprocessing.get_context("spawn")


def _executor(workers: int, memory: int, *, background: bool = False) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=worker_context(),
                               initializer=_background_init if background else _worker_init, initargs=(memory,))


class Runner:
    """Runs jobs in worker processes; results come back in job order, a failure as its exception object."""

    def __init__(self, workers: int | None = None, *, memory: int = DEFAULT_MEMORY) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.memory = memory
        self.pool: ProcessPoolExecutor | None = None
        self.back: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            say_uncapped()
            self.pool = _executor(self.workers, self.memory)
        return self.pool

    def warm(self, modules: tuple[str, ...] = ()) -> None:
        """Start a worker now and have it import `modules` (a watcher does this at start, so the first file is not
        kept waiting for a worker to start and load the code that reads it). One, not all: a watcher that only
        ever gets one file at a time never starts the others, nor holds their memory."""
        self._pool().submit(_preload, modules).result()

    def start_all(self) -> None:
        """Have every worker started, without waiting: a pool starts its processes only as jobs find none idle,
        so a long first job (the national export read) would leave the others to start when the next jobs (the
        villages' workbooks) are already waiting. (Forked from the fork server, a worker starts in milliseconds:
        there this has the server started, and workers that finish their first job at once are not replaced.)"""
        pool = self._pool()
        for _ in range(self.workers):
            pool.submit(_noop)

    def map(self, fn: Callable[[Any], Any], jobs: list[Any]) -> list[Any]:
        """fn(job) for each job in a worker; an exception (or a dead worker) comes back as the exception."""
        return list(self.imap(fn, jobs, ahead=len(jobs)))

    def imap(self, fn: Callable[[Any], Any], jobs: Iterable[Any], *, ahead: int | None = None) -> Iterator[Any]:
        """map, yielding the results in job order with at most `ahead` jobs in flight (default: four per
        worker), so a large pass never holds every file's reading at once and the workers read on while the
        caller uses what they read. `jobs` is taken lazily: a generator making each job (the statuses of a
        returned copy) runs while the workers work on the jobs before it. When a worker dies, the jobs its
        pool held are retried one by one, so only the job that kills a worker is blamed."""
        ahead = max(1, ahead or self.workers * 4)
        source = iter(jobs)
        flight: deque[tuple[Any, Future]] = deque()
        more = True
        while True:
            while more and len(flight) < ahead:
                job = next(source, _END)
                if job is _END:
                    more = False
                else:
                    flight.append((job, self.submit(fn, job)))
            if not flight:
                return
            job, fut = flight.popleft()
            result = _outcome(fut)
            if not _lost(result):
                yield result
                continue
            held = [(job, result), *((j, _outcome(f)) for j, f in flight)]  # the pool is broken: all are done
            flight.clear()
            self._reset()
            log.warning(TEXT["runner.log.retry_alone"], sum(1 for _, r in held if _lost(r)))
            for j, r in held:
                yield self._alone(fn, j) if _lost(r) else r

    def submit(self, fn: Callable[[Any], Any], job: Any) -> Future:
        """fn(job) in one of the workers; a pool a dead worker broke is replaced first."""
        try:
            return self._pool().submit(fn, job)
        except BrokenProcessPool:
            self._reset()
            return self._pool().submit(fn, job)

    def _alone(self, fn: Callable[[Any], Any], job: Any) -> Any:
        single = _executor(1, self.memory)
        try:
            return _outcome(single.submit(fn, job))
        finally:
            single.shutdown(cancel_futures=True)

    def background(self, fn: Callable[[Any], Any], job: Any) -> Future:
        """fn(job) in the background worker (one job at a time there); the caller keeps the future."""
        if self.back is None:
            self.back = _executor(1, self.memory, background=True)
        try:
            return self.back.submit(fn, job)
        except BrokenProcessPool:
            self.back = _executor(1, self.memory, background=True)
            return self.back.submit(fn, job)

    def _reset(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None

    def close(self) -> None:
        self._reset()
        if self.back is not None:
            self.back.shutdown(wait=True, cancel_futures=True)
            self.back = None


def _outcome(fut: Future) -> Any:
    """A job's result, or the exception it ended with (reported per job by the caller)."""
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - BrokenProcessPool and CancelledError included
        return exc


def _lost(result: Any) -> bool:
    """The job did not finish because its pool broke (a worker died, maybe running another job)."""
    return isinstance(result, (BrokenProcessPool, CancelledError))


_END = object()  # the end of imap's jobs


def _noop() -> None:
    return None


def _preload(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)
