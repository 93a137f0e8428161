"""When the ledger itself fails (issue 18, item 12, the store's part): an unsupported database URL, a PostgreSQL
connection lost mid-pass, a full disk — each said in Chinese (no driver text alone, no traceback), nothing
half-written, the files not yet applied left in the inbox for the next pass. Real subprocess CLI runs, a real
PostgreSQL connection killed with pg_terminate_backend, a real full disk (a tiny tmpfs, where it can be mounted)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_helpers import run_cli
from factory import AS_OF, rows_of_their_own, workspace_on, write_village
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from excel_bridge.errors import LedgerError, LedgerUnavailable
from excel_bridge.pipeline import Processor
from excel_bridge.store import Store, db
from excel_bridge.store.db import database_url

pytestmark = pytest.mark.backends  # the connection tests run on PostgreSQL; the others need no ledger server

TOWN = "马坝镇"
AT = dt.datetime(2021, 12, 20, 9, 0, 0)
LOST = "与台账数据库 {database} 的连接中断了（服务器可能重启或网络断开）。本轮处理已停止"
FULL = "所在的磁盘已满，本次写入已全部撤销（没有写入一半的记录）。本轮处理已停止，未处理的文件留在收件箱；请清理磁盘空间后再处理"


# --- an unsupported URL ---

@pytest.mark.parametrize("url", ["mysql://clerk:secret@db.example/ledger", "oracle+cx_oracle://clerk:secret@h/x",
                                 "mongodb+srv://clerk:secret@h"])
def test_an_unsupported_database_url_is_exit_3_saying_which_urls_work(tmp_path, url):
    ws = workspace_on(tmp_path / "ws", None)
    proc = run_cli("process", ws.root, "--database", url, "--workers", "1", "--wait", "0.05")
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    [line] = proc.stderr.splitlines()
    scheme = url.split("://")[0]
    assert line.startswith(f"错误：不支持的台账数据库地址 {scheme}://"), line
    assert "只能用 SQLite 文件的路径" in line and "postgresql+psycopg://用户:密码@服务器:端口/库名" in line
    assert "secret" not in line and "Traceback" not in proc.stderr
    assert not list(ws.archive.rglob("*.xlsx"))  # nothing was done


def test_a_database_named_in_the_settings_is_checked_the_same_way(tmp_path):
    ws = workspace_on(tmp_path / "ws", None)
    settings = ws.settings_path.read_text(encoding="utf-8")
    ws.settings_path.write_text(settings + "\ndatabase: mysql://clerk:secret@db.example/ledger\n", encoding="utf-8")
    proc = run_cli("history", "--workspace", ws.root, "440205197003050011")
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert proc.stderr.startswith("错误：不支持的台账数据库地址 mysql://clerk:***@db.example/ledger："), proc.stderr
    assert "Traceback" not in proc.stderr


def test_postgresql_urls_without_a_driver_use_psycopg():
    assert database_url("postgresql://eb:x@h:5432/db").drivername == "postgresql+psycopg"
    assert database_url("postgres://eb:x@h/db").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///系统/ledger.sqlite").drivername == "sqlite"
    with pytest.raises(LedgerError, match="不支持的台账数据库地址 postgresql\\+psycopg2://eb:\\*\\*\\*@h/db"):
        database_url("postgresql+psycopg2://eb:x@h/db")


# --- a PostgreSQL connection lost mid-pass ---

def _named(backend: str) -> tuple[str, str]:
    """The backend URL with an application name of its own, so its connections (and only they) can be killed."""
    name = f"eb_{uuid.uuid4().hex[:10]}"
    return make_url(backend).update_query_dict({"application_name": name}).render_as_string(hide_password=False), name


def _terminate(name: str) -> int:
    """pg_terminate_backend on every connection of that application name, from a connection of its own."""
    engine = create_engine(os.environ["EB_TEST_POSTGRES"])
    try:
        with engine.begin() as conn:
            return len(conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                         "WHERE application_name = :n AND pid <> pg_backend_pid()"),
                                    {"n": name}).all())
    finally:
        engine.dispose()


def test_a_connection_lost_mid_pass_stops_it_in_chinese_and_the_next_pass_finishes(backend, tmp_path, config,
                                                                                      runner):
    if backend is None:
        pytest.skip("a server connection: PostgreSQL only")
    url, name = _named(backend)
    ws = workspace_on(tmp_path / "ws", url)
    villages = ("石塘村", "新塘村", "龙岗村")
    for i, village in enumerate(villages):
        write_village(ws.town_inbox(TOWN) / f"{village}.xlsx", config, rows_of_their_own(i), village=village)
    killed: list[int] = []

    def progress(done: int, total: int, file_name: str) -> None:
        if done == 2:  # the first file is applied, the second is read: the server "restarts"
            killed.append(_terminate(name))

    with Processor(ws, as_of=AS_OF, runner=runner) as proc:
        with pytest.raises(LedgerUnavailable) as lost:
            proc.run_pass(wait=0.05, progress=progress)
        assert killed and killed[0] >= 1
        database = make_url(url).render_as_string(hide_password=True)
        assert str(lost.value).startswith(LOST.format(database=database)), lost.value
        assert "已入账的文件都是完整的，其余文件留在收件箱" in str(lost.value)
        with Store.open(url) as store:
            subs = store.submissions.all()
            assert [(s.file_name, s.status) for s in subs] == [("石塘村.xlsx", "applied")]  # the first, whole
            assert len(store.households.list(town=TOWN)) == 2
        assert sorted(p.name for p in ws.town_inbox(TOWN).glob("*.xlsx")) == sorted(f"{v}.xlsx" for v in villages)
        report = proc.run_pass(wait=0.05)  # the server is back: the same processor goes on
    assert sorted((o.name, o.status) for o in report.files) == [
        ("新塘村.xlsx", "applied"), ("石塘村.xlsx", "duplicate"), ("龙岗村.xlsx", "applied")]
    with Store.open(url) as store:
        applied = sorted(s.file_name for s in store.submissions.all() if s.status == "applied")
        assert applied == sorted(f"{v}.xlsx" for v in villages)  # each applied once
        assert len(store.households.list(town=TOWN)) == 6
    assert not list(ws.town_inbox(TOWN).glob("*.xlsx"))


def test_a_connection_killed_inside_a_transaction_writes_nothing_and_says_so(backend):
    if backend is None:
        pytest.skip("a server connection: PostgreSQL only")
    url, name = _named(backend)
    with Store.open(url) as store:
        with pytest.raises(LedgerUnavailable, match="的连接中断了（服务器可能重启或网络断开）"):
            with store.atomic() as conn:
                store.submissions.add(sha256="a" * 64, kind="village", status="applied", file_name="半个.xlsx",
                                      received_at=AT)
                assert _terminate(name) >= 1
                conn.execute(text("SELECT 1"))
        assert store.submissions.all() == []  # nothing half-written; the store reconnects by itself
        with store.atomic():
            store.submissions.add(sha256="b" * 64, kind="village", status="applied", file_name="整个.xlsx",
                                  received_at=AT)
        assert [s.file_name for s in store.submissions.all()] == ["整个.xlsx"]


def test_a_connection_idle_in_the_pool_is_pinged_and_replaced_if_the_server_dropped_it(backend, monkeypatch):
    """Only a connection idle for PING_IDLE seconds is pinged when taken from the pool (a read a moment after the last
    costs no ping); one the server dropped meanwhile is replaced and the read goes on. A connection dropped within
    those seconds fails its statement (said as a lost connection), and the pool is replaced for the next read."""
    if backend is None:
        pytest.skip("a server connection: PostgreSQL only")
    url, name = _named(backend)
    pings: list[bool] = []
    with Store.open(url) as store:
        dialect = store.db.engine.dialect
        real_ping = dialect.do_ping
        monkeypatch.setattr(dialect, "do_ping", lambda conn: pings.append(True) or real_ping(conn))
        monkeypatch.setattr(db, "PING_IDLE", 3600.0)  # however slow the machine, "a moment" here
        assert store.submissions.all() == []
        assert store.submissions.all() == []
        assert pings == []  # handed back a moment before: taken again without a ping
        monkeypatch.setattr(db, "PING_IDLE", 0.0)
        assert _terminate(name) >= 1  # the server drops the connection while it sits in the pool
        assert store.submissions.all() == []  # pinged, found gone, replaced by a new one: the read just works
        assert pings == [True]
        assert store.submissions.all() == []
        assert pings == [True, True]  # idle for PING_IDLE (0) seconds again: pinged, alive
        monkeypatch.setattr(db, "PING_IDLE", 3600.0)
        assert _terminate(name) >= 1
        with pytest.raises(LedgerUnavailable, match="的连接中断了（服务器可能重启或网络断开）"):
            store.submissions.all()  # not pinged: its statement finds the connection gone
        assert store.submissions.all() == []  # the pool was replaced
        assert len(pings) == 2


# --- a full disk ---

@contextlib.contextmanager
def _tiny_disk(path: Path, size: str = "2m") -> Iterator[Path]:
    """A real, small file system (tmpfs) at path; skips where it cannot be mounted (not root, no privilege)."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("mounting a small file system needs root")
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _fill(disk: Path) -> Path:
    """Every free byte of the disk taken by one file."""
    filler = disk / "占满磁盘.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for chunk in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while os.write(fd, b"\0" * chunk):
                    pass
    finally:
        os.close(fd)
    return filler


def test_a_full_disk_under_the_ledger_mid_transaction_writes_nothing_and_says_so(tmp_path):
    with _tiny_disk(tmp_path / "disk") as disk:
        with Store.open(disk / "ledger.sqlite") as store:
            with store.atomic():
                store.submissions.add(sha256="a" * 64, kind="village", status="applied", file_name="先到的.xlsx",
                                      received_at=AT)
            filler = _fill(disk)
            with pytest.raises(LedgerUnavailable, match=FULL):
                with store.atomic():
                    for i in range(5000):
                        store.submissions.add(sha256=f"{i:064d}", kind="village", status="applied",
                                              file_name="很长的名字" * 50, received_at=AT)
            filler.unlink()
            assert [s.file_name for s in store.submissions.all()] == ["先到的.xlsx"]  # nothing of the second


def test_process_on_a_full_disk_exits_3_in_chinese_and_the_file_waits(config, tmp_path):
    ws = workspace_on(tmp_path / "ws", None)  # the ledger on a small disk of its own (--database)
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    with _tiny_disk(tmp_path / "disk") as disk:
        ledger = disk / "ledger.sqlite"
        args = ("process", ws.root, "--database", ledger, "--wait", "0.05", "--workers", "1", "--as-of",
                AS_OF.isoformat())
        Store.open(ledger).close()
        filler = _fill(disk)
        full = run_cli(*args)
        assert full.returncode == 3, (full.stdout, full.stderr)
        assert full.stderr.startswith(f"错误：台账数据库 sqlite:///{ledger} {FULL}"), full.stderr
        assert "Traceback" not in full.stderr and "disk I/O error" not in full.stderr
        assert (ws.town_inbox(TOWN) / "石塘村.xlsx").exists()  # waits for the next pass
        filler.unlink()
        again = run_cli(*args)
        assert again.returncode == 0, again.stderr
        assert "马坝镇/石塘村.xlsx：已入账。2户，错误0处，提示0条" in again.stdout.splitlines()
        with Store.open(ledger) as store:
            assert [(s.file_name, s.status) for s in store.submissions.all()] == [("石塘村.xlsx", "applied")]


def test_a_full_disk_under_the_returned_copies_is_said_in_chinese_left_clean_and_retried(tmp_path, config):
    ws = workspace_on(tmp_path / "ws", None)  # the ledger and the archive on the big disk, 反馈/ on a small one
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    args = ("process", ws.root, "--wait", "0.05", "--workers", "1", "--as-of", AS_OF.isoformat())
    with _tiny_disk(ws.root / "反馈", "1m") as disk:
        filler = _fill(disk)
        full = run_cli(*args)
        assert full.returncode == 0, full.stderr
        lines = full.stdout.splitlines()
        assert "马坝镇/石塘村.xlsx：已入账。2户，错误0处，提示0条" in lines
        [copy] = [line for line in lines if "马坝镇石塘村的反馈文件（石塘村.xlsx）：" in line]
        assert "磁盘空间已满，请清理后再试" in copy, copy
        assert "Traceback" not in full.stderr and "No space left" not in full.stdout + full.stderr, full.stderr
        # nothing half-written: no workbook and no scratch file on the full disk
        assert [p.name for p in disk.rglob("*") if p.is_file()] == [filler.name]
        filler.unlink()
        again = run_cli(*args)  # nothing new arrived: what failed is written now
        assert again.returncode == 0, again.stderr
        assert ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx").is_file()
        assert ws.town_review_path(TOWN).is_file()
