"""Where the work of a pass runs: a pool of worker processes (spawned, so the same on Windows), each with a
memory cap where the system has one, and a separate single worker for the district's workbooks, written
in the background while passes go on. A worker that dies (a file built to exhaust memory) fails only its
own job: the jobs of a broken pool are retried one by one, so only the file that kills a worker is blamed.

Jobs are module-level functions of one picklable argument (pipeline.jobs); a runner serves any number of
passes and workspaces (tests share one).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from typing import Any

from .isolate import DEFAULT_MEMORY, cap_memory
from .messages import TEXT

log = logging.getLogger(__name__)


def _worker_init(limit: int) -> None:
    cap_memory(limit)
    try:  # Ctrl-C is for the main process: it stops the pool itself (no worker tracebacks on the terminal)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    except (ValueError, OSError):
        pass


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


def _executor(workers: int, memory: int, *, background: bool = False) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn"),
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
            self.pool = _executor(self.workers, self.memory)
        return self.pool

    def warm(self) -> None:
        """Start the workers now (a watcher does this at start, so the first file is not kept waiting)."""
        self._pool().submit(_noop).result()

    def map(self, fn: Callable[[Any], Any], jobs: list[Any]) -> list[Any]:
        """fn(job) for each job in a worker; an exception (or a dead worker) comes back as the exception."""
        if not jobs:
            return []
        futures = [self._pool().submit(fn, job) for job in jobs]
        results: list[Any] = []
        broken: list[int] = []
        for i, fut in enumerate(futures):
            try:
                results.append(fut.result())
            except BrokenProcessPool as exc:
                results.append(exc)
                broken.append(i)
            except Exception as exc:  # noqa: BLE001 - reported per job by the caller
                results.append(exc)
        if broken:
            self._reset()
            log.warning(TEXT["runner.log.retry_alone"], len(broken))
            for i in broken:  # alone, so only the job that kills a worker is blamed
                single = _executor(1, self.memory)
                try:
                    results[i] = single.submit(fn, jobs[i]).result()
                except BrokenProcessPool as exc:
                    results[i] = exc
                except Exception as exc:  # noqa: BLE001
                    results[i] = exc
                finally:
                    single.shutdown(cancel_futures=True)
        return results

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


def _noop() -> None:
    return None
