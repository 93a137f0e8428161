"""A test worker's `excel-bridge` launcher (issue 23): one interpreter that has imported the program once and forks
a fresh process for every `run_cli` of its worker, instead of a new interpreter importing everything again (half a
second of CPU a run, some 225 runs a suite).

Each run is still its own process running the real command line — `excel_bridge.cli.entry()`, the function the
installed `excel-bridge` calls — with the test's arguments, folder and environment, its own stdout and stderr and
exit code, and the interpreter's own end (threads joined, exit handlers run, streams flushed). What a forked run
shares with the launcher is what importing the modules made, and the fork server its worker processes are forked
from (excel_bridge.runner: on Linux a program starts one, a new interpreter, at its first pool): the launcher
starts it once, with the district job's modules loaded too, and each run takes it as its own — a run's pool then
starts in milliseconds instead of ~0.3 s, and its district job does not load the writers again (~0.6 s of CPU).
Beyond that the launcher opens nothing (no ledger, no pool, no thread) before it forks. `run_cli` uses a fresh
interpreter instead whenever the run would differ: another environment than the launcher's (but the test's name
pytest sets), a second run at once.

Protocol, one line each way per run: on stdin the request `{"args": [...], "cwd": ..., "env": {...}, "out": PATH,
"err": PATH}`; on stdout `pid N` when the run has started, `exit CODE` (a negative signal number if it was killed)
when it ended. The launcher ends when its stdin closes.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import sys
import threading
import traceback

# What the commands the tests run load anyway: the command line, and the ledger and pipeline behind most of them.
PRELOAD = ("excel_bridge.cli", "excel_bridge.pipeline.run", "excel_bridge.workspace", "excel_bridge.store")
# What the program's worker processes load, besides what its fork server loads for them (excel_bridge.runner.PRELOAD):
# the district job's writers, exports and ledger (0.6 s of CPU in the first district job of every `process`).
SERVER_PRELOAD = ("excel_bridge.pipeline.district", "excel_bridge.departments.share_back",
                  "excel_bridge.provincial.export", "excel_bridge.writers.master", "excel_bridge.writers.town")


def _exit_code(exc: SystemExit) -> int:
    """The status an interpreter ends with for this SystemExit (a message is printed and ends with 1)."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _run(request: dict) -> None:
    """In the forked process: become `python -m excel_bridge.cli ARGS` run in `cwd` with stdout and stderr into the
    files named, run it, end as an interpreter ends. Never returns."""
    code = 1
    try:
        os.chdir(request["cwd"])
        os.environ.clear()  # the test's (it differs from the launcher's only in PYTEST_CURRENT_TEST)
        os.environ.update(request["env"])
        for fd, path, flags in ((0, os.devnull, os.O_RDONLY), (1, request["out"], os.O_WRONLY | os.O_CREAT),
                                (2, request["err"], os.O_WRONLY | os.O_CREAT)):
            opened = os.open(path, flags, 0o600)
            os.dup2(opened, fd)
            os.close(opened)
        encoding = sys.stdout.encoding  # as the launcher's own (a pipe, in the same environment): as a fresh one's
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding=encoding)
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding=encoding, errors="strict")
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), encoding=encoding, errors="backslashreplace",
                                      line_buffering=True)
        sys.__stdin__, sys.__stdout__, sys.__stderr__ = sys.stdin, sys.stdout, sys.stderr
        sys.path[0] = os.getcwd()  # as `python -m` puts it
        _share_fork_server()
        from excel_bridge import cli

        sys.argv = [cli.__file__, *request["args"]]
        try:
            cli.entry()
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except BaseException:  # noqa: BLE001 - as the interpreter does with an uncaught exception
            traceback.print_exc()
            code = 1
        threading._shutdown()  # type: ignore[attr-defined]  # the interpreter's end: threads, then exit handlers
        atexit._run_exitfuncs()
    except BaseException:  # noqa: BLE001 - the launcher's own failure, shown to the test
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
        os._exit(code)


def _share_fork_server() -> None:
    """In a forked run: the launcher's fork server is the run's. (multiprocessing asks the server it started whether
    it still runs by waiting for its pid, which only the launcher, its parent, can do: the launcher checks before
    every fork instead.) The server's socket, its liveness pipe and the resource tracker came with the fork."""
    from multiprocessing import forkserver, resource_tracker

    # (the module's function is the server's method, bound when multiprocessing was imported: both are replaced)
    forkserver._forkserver.ensure_running = resource_tracker.ensure_running  # type: ignore[method-assign]
    forkserver.ensure_running = resource_tracker.ensure_running


def serve() -> None:
    import importlib
    import multiprocessing
    from multiprocessing import forkserver

    from excel_bridge import runner

    for name in PRELOAD:
        importlib.import_module(name)
    # the program's fork server, which every run takes as its own: started at the first run, again if it died
    multiprocessing.get_context("forkserver").set_forkserver_preload([*runner.PRELOAD, *SERVER_PRELOAD])
    requests, replies = sys.stdin.buffer, sys.stdout
    for line in requests:
        request = json.loads(line)
        forkserver.ensure_running()
        pid = os.fork()
        if pid == 0:
            _run(request)
        replies.write(f"pid {pid}\n")
        replies.flush()
        _, status = os.waitpid(pid, 0)
        replies.write(f"exit {os.waitstatus_to_exitcode(status)}\n")
        replies.flush()


if __name__ == "__main__":
    serve()
