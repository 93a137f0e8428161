"""One ledger, many programs (issue 18, item 5): two workspace copies (or two machines) on one database apply
each file once — the pass lock is held at the database, and "already applied" is checked again inside the
transaction that applies a file. Real subprocesses, real SQLite files and a real PostgreSQL schema."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import threading

import pytest
from cli_helpers import run_cli
from factory import AS_OF, rows_of_their_own, write_village

from excel_bridge.check import check_file
from excel_bridge.ingest import AlreadyApplied, apply_village_file, payload_from
from excel_bridge.pipeline import Processor
from excel_bridge.store import Store

pytestmark = pytest.mark.backends

TOWN = "马坝镇"
VILLAGES = ("石塘村", "新塘村", "龙岗村", "安山村")
AT = dt.datetime(2021, 12, 20, 9, 0, 0)
BUSY = "另一个程序（可能在另一台电脑或另一份工作目录上）正在处理同一个台账数据库"


def _database(ws, backend) -> str:
    return backend or str(ws.ledger_path.resolve())


def test_two_workspace_copies_on_one_ledger_apply_each_file_once(ws, config, backend, tmp_path):
    for i, village in enumerate(VILLAGES):
        write_village(ws.town_inbox(TOWN) / f"{village}.xlsx", config, rows_of_their_own(i), village=village)
    copy = tmp_path / "另一台电脑"
    shutil.copytree(ws.root, copy)
    database = _database(ws, backend)
    procs = [subprocess.Popen([sys.executable, "-m", "excel_bridge.cli", "process", str(root), "--database", database,
                               "--wait", "0.05", "--workers", "1", "--as-of", AS_OF.isoformat()],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for root in (ws.root, copy)]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = [p.returncode for p in procs]
    assert sorted(codes) in ([0, 0], [0, 5]), outs
    for code, (_out, err) in zip(codes, outs, strict=True):
        if code == 5:  # it found the other one processing: said in Chinese, nothing done
            assert err.startswith("错误：" + BUSY), err
            assert "本次没有处理任何文件" in err and "Traceback" not in err
    with Store.open(database) as store:
        subs = store.submissions.all()
        applied = sorted(s.file_name for s in subs if s.status == "applied")
        assert applied == sorted(f"{v}.xlsx" for v in VILLAGES)  # each file applied exactly once
        assert all(s.status in ("applied", "duplicate") for s in subs), [(s.file_name, s.status) for s in subs]
        assert len(store.households.list(town=TOWN)) == 2 * len(VILLAGES)


def test_a_pass_while_another_program_holds_the_ledger_exits_5_and_says_so(ws, config, backend):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    database = _database(ws, backend)
    args = ("process", ws.root, "--database", database, "--wait", "0.05", "--workers", "1", "--as-of",
            AS_OF.isoformat())
    told: list[str] = []
    with Store.open(database) as other, other.pass_lock(wait=False, on_wait=told.append):
        proc = run_cli(*args)
    assert told == []
    assert proc.returncode == 5, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("错误：" + BUSY), proc.stderr
    assert "Traceback" not in proc.stderr
    with Store.open(database) as store:
        assert store.submissions.all() == []
    assert (ws.town_inbox(TOWN) / "石塘村.xlsx").exists()  # left for the next pass
    again = run_cli(*args)  # the other program has finished: this one processes
    assert again.returncode == 0, again.stderr
    assert "马坝镇/石塘村.xlsx：已入账。2户，错误0处，提示0条" in again.stdout.splitlines()


def test_a_second_holder_in_wait_mode_is_told_once_then_gets_the_lock(ws, backend):
    database = _database(ws, backend)
    told: list[str] = []
    with Store.open(database) as first, Store.open(database) as second:
        with first.pass_lock(wait=False, on_wait=told.append):
            with pytest.raises(Exception) as busy:
                with second.pass_lock(wait=False, on_wait=told.append):
                    pass
            assert type(busy.value).__name__ == "LedgerBusy" and str(busy.value).startswith(BUSY)
        with second.pass_lock(wait=True, on_wait=told.append):  # released: taken at once, nothing said
            pass
    assert told == []


def test_a_watcher_waits_for_the_other_program_says_so_once_then_processes(ws, config, backend, runner):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    told: list[str] = []
    holding, done, released = threading.Event(), threading.Event(), threading.Event()

    def other_program() -> None:  # its own thread, as it would be its own process
        with Store.open(_database(ws, backend)) as other, other.pass_lock(wait=False, on_wait=told.append):
            holding.set()
            done.wait(60)  # its pass ends once the watcher has said it waits (an event, not a timer)
        released.set()

    def waiting(line: str) -> None:
        told.append(line)
        assert not released.is_set()  # said while the other program still held the ledger
        done.set()

    other = threading.Thread(target=other_program)
    other.start()
    try:
        assert holding.wait(60)
        with Processor(ws, as_of=AS_OF, runner=runner, on_wait=waiting) as proc:
            report = proc.run_pass(wait=0.05)  # as watch runs it: waiting for the ledger
    finally:
        done.set()
        other.join(60)
    assert released.is_set()  # it processed only after the other program was done
    assert len(told) == 1 and told[0].startswith(BUSY) and told[0].endswith("等它处理完再处理……"), told
    assert [(o.name, o.status) for o in report.files] == [("石塘村.xlsx", "applied")]


def test_a_content_applied_meanwhile_is_not_applied_again_inside_the_transaction(ws, config, backend, tmp_path):
    path = write_village(tmp_path / "石塘村.xlsx", config)
    payload = payload_from(check_file(path, config, as_of=AS_OF, expected_town=TOWN), TOWN)
    with Store.open(_database(ws, backend)) as store:
        first = apply_village_file(store, payload, config, as_of=AS_OF, received_at=AT, archived_path="归档/a.xlsx")
        households = store.households.list(town=TOWN)
        events = [e for h in households for e in store.events.of(h.id)]
        # the pass of another program looked before this one applied it, and now applies the same content
        with pytest.raises(AlreadyApplied) as again:
            apply_village_file(store, payload, config, as_of=AS_OF, received_at=AT, archived_path="归档/b.xlsx")
        assert again.value.previous.id == first.submission_id
        assert [(s.status, s.archived_path) for s in store.submissions.all()] == [("applied", "归档/a.xlsx")]
        assert store.households.list(town=TOWN) == households  # nothing of the second one was recorded
        assert [e for h in households for e in store.events.of(h.id)] == events
