"""The worker pool itself: results in job order, a bounded number of jobs in flight (a large pass never holds
every file's reading at once), a worker that dies blamed only on its own job, how workers start (forked from a
fork server that loaded the reading code, on Linux; spawned where spawn is the start method), and that they (and
`check`'s reading child) end when their program is killed — real processes."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from excel_bridge.messages import TEXT
from excel_bridge.runner import PRELOAD, Runner, worker_context


def _square_or_die(job: tuple[str, int]) -> int:
    folder, n = job
    Path(folder, f"{n}.started").touch()
    if n == 5:
        os._exit(3)  # what a reader killed by its memory cap looks like to the pool
    return n * n


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                      "fsmblks", "uordblks", "fordblks", "keepcost")]


def _fast_bin_bytes(_job: object) -> int:
    """Bytes glibc holds in its fast bins after 1,000 blocks of 48 bytes were allocated and freed here."""
    libc = ctypes.CDLL(None)
    libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
    libc.free.restype, libc.free.argtypes = None, [ctypes.c_void_p]
    libc.mallinfo2.restype = _Mallinfo2
    blocks = [libc.malloc(48) for _ in range(1000)]
    for block in blocks:
        libc.free(block)
    return int(libc.mallinfo2().fsmblks)


def _glibc_mallinfo2() -> bool:
    try:
        return sys.platform.startswith("linux") and hasattr(ctypes.CDLL(None), "mallinfo2")
    except OSError:
        return False


@pytest.mark.skipif(not _glibc_mallinfo2(), reason="glibc 2.33 or later (mallinfo2) only")
def test_a_worker_keeps_no_freed_blocks_in_glibcs_fast_bins():
    """A returned copy's lxml trees, freed, are not left in fast bins for the next larger allocation to merge
    (runner.no_fast_bins, issue 23): here, in this process, they are; in a worker, none are."""
    assert _fast_bin_bytes(None) > 0
    runner = Runner(1)
    try:
        assert runner.map(_fast_bin_bytes, [None]) == [0]
    finally:
        runner.close()


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
    """A pool starts a process only when a job finds none idle: start_all has them all started at once, so the jobs
    after a long first one (the national export read) find the others ready. Forked from the fork server (Linux), a
    worker that finished its first job at once is idle, so fewer may start: there one starts in milliseconds, and
    one more may start for the next job if the pool has not yet seen the first ones done (on a loaded machine: this
    test once failed so in README's test command), never more than the pool's three."""
    before = {p.pid for p in multiprocessing.active_children()}
    runner = Runner(3)
    try:
        runner.start_all()
        started = {p.pid for p in multiprocessing.active_children()} - before
        spawn = worker_context().get_start_method() == "spawn"
        if spawn:
            assert len(started) == 3
        else:
            assert 1 <= len(started) <= 3
        busy = runner.submit(_pid_after_a_while, 1.0)
        now = {p.pid for p in multiprocessing.active_children()} - before
        assert busy.result() in now and started <= now and len(now) <= 3
        if spawn:
            assert now == started  # every worker started by start_all: none started late
    finally:
        runner.close()


def _loaded(name: str) -> tuple[int, bool]:
    import sys

    return os.getpid(), name in sys.modules


def test_warm_starts_one_worker_with_the_code_it_was_asked_to_load():
    """A watcher warms its pool at start (Processor.warm): one worker is running, with the pass's jobs loaded, before
    the first file comes, and no other is started (a watcher fed one file at a time never needs them); a spawned
    worker that is only started has not loaded them (its first file would wait for them), one forked from the fork
    server has (the server loaded them once for all)."""
    jobs = "excel_bridge.pipeline.jobs"
    forked = worker_context().get_start_method() == "forkserver"
    started_only = Runner(1)
    try:
        started_only.warm()
        assert started_only.submit(_loaded, jobs).result()[1] is forked
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


def _how_started(_: object) -> tuple[int, bool, int]:
    """In a worker: its parent's pid, whether the reading code was loaded before any job asked for it, its pid."""
    return os.getppid(), all(name in sys.modules for name in PRELOAD), os.getpid()


ROOT = Path(__file__).resolve().parents[1]


def _program_args(script: str, **env: str) -> dict:
    """How to start a program of its own (its start method and fork server are its own) from the repository's root."""
    return {"args": [sys.executable, "-c", textwrap.dedent(script)], "text": True, "cwd": ROOT,
            "env": {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]), **env}}


def _program(script: str, **env: str) -> subprocess.CompletedProcess:
    """A program of its own, run to its end."""
    return subprocess.run(**_program_args(script, **env), capture_output=True, timeout=120)


SPAWNED = """
    import logging, multiprocessing, os
    SETUP
    from excel_bridge.runner import Runner
    from tests.test_runner import _how_started
    if __name__ == "__main__":
        logging.basicConfig(level=logging.INFO, format="%(message)s")
        runner = Runner(2)
        try:
            found = runner.map(_how_started, [None] * 4)
        finally:
            runner.close()
        print(sorted({parent == os.getpid() for parent, _, _ in found}))
"""  # [True]: every worker a child of the main process (spawned); [False]: forked from the fork server


@pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(), reason="no fork server here")
def test_on_linux_workers_are_forked_from_a_server_that_loaded_the_reading_code():
    """Not children of the main process (never forked from it), all of one server, the reading code already there."""
    proc = _program('''
        import os, sys
        from excel_bridge.runner import Runner
        from tests.test_runner import _how_started
        runner = Runner(2)
        try:
            found = runner.map(_how_started, [None] * 6) + [runner.background(_how_started, None).result()]
        finally:
            runner.close()
        parents, loaded, pids = zip(*found)
        print(len(set(parents)), os.getpid() in parents, all(loaded), len(set(pids)), "excel_bridge.pipeline.jobs" in sys.modules)
    ''')
    assert proc.returncode == 0, proc.stderr
    # one parent (the server), not the main process; the reading code loaded in every worker, not in the main
    # process; the pool's two workers and the background worker: three processes
    assert proc.stdout.split() == ["1", "False", "True", "3", "False"]


def test_where_spawn_is_the_start_method_workers_are_spawned_children_of_the_main_process():
    """Windows' (and macOS's) way, kept where the program sets spawn: each worker a child of the main process."""
    proc = _program(SPAWNED.replace("SETUP", 'multiprocessing.set_start_method("spawn")'))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[True]"]


def test_a_temp_folder_too_long_for_the_fork_servers_socket_means_spawned_workers(tmp_path):
    """The fork server listens on a socket in the temp folder; a path longer than a socket's name can be (108 bytes)
    cannot hold one: the workers are spawned instead, the jobs run, and `-v`'s log says why."""
    long = tmp_path / ("临时文件夹" * 8)  # 120 bytes of UTF-8 on top of pytest's own folder
    long.mkdir()
    proc = _program(SPAWNED.replace("SETUP", ""), TMPDIR=str(long))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["[True]"]  # spawned: children of the main process
    assert TEXT["runner.log.spawned"].split("（")[0] in proc.stderr
    assert "AF_UNIX path too long" in proc.stderr


def _running(pid: int) -> bool:
    """Whether the process is still there and not only a zombie waiting to be reaped (Linux: /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _left_after_kill(script: str) -> tuple[list[int], list[int]]:
    """Start the program, read the pids of its children from its first line, kill it (SIGKILL on POSIX, alone: not
    its process group), and wait up to a minute for those children to end. (the children, those still running)"""
    program = subprocess.Popen(**_program_args(script), stdout=subprocess.PIPE)
    try:
        children = [int(pid) for pid in program.stdout.readline().split()]  # type: ignore[union-attr]
        assert children and program.pid not in children and all(_running(pid) for pid in children)
    finally:
        program.kill()
        program.wait()
    deadline = time.monotonic() + 60
    while any(_running(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    return children, [pid for pid in children if _running(pid)]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="looks at /proc (Linux)")
@pytest.mark.parametrize("method", ["default", "spawn"])
def test_workers_end_when_their_program_is_killed(method):
    """A watcher killed with kill -9 (or by the Task Manager) takes its workers with it: the pool's worker and the
    background worker, idle in their queues, end within seconds instead of waiting forever for work."""
    setup = 'multiprocessing.set_start_method("spawn")' if method == "spawn" else ""
    workers, left = _left_after_kill(f"""
        import multiprocessing, os, sys, time
        from excel_bridge.runner import Runner
        from tests.test_runner import _how_started
        if __name__ == "__main__":
            {setup}
            runner = Runner(1)
            pids = [runner.submit(_how_started, None).result()[2], runner.background(_how_started, None).result()[2]]
            print(*pids, flush=True)
            time.sleep(600)
    """)
    assert len(set(workers)) == 2
    assert left == []


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="looks at /proc (Linux)")
def test_checks_reading_child_ends_when_its_program_is_killed():
    """`check` killed alone (kill -9 of the command, not its process group) takes its reading child with it."""
    _, left = _left_after_kill("""
        import os, time
        from excel_bridge.isolate import Child
        if __name__ == "__main__":
            child = Child(os.getpid)  # prepared in the child: its own pid
            print(child.call(str), flush=True)
            time.sleep(600)
    """)
    assert left == []
