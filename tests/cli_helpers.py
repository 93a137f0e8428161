"""Running the real `excel-bridge` in a subprocess, and a folder nobody may write into (for permission errors)."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import subprocess
import sys
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


def run_cli(*args: object, cwd: Path | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """`python -m excel_bridge.cli ARGS` with the test's interpreter, on a 100-column "terminal" (help and
    usage wrap to it); stdout and stderr as text."""
    return subprocess.run([sys.executable, "-m", "excel_bridge.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=timeout, cwd=cwd, env={**os.environ, "COLUMNS": "100"})


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
