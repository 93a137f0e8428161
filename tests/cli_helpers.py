"""Running the real `excel-bridge` in a subprocess, and a folder nobody may write into (for permission errors)."""

from __future__ import annotations

import atexit
import contextlib
import json
import locale
import os
import re
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

TIME = r"\d\d:\d\d:\d\d"
# what `check` and `template` say on stderr when no workspace is found (run from the checkout: 曲江区's settings)
BUNDLED_NOTE = ("注意：当前文件夹及其上级中没有区级工作目录，按程序自带的曲江区设置（9 个镇）处理；要用本区的设置，"
                "请在本区工作目录中运行，或加 --workspace 工作目录")
# what may stay Latin in a Chinese help text: command and option names, file kinds, program names
LATIN_ALLOWED = {"excel", "bridge", "xlsx", "xlsm", "xls", "xlsb", "ods", "et", "json", "yaml", "cron", "smb", "ctrl",
                 "demo", "district", "check", "template", "init", "process", "watch", "history", "schemas", "rules",
                 "workspace", "out", "as", "of", "city", "town", "village", "force", "name", "code", "from", "workers", "wait",
                 "refresh", "poll", "villages", "households", "mistakes", "seed", "verbose", "version", "help", "wps",
                 "cpu", "tab", "database", "postgresql", "export", "since", "page", "report", "month", "pdf",
                 "libreoffice", "import", "csv", "round", "until"}


def run_cli(*args: object, cwd: Path | None = None, timeout: float = 180,
            fresh: bool = False) -> subprocess.CompletedProcess:
    """`python -m excel_bridge.cli ARGS` with the test's interpreter, on a 100-column "terminal" (help and
    usage wrap to it); stdout and stderr as text. A process of its own, forked by this worker's launcher
    (tests/cli_launcher.py: the program imported once) unless `fresh` — a new interpreter, as the launcher also
    falls back to when the environment is not its own or it is busy with another run."""
    argv = [sys.executable, "-m", "excel_bridge.cli", *map(str, args)]
    env = {**os.environ, "COLUMNS": "100"}
    if not fresh and (done := _LAUNCHER.run(argv, Path(cwd) if cwd is not None else Path.cwd(), env, timeout)):
        return done
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=cwd, env=env)


class _Launcher:
    """This worker's tests/cli_launcher.py, started at its first use and ended with the worker."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.env: dict[str, str] = {}
        self.lock = threading.Lock()
        self.pending = b""
        self.runs: list[int] = []  # the pid of each run it forked
        self.off = os.environ.get("EB_TEST_FRESH_CLI") == "1" or not hasattr(os, "fork")  # (Windows: no fork)

    def _start(self, env: dict[str, str]) -> subprocess.Popen:
        if self.proc is None:
            self.env = env
            self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name("cli_launcher.py"))],
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, bufsize=0)
            atexit.register(self.proc.stdin.close)  # type: ignore[union-attr]  # its end: stdin closed
        return self.proc

    def _line(self, proc: subprocess.Popen, timeout: float | None) -> list[str] | None:
        """The launcher's next line in words, or None when `timeout` seconds passed first."""
        fd = proc.stdout.fileno()  # type: ignore[union-attr]
        while b"\n" not in self.pending:
            ready, _, _ = select.select([fd], [], [], timeout)
            if not ready:
                return None
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("the CLI launcher stopped")
            self.pending += chunk
        line, self.pending = self.pending.split(b"\n", 1)
        return line.decode().split()

    def run(self, argv: list[str], cwd: Path, env: dict[str, str],
            timeout: float) -> subprocess.CompletedProcess | None:
        """The run through the launcher, or None where a fresh interpreter must do it."""
        if self.off or (self.proc is not None and _steady(env) != _steady(self.env)) \
                or not self.lock.acquire(blocking=False):
            return None
        try:
            proc = self._start(env)
            with tempfile.TemporaryDirectory(prefix="eb-cli-") as folder:
                out, err = Path(folder, "out"), Path(folder, "err")
                request = {"args": argv[3:], "cwd": str(cwd), "env": env, "out": str(out), "err": str(err)}
                proc.stdin.write(json.dumps(request).encode() + b"\n")  # type: ignore[union-attr]
                started = self._line(proc, None)
                assert started is not None and started[0] == "pid", started
                self.runs.append(int(started[1]))
                ended = self._line(proc, timeout)
                if ended is None:  # as subprocess.run: killed, then said
                    os.kill(int(started[1]), signal.SIGKILL)
                    self._line(proc, None)
                stdout, stderr = (_text(p.read_bytes()) if p.exists() else "" for p in (out, err))
                if ended is None:
                    raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
                return subprocess.CompletedProcess(argv, int(ended[1]), stdout, stderr)
        finally:
            self.lock.release()


def _steady(env: dict[str, str]) -> dict[str, str]:
    """The environment but what pytest changes in every test (the test's name): the launcher's must equal it."""
    return {k: v for k, v in env.items() if k != "PYTEST_CURRENT_TEST"}


def _text(data: bytes) -> str:
    """Output as subprocess.run(text=True) gives it: the locale's encoding, universal newlines."""
    return data.decode(locale.getpreferredencoding(False)).replace("\r\n", "\n").replace("\r", "\n")


_LAUNCHER = _Launcher()


def english_words(text: str) -> set[str]:
    """Latin words of three letters or more that are not command names, options or file kinds."""
    return {w for w in re.findall(r"[A-Za-z][A-Za-z_]{2,}", text) if w.lower() not in LATIN_ALLOWED}


def tree(root: Path) -> dict[str, bytes | None]:
    """Every file (with its bytes) and folder under root, to show that nothing changed."""
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None) for p in sorted(root.rglob("*"))}


@contextlib.contextmanager
def unwritable_dir(path: Path) -> Iterator[Path]:
    """A folder no file can be created in: read-only permissions, and for root (who ignores them) the
    immutable attribute; skips the test where neither works here."""
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    immutable = False
    if os.geteuid() == 0 and shutil.which("chattr"):
        immutable = subprocess.run(["chattr", "+i", str(path)], capture_output=True).returncode == 0
    try:
        try:
            (path / ".probe").touch()
        except OSError:
            pass
        else:
            (path / ".probe").unlink()
            pytest.skip("cannot make a folder unwritable here (root without chattr +i)")
        yield path
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True)
        os.chmod(path, stat.S_IRWXU)
