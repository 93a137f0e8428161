"""Where the work of a pass runs: a pool of worker processes (both cores), each with a memory cap, or this
process for small batches. A worker that dies (a file built to exhaust memory) fails only its own job.

Jobs are module-level functions so they pickle; each worker keeps the workspace configuration and
reloads it when the district edits its settings, schemas or rules.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from .check import check_file, check_parsed
from .config import Config
from .ingest import payload_from
from .isolate import DEFAULT_MEMORY, cap_memory
from .issues import Issue
from .messages import TEXT
from .validate import Parsed
from .workspace import Workspace
from .writers.common import Placed
from .returned import Status, write_returned_copy

log = logging.getLogger(__name__)

POOL_THRESHOLD = 3  # fewer jobs than this run in this process (a pool costs more than it saves)

_WORKER: dict[str, Any] = {}


def _worker_init(limit: int) -> None:
    cap_memory(limit)


def workspace_config(root: str) -> Config:
    """The workspace's configuration, reloaded whenever its settings, schemas or rules files change
    (a district edits a threshold while the watcher runs)."""
    ws = Workspace(Path(root))
    files = [ws.settings_path, *sorted((ws.root / "schemas").glob("*.yaml")), *sorted((ws.root / "rules").glob("*.yaml"))]
    signature = (root, tuple((str(f), f.stat().st_mtime_ns) for f in files if f.exists()))
    cached = _WORKER.get("config")
    if cached is None or cached[0] != signature:
        _WORKER["config"] = (signature, ws.config())
    return _WORKER["config"][1]


def parse_job(root: str, path: str, town: str, name: str, as_of: dt.date, keep_parsed: bool = False) -> tuple[str, Any]:
    """Check one village file (its archived copy, reported under its original name); returns
    ("payload", FilePayload) or ("unreadable", CheckResult). keep_parsed: the payload carries the reading
    too, for a returned copy written in the calling process."""
    config = workspace_config(root)
    result = check_file(Path(path), config, as_of=as_of, expected_town=town)
    result.path = Path(name)
    if not result.readable:
        return "unreadable", result
    return "payload", payload_from(result, town, keep_parsed=keep_parsed)


def feedback_job(root: str, archived: str, out: str, town: str, file_name: str, received: str,
                 statuses_: dict[str, Status], extra: list[Issue], as_of: dt.date, parsed: Parsed | None = None) -> Placed:
    """Re-check the archived original (or the reading of it just made) and write its returned copy with
    the ledger's statuses."""
    config = workspace_config(root)
    identified = {k: s.identified for k, s in statuses_.items() if s.identified}
    if parsed is not None:
        result = check_parsed(parsed, config, path=Path(archived), as_of=as_of, expected_town=town,
                              identified=identified)
    else:
        result = check_file(Path(archived), config, as_of=as_of, expected_town=town, identified=identified)
    result.path = Path(file_name)
    result.issues.extend(extra)
    receipt = {"接收时间": received, "所属镇": town}
    return write_returned_copy(result, Path(out), config, statuses=statuses_, receipt=receipt,
                               source=Path(archived))


class Runner:
    """Runs jobs in a process pool (both cores) or in-process for small batches; a crashed worker
    (a file that exhausts memory) fails only its own job."""

    def __init__(self, root: Path, workers: int) -> None:
        self.root = str(root)
        self.workers = max(1, workers)
        self.pool: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=get_context("spawn"),
                                            initializer=_worker_init, initargs=(DEFAULT_MEMORY,))
        return self.pool

    def warm(self) -> None:
        """Start the workers now (a watcher does this at start, so the first file is not kept waiting)."""
        self._pool().submit(_noop).result()

    def map(self, fn: Callable[..., Any], jobs: list[tuple[Any, ...]], *, isolate: bool = False) -> list[Any]:
        """Results in job order; an exception (or a dead worker) comes back as the exception object.

        isolate: always in a worker process (reading untrusted files), never in this one."""
        if not jobs:
            return []
        if not isolate and (len(jobs) < POOL_THRESHOLD or self.workers == 1):
            return [_safe(fn, job) for job in jobs]
        futures = [self._pool().submit(fn, *job) for job in jobs]
        results: list[Any] = []
        broken: list[int] = []
        for i, fut in enumerate(futures):
            try:
                results.append(fut.result())
            except BrokenProcessPool as exc:
                results.append(exc)
                broken.append(i)
            except Exception as exc:  # noqa: BLE001 - reported per file
                results.append(exc)
        if broken and len(broken) == len(jobs) and len(jobs) > 1:
            # every job failed: the pool itself could not work (not one bad file) — run them here instead
            self.close()
            log.warning(TEXT["runner.log.no_workers"])
            return [_safe(fn, job) for job in jobs]
        if broken:
            self.close()
            for i in broken:  # retry alone, so only the file that kills a worker is blamed
                single = ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn"),
                                             initializer=_worker_init, initargs=(DEFAULT_MEMORY,))
                try:
                    results[i] = single.submit(fn, *jobs[i]).result()
                except BrokenProcessPool as exc:
                    results[i] = exc
                except Exception as exc:  # noqa: BLE001
                    results[i] = exc
                finally:
                    single.shutdown(cancel_futures=True)
        return results

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


def _noop() -> None:
    return None


def _safe(fn: Callable[..., Any], job: tuple[Any, ...]) -> Any:
    try:
        return fn(*job)
    except Exception as exc:  # noqa: BLE001 - reported per file
        log.exception(TEXT["runner.log.failed"])
        return exc
