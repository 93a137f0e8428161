"""Where districts work: Windows. `check` and a whole `process` pass run in a subprocess that cannot import the
POSIX-only modules (`resource`, `fcntl`) and whose multiprocessing start method is spawn, as on Windows; and
no module of the package imports a POSIX-only module or calls a POSIX-only function outside a guard."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import source_trees
from cli_helpers import BUNDLED_NOTE
from factory import AS_OF, write

from excel_bridge.demo import build_demo
from excel_bridge.messages import TEXT

PACKAGE = Path(__file__).resolve().parents[1] / "excel_bridge"
POSIX_MODULES = {"resource", "fcntl", "termios", "pwd", "grp"}
# os / signal names that do not exist on Windows (signal.SIGTERM and SIGINT do; SIGBREAK is Windows' own)
POSIX_NAMES = {
    "os": {"fork", "forkpty", "getuid", "geteuid", "getgid", "getegid", "setsid", "setpgrp", "killpg", "getpgid",
           "chown", "lchown", "fchown", "statvfs", "mkfifo", "sync", "wait3", "wait4", "getloadavg", "sched_setaffinity"},
    "signal": {"SIGKILL", "SIGALRM", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGCHLD", "SIGQUIT", "SIGPIPE", "alarm",
               "setitimer", "pause", "sigwait", "pthread_kill"},
}

SITECUSTOMIZE = textwrap.dedent('''
    """Windows, as far as the package can tell on Linux: no resource, no fcntl, spawned processes."""
    import multiprocessing
    import os
    import sys

    POSIX_ONLY = {"resource", "fcntl"}


    class NoPosix:
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in POSIX_ONLY:
                raise ImportError(f"No module named {name!r}", name=name)
            return None


    for name in POSIX_ONLY:
        sys.modules.pop(name, None)
    sys.meta_path.insert(0, NoPosix())
    multiprocessing.set_start_method("spawn", force=True)
    with open(os.environ["EB_TEST_STARTS"], "a", encoding="utf-8") as fh:  # one line per interpreter started
        fh.write(" ".join(sys.argv) + "\\n")
''')


@pytest.fixture
def windowsish(tmp_path) -> tuple[dict[str, str], Path]:
    """The environment of a subprocess that cannot import resource or fcntl and spawns its processes, and the
    file each interpreter it starts (itself, and every child) writes a line to."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    starts = tmp_path / "starts.txt"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
           "EB_TEST_STARTS": str(starts), "COLUMNS": "100"}
    probe = subprocess.run([sys.executable, "-c", "import multiprocessing as m\ntry:\n import resource\nexcept ImportError:"
                            "\n print('no resource', m.get_start_method())"], capture_output=True, text=True, env=env,
                           timeout=60)
    assert probe.stdout.strip() == "no resource spawn", probe.stderr
    starts.unlink()
    return env, starts


def _spawned(starts: Path) -> int:
    """How many interpreters multiprocessing's spawn started (a forked child would start none)."""
    return sum("--multiprocessing-fork" in line for line in starts.read_text(encoding="utf-8").splitlines())


def _cli(env: dict[str, str], *args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "excel_bridge.cli", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def test_check_runs_without_resource_and_fcntl_under_spawn(windowsish, tmp_path, config):
    env, starts = windowsish
    file = write(tmp_path / "石塘村.xlsx", config)
    proc = _cli(env, "-v", "check", file, "--as-of", AS_OF.isoformat(), "--out", tmp_path / "反馈.xlsx")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0] == TEXT["check.ok"].format(file=file.name, households=2, members=4, errors=0,
                                                                  warnings=0)
    assert (tmp_path / "反馈.xlsx").is_file()  # the returned copy
    assert TEXT["isolate.log.no_cap"] in proc.stderr  # -v says the reading child runs without a memory cap
    assert "Traceback" not in proc.stderr
    # one spawned child, none forked: the file's reader, started first, which also said what the hidden sheet names
    # (which district's settings? no workspace here) before it checked the file
    assert _spawned(starts) == 1


def test_a_whole_process_pass_runs_without_resource_and_fcntl_under_spawn(windowsish, tmp_path):
    env, starts = windowsish
    demo = build_demo(tmp_path / "区", villages=1, households=5, mistakes=0, towns=1, as_of=AS_OF)
    [village] = demo.files
    town = village.parent.name
    # first `check` of the dropped file, from elsewhere: its spawned child finds the workspace by the hidden sheet's
    # district and says so in the command's -v lines (the child sets up its own logging: spawn inherits none)
    checked = _cli(env, "-v", "check", village, "--as-of", AS_OF.isoformat())
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stdout + checked.stderr  # (its 公示)
    assert TEXT["cli.log.settings_workspace"] % (demo.root, "曲江区", "440205", 1) in checked.stderr
    proc = _cli(env, "-v", "process", demo.root, "--wait", "0.05", "--as-of", AS_OF.isoformat(), "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    assert TEXT["pass.file"].format(town=town, name=village.name, status="已入账", message="").split("。")[0] \
        in proc.stdout
    assert TEXT["isolate.log.no_cap"] in proc.stderr
    assert "Traceback" not in proc.stderr
    returned = demo.root / "反馈" / town / village.stem.removeprefix(town).removesuffix("监测台账")
    assert sorted(p.name for p in returned.glob("*_反馈.xlsx")) == [f"{village.stem}_反馈.xlsx"]
    assert (demo.root / "区级" / "区级总台账.xlsx").is_file()
    assert (demo.root / "反馈" / town / "镇级" / f"{town}_镇级核查表.xlsx").is_file()
    assert not village.exists()  # taken from the inbox
    assert _spawned(starts) >= 1  # the pass's worker: spawned


def _guarded(node: ast.AST, parents: list[ast.AST]) -> bool:
    """Inside a try that catches ImportError, or an `if` on the platform (inside a function too: a function
    importing it unguarded fails on Windows as soon as it is called)."""
    for parent in parents:
        if isinstance(parent, ast.Try) and any(
                isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                or isinstance(h.type, ast.Tuple) and any(getattr(e, "id", "") in ("ImportError", "ModuleNotFoundError")
                                                         for e in h.type.elts)
                for h in parent.handlers):
            return True
        if isinstance(parent, ast.If) and any(
                isinstance(n, ast.Attribute) and n.attr in ("platform", "name") or
                isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "hasattr"
                for n in ast.walk(parent.test)):
            return True
    return False


def _findings(tree: ast.AST) -> list[str]:
    out: list[str] = []

    def visit(node: ast.AST, parents: list[ast.AST]) -> None:
        if isinstance(node, ast.Import):
            names = [a.name.partition(".")[0] for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module.partition(".")[0]]
        else:
            names = []
        for name in names:
            if name in POSIX_MODULES and not _guarded(node, parents):
                out.append(f"line {node.lineno}: import {name} at module level, unguarded")
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                and node.attr in POSIX_NAMES.get(node.value.id, ()) and not _guarded_by_platform(parents)):
            out.append(f"line {node.lineno}: {node.value.id}.{node.attr} does not exist on Windows")
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("get_context", "set_start_method")
                and any(isinstance(a, ast.Constant) and a.value == "fork" for a in node.args)):
            out.append(f"line {node.lineno}: the fork start method (Windows has spawn only)")
        for child in ast.iter_child_nodes(node):
            visit(child, [*parents, node])

    visit(tree, [])
    return out


def _guarded_by_platform(parents: list[ast.AST]) -> bool:
    """A POSIX-only name used only under `if hasattr(...)` or an `if` on sys.platform / os.name."""
    return any(isinstance(p, ast.If) and any(
        isinstance(n, ast.Attribute) and n.attr in ("platform", "name")
        or isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "hasattr"
        for n in ast.walk(p.test)) for p in parents)


def test_no_posix_only_import_or_call_outside_a_guard():
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50
    found = {str(m.relative_to(PACKAGE.parent)): f for m in modules
             if (f := _findings(source_trees.tree(m)))}
    assert found == {}


def test_the_guard_test_sees_what_it_should():
    """The static test above finds each kind of POSIX-only use, and accepts the guarded forms."""
    bad = textwrap.dedent('''
        import resource
        from fcntl import flock
        import os, signal, multiprocessing
        def f():
            import pwd
        os.getuid()
        signal.alarm(3)
        multiprocessing.get_context("fork")
    ''')
    assert [f.split(":")[0] for f in _findings(ast.parse(bad))] == [f"line {n}" for n in (2, 3, 6, 7, 8, 9)]
    good = textwrap.dedent('''
        import os, signal
        try:
            import resource
        except ImportError:
            resource = None
        def cap():
            try:
                import resource
            except (ImportError, AttributeError):
                return
        if hasattr(os, "getuid"):
            os.getuid()
        if sys.platform != "win32":
            import pwd
    ''')
    assert _findings(ast.parse(good)) == []


def test_a_name_the_terminal_encoding_lacks_does_not_stop_check(tmp_path, config):
    """On a Chinese Windows, output redirected to a log is GBK: a file name with “−” (not in GBK) is shown
    with “?” instead of ending the command with a traceback."""
    file = write(tmp_path / "石塘村−2.xlsx", config)
    proc = subprocess.run([sys.executable, "-m", "excel_bridge.cli", "check", str(file), "--as-of",
                           AS_OF.isoformat()], capture_output=True, env={**os.environ, "PYTHONIOENCODING": "gbk"},
                          timeout=180)
    assert proc.returncode == 0, proc.stderr.decode("gbk", "replace")
    assert proc.stderr.decode("gbk").splitlines() == [BUNDLED_NOTE]  # only the note that 曲江区's settings are used
    assert proc.stdout.decode("gbk").splitlines()[0] == TEXT["check.ok"].format(
        file="石塘村?2.xlsx", households=2, members=4, errors=0, warnings=0)
