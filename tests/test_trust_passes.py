"""Intake a district can trust (issue 11; split from test_trust.py, issue 23): one pass at a time, paths that do not
depend on where the command runs, and kill -9 at random points of a cold pass — real passes in subprocesses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run_cli
from factory import (
    AS_OF,
    base_rows,
    submissions_of,
    write_village,
)
from filelock import FileLock
from trust_helpers import TOWN

pytestmark = pytest.mark.backends


# --- 4. one pass at a time ---

def test_a_second_process_waits_for_the_first_and_says_so(ws, config):
    """The lock is released once the second `process` has said it waits (read from its output, not a timer:
    a loaded machine may take seconds to start it)."""
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    lock = FileLock(str(ws.pass_lock_path), thread_local=False)
    lock.acquire()
    args = ("process", ws.root, "--wait", "0.05", "--workers", "1", "--as-of", AS_OF.isoformat())
    proc = subprocess.Popen([sys.executable, "-m", "excel_bridge.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline().rstrip("\n")  # the pass is blocked on the lock until it is released
    finally:
        if lock.is_locked:
            lock.release()
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert first == "另一轮处理正在进行（可能是 watch 或计划任务），等它结束后再处理……"
    assert "马坝镇/石塘村.xlsx：已入账。2户，错误0处，提示0条" in out.splitlines()


def test_two_passes_at_once_record_every_file_once(ws, config):
    for _i, village in enumerate(("石塘村", "新塘村", "龙岗村")):
        rows = base_rows()
        write_village(ws.town_inbox(TOWN) / f"{village}.xlsx", config, rows, village=village)
    args = ("process", ws.root, "--wait", "0.05", "--workers", "1", "--as-of", AS_OF.isoformat())
    procs = [subprocess.Popen([sys.executable, "-m", "excel_bridge.cli", *map(str, args)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    applied = [s for s in submissions_of(ws) if s["status"] == "applied"]
    assert sorted(s["file_name"] for s in applied) == ["新塘村.xlsx", "石塘村.xlsx", "龙岗村.xlsx"]


# --- 5. paths do not depend on the working directory ---

def test_a_workspace_run_by_relative_and_absolute_paths_and_copied_elsewhere(ws, tmp_path, config, backend):
    if backend is not None:
        pytest.skip("a copied workspace with its own ledger: the SQLite file travels with it")
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    first = run_cli("process", ws.root.name, "--wait", "0.05", "--workers", "1", cwd=ws.root.parent)
    assert first.returncode == 0, first.stderr
    copy = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    before = copy.stat().st_mtime_ns
    elsewhere = tmp_path / "别处"
    elsewhere.mkdir()
    again = run_cli("process", ws.root.resolve(), "--wait", "0.05", "--workers", "1", "--refresh", cwd=elsewhere)
    assert again.returncode == 0, again.stderr
    assert "Error" not in again.stderr and "Traceback" not in again.stderr
    # the copied workspace's copy of the archive is read, never the original's
    moved = tmp_path / "复制的工作目录"
    shutil.copytree(ws.root, moved)
    shutil.rmtree(ws.root / "归档")
    write_village(moved / "收件箱" / TOWN / "石塘村.xlsx", config,
                  {**base_rows(), "household": [dict(h, wage_income=12345) for h in base_rows()["household"]]})
    third = run_cli("process", moved, "--wait", "0.05", "--workers", "1")
    assert third.returncode == 0, third.stderr
    assert "已入账" in third.stdout
    assert (moved / copy.relative_to(ws.root)).stat().st_mtime_ns > before



# --- the crash test: kill -9 at random points of a cold pass, then a clean pass ---

def test_killed_passes_then_a_clean_pass_equal_an_uninterrupted_run(tmp_path, backend):
    """One schedule of kills (seed 1: three in the first round, three while the towns' decisions are read); the
    same property under other schedules is `python bench/crash.py DIR --kills N --seed S` (issue 23: it ran with a
    second seed here, 34 s more of the suite for a second random draw of the same test)."""
    seed = 1
    if backend is not None:
        pytest.skip("the crash test runs on the workspace's own SQLite ledger (bench/crash.py takes --database)")
    script = Path(__file__).resolve().parents[1] / "bench" / "crash.py"
    proc = subprocess.run([sys.executable, str(script), str(tmp_path), "--kills", "3", "--seed", str(seed),
                           "--villages", "2", "--households", "6"], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("同一结果：")
