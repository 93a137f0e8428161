"""The worker pool itself: results in job order, a bounded number of jobs in flight (a large pass never holds
every file's reading at once), and a worker that dies blamed only on its own job — real spawned processes."""

from __future__ import annotations

import os
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from excel_bridge.runner import Runner


def _square_or_die(job: tuple[str, int]) -> int:
    folder, n = job
    Path(folder, f"{n}.started").touch()
    if n == 5:
        os._exit(3)  # what a reader killed by its memory cap looks like to the pool
    return n * n


def test_imap_keeps_order_reads_a_few_ahead_and_blames_only_the_job_that_kills_its_worker(tmp_path):
    runner = Runner(2)
    try:
        results = runner.imap(_square_or_die, [(str(tmp_path), n) for n in range(12)], ahead=3)
        assert next(results) == 0
        assert len(list(tmp_path.glob("*.started"))) <= 3  # nothing submitted beyond the window
        rest = list(results)
    finally:
        runner.close()
    assert [r for n, r in enumerate([0, *rest]) if n != 5] == [n * n for n in range(12) if n != 5]
    assert isinstance(rest[4], BrokenProcessPool)  # job 5, retried alone, died again: its own fault
    assert len(list(tmp_path.glob("*.started"))) == 12


def test_map_is_imap_with_every_job_in_flight(tmp_path):
    runner = Runner(2)
    try:
        results = runner.map(_square_or_die, [(str(tmp_path), n) for n in (1, 2, 5, 3)])
    finally:
        runner.close()
    assert results[:2] == [1, 4] and results[3] == 9 and isinstance(results[2], BrokenProcessPool)


def test_imap_takes_its_jobs_lazily_from_a_generator(tmp_path):
    made: list[int] = []

    def jobs():
        for n in (0, 1, 2, 3, 4, 6, 7):
            made.append(n)
            yield (str(tmp_path), n)

    runner = Runner(2)
    try:
        results = runner.imap(_square_or_die, jobs(), ahead=2)
        assert next(results) == 0
        assert made == [0, 1]  # the third job is made only when the first result is taken
        rest = list(results)
    finally:
        runner.close()
    assert made == [0, 1, 2, 3, 4, 6, 7]
    assert rest == [1, 4, 9, 16, 36, 49]


def _pid_after_a_while(seconds: float) -> int:
    import time

    time.sleep(seconds)
    return os.getpid()


def test_start_all_starts_every_worker_while_a_first_job_keeps_one_busy():
    """A spawned pool starts a process only when a job finds none idle: start_all has them all started at once, so
    the jobs after a long first one (the national export read) find the others ready."""
    import multiprocessing

    before = {p.pid for p in multiprocessing.active_children()}
    runner = Runner(3)
    try:
        runner.start_all()
        started = {p.pid for p in multiprocessing.active_children()} - before
        assert len(started) == 3
        busy = runner.submit(_pid_after_a_while, 1.0)
        assert busy.result() in started
        assert {p.pid for p in multiprocessing.active_children()} - before == started  # no worker started late
    finally:
        runner.close()


def _loaded(name: str) -> tuple[int, bool]:
    import sys

    return os.getpid(), name in sys.modules


def test_warm_starts_one_worker_with_the_code_it_was_asked_to_load():
    """A watcher warms its pool at start (Processor.warm): one worker is running, with the pass's jobs loaded, before
    the first file comes, and no other is started (a watcher fed one file at a time never needs them); a worker that
    is only started has not loaded them (its first file would wait for them)."""
    import multiprocessing

    jobs = "excel_bridge.pipeline.jobs"
    started_only = Runner(1)
    try:
        started_only.warm()
        assert started_only.submit(_loaded, jobs).result()[1] is False
    finally:
        started_only.close()
    before = {p.pid for p in multiprocessing.active_children()}
    runner = Runner(2)
    try:
        runner.warm((jobs,))
        [started] = {p.pid for p in multiprocessing.active_children()} - before
        answers = [runner.submit(_loaded, jobs).result() for _ in range(3)]  # one at a time: the warm worker takes each
        assert answers == [(started, True)] * 3
    finally:
        runner.close()
