"""The store (the ledger database) and the workspace that holds it: `excel-bridge init`, schema versions and
upgrades of older ledgers, the append-only event log, all-or-nothing transactions that nest, a second
writer, and the boundary (no module outside store/ talks to the database). Real SQLite files, a real
PostgreSQL server where EB_TEST_POSTGRES is set, real subprocesses."""

from __future__ import annotations

import ast
import datetime as dt
import shutil
import sqlite3
import struct
import subprocess
from pathlib import Path

import pytest
import source_trees
from cli_helpers import run_cli
from sqlalchemy import text

from excel_bridge.errors import LedgerError, StoreError
from excel_bridge.store import SCHEMA_VERSION, Store
from excel_bridge.store.db import WAL_PAGES
from excel_bridge.workspace import Workspace

pytestmark = pytest.mark.backends

AT = dt.datetime(2021, 12, 20, 9, 0, 0)
TABLES = {"meta", "submissions", "submission_villages", "households", "members", "measures", "reviews", "issues",
          "dept_lists", "dept_warnings", "dept_unmatched",
          "events", "outputs", "counters", "decision_notes", "pending_outputs", "decision_drafts"}
LEGACY = Path(__file__).parent / "data" / "ledger_legacy.sql"
PACKAGE = Path(__file__).resolve().parents[1] / "excel_bridge"


def _init(directory: Path) -> subprocess.CompletedProcess:
    return run_cli("init", directory)


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _submission(store: Store, **over) -> int:
    fields = dict(sha256="a" * 64, kind="village", status="applied", file_name="x.xlsx", received_at=AT)
    fields.update(over)
    return store.submissions.add(**fields)


# --- excel-bridge init ---

def test_workspace_open_refuses_a_folder_without_settings(tmp_path):
    from excel_bridge.errors import WorkspaceError

    with pytest.raises(WorkspaceError, match="不是 excel_bridge 工作目录"):
        Workspace.open(tmp_path)
    proc = run_cli("process", tmp_path)
    assert proc.returncode == 3
    assert "excel-bridge init" in proc.stderr


def test_a_workspace_whose_settings_name_a_database_uses_it(ws, backend):
    with ws.open_store() as store:
        assert store.dialect == ("sqlite" if backend is None else "postgresql")
        with store.atomic():
            _submission(store)
    with ws.open_store() as store:
        assert [s.file_name for s in store.submissions.all()] == ["x.xlsx"]
    assert ws.ledger_path.exists() == (backend is None)


# --- schema versions and upgrades ---

def _legacy_database(path: Path, version: int) -> None:
    """A ledger as an earlier release left it at `version` (1–4), with some data."""
    parts = LEGACY.read_text(encoding="utf-8").split("-- @version ")[1:]
    conn = sqlite3.connect(path, isolation_level=None)
    for part in parts[:version]:
        conn.executescript(part.split("\n", 1)[1])
    conn.executescript(f"""
        INSERT INTO meta(key, value) VALUES('schema_version', '{version}');
        INSERT INTO meta(key, value) VALUES('token_secret', 'feedfacefeedfacefeedfacefeedface');
        INSERT INTO submissions(id, sha256, kind, status, town, village, file_name, received_at)
            VALUES(1, 'abc', 'village', 'applied', '马坝镇', '石塘村、新塘村', '马坝镇两村.xlsx', '2021-12-01 10:00:00');
        INSERT INTO submissions(id, sha256, kind, status, town, village, file_name, received_at)
            VALUES(2, 'def', 'village', 'unreadable', '马坝镇', NULL, '坏.xlsx', '2021-12-02 10:00:00');
        INSERT INTO households(id, head_id, head_name, town, village, state, data, assessment, updated_at,
                               lead_date, on_file, provisional)
            VALUES(7, '440205195001200440', '李秀英', '马坝镇', '石塘村', '线索', '{{"size":1,"identified_date":null}}',
                   '{{"proposed":true}}', '2021-12-01 10:00:00', '2021-12-01', 1, 1);
        INSERT INTO members(household_id, person_id, name, town, village, data)
            VALUES(7, '440205195001200440', '李秀英', '马坝镇', '石塘村', '{{"birth_date":"1950-01-20"}}');
        INSERT INTO events(at, household_id, event, to_state, level, comment)
            VALUES('2021-12-01 10:00:00', 7, 'created', '线索', '系统', '研判建议纳入监测，登记为线索');
        INSERT INTO events(at, household_id, event, from_state, to_state, level, person, comment)
            VALUES('2021-12-05 10:00:00', 7, 'transition', '待镇核查', '线索', '镇', '王核查', '退回：收入核算有误');
        INSERT INTO events(at, household_id, event, from_state, to_state, level, comment)
            VALUES('2021-12-06 10:00:00', 7, 'transition', '线索', '待镇核查', '村', '评议公示通过');
    """)
    conn.close()


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_an_older_ledger_is_upgraded_on_open_and_keeps_its_data(tmp_path, version):
    db = tmp_path / "ledger.sqlite"
    _legacy_database(db, version)
    with Store.open(db) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert store.meta.get("token_secret") == "feedfacefeedfacefeedfacefeedface"
        hh = store.households.get(7)
        assert (hh.head_name, hh.state, hh.data, hh.lead_date, hh.on_file, hh.provisional) == (
            "李秀英", "线索", {"size": 1, "identified_date": None}, dt.date(2021, 12, 1), True, True)
        assert store.households.members_of(7) == [{"birth_date": dt.date(1950, 1, 20)}]
        # what a step did is now a column; its comment keeps only what was said with it
        assert [(e.event, e.action, e.comment, e.effective_date) for e in store.events.of(7)] == [
            ("created", "created", "研判建议纳入监测，登记为线索", dt.date(2021, 12, 1)),
            ("transition", "退回", "收入核算有误", dt.date(2021, 12, 5)),
            ("transition", "评议公示通过", None, dt.date(2021, 12, 6))]
        assert store.events.last_action_day(7, ("退回", "不予认定")) == dt.date(2021, 12, 5)
        # a file's villages are a table now, not one joined string
        [two, bad] = store.submissions.all()
        assert (two.villages, bad.villages) == (("新塘村", "石塘村"), ())
        assert store.submissions.latest_for_village("马坝镇", "新塘村").id == 1
        assert two.received_at == dt.datetime(2021, 12, 1, 10)
    conn = sqlite3.connect(db)
    try:
        assert TABLES <= _tables(conn)
        assert "village" not in [r[1] for r in conn.execute("PRAGMA table_info(submissions)")]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the log is still append-only
            conn.execute("DELETE FROM events")
    finally:
        conn.close()
    with Store.open(db) as store:  # opening again migrates nothing more, and the ledger takes new rows
        assert store.schema_version() == SCHEMA_VERSION
        with store.atomic():
            store.events.record(household_id=7, event="removed", level="村", at=AT)
        assert [e.event for e in store.events.of(7)][-1] == "removed"


def test_a_database_newer_than_the_program_is_refused_untouched(tmp_path):
    db = tmp_path / "ledger.sqlite"
    Store.open(db).close()
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("UPDATE meta SET value=? WHERE key='schema_version'", (str(SCHEMA_VERSION + 1),))
    conn.close()
    with pytest.raises(LedgerError, match=f"台账数据库版本（{SCHEMA_VERSION + 1}）比本程序（{SCHEMA_VERSION}）新"):
        Store.open(db)
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION + 1)
    conn.close()


def test_a_fresh_database_is_created_once_with_its_own_secret(store, backend, tmp_path):
    assert store.schema_version() == SCHEMA_VERSION
    secret = store.meta.get("token_secret")
    assert secret is not None and len(secret) == 32
    with Store.open(backend or tmp_path / "ledger.sqlite") as again:
        assert again.meta.get("token_secret") == secret
        assert again.schema_version() == SCHEMA_VERSION


def test_an_unreachable_database_is_a_chinese_error(tmp_path):
    with pytest.raises(LedgerError, match="无法打开台账数据库 postgresql\\+psycopg://eb:\\*\\*\\*@127.0.0.1:9/x"):
        Store.open("postgresql+psycopg://eb:secret@127.0.0.1:9/x", timeout=1)


# --- the event log is append-only, on every backend ---

def test_events_refuse_update_and_delete(store):
    with store.atomic():
        store.events.record(household_id=None, event="created", level="系统", at=AT, comment="原始记录")
    before = store.events.recent_transitions(10), _all_events(store)
    for statement in ("UPDATE events SET comment='改过'", "DELETE FROM events"):
        with pytest.raises(StoreError, match="events are append-only"):
            with store.atomic() as conn:
                conn.exec_driver_sql(statement)
    with pytest.raises(StoreError, match="events are append-only"):
        with store.atomic() as conn:
            store.events.record(household_id=None, event="x", level="系统", at=AT)
            conn.exec_driver_sql("DELETE FROM events WHERE event='created'")
    assert (store.events.recent_transitions(10), _all_events(store)) == before
    assert [(e.event, e.comment) for e in before[1]] == [("created", "原始记录")]


def _all_events(store: Store) -> list:
    from sqlalchemy import select

    from excel_bridge.store import tables as t
    from excel_bridge.store.records import Event

    return [Event.of(r) for r in store.db.rows(select(t.events).order_by(t.events.c.id))]


# --- transactions: all or nothing, nesting ---

def test_atomic_is_all_or_nothing(store):
    with pytest.raises(RuntimeError, match="half way"):
        with store.atomic():
            _submission(store, file_name="y.xlsx")
            store.meta.next_counter("provisional_no")
            raise RuntimeError("half way")
    assert store.submissions.all() == []
    with store.atomic():
        assert store.meta.next_counter("provisional_no") == 1
        assert store.meta.next_counter("provisional_no") == 2


def test_a_files_new_households_are_created_at_once_in_their_order_with_their_events(store):
    with store.atomic():
        sub = _submission(store)
        assert store.meta.next_counters("provisional_no", 3) == range(1, 4)
        assert store.meta.next_counter("provisional_no") == 4
        assert store.meta.next_counters("provisional_no", 0) == range(0)
        new = [dict(head_id=f"44020519700101{n:04d}", head_name=name, town="马坝镇", village="石塘村", state=state,
                    household_no=number, provisional=number is not None and number.startswith("LS"), lead_date=None,
                    identified_date=None, submission_id=sub, row=n + 2, data={"head_name": name, "n": n},
                    assessment={"proposed": state == "线索"}, errors=0, warnings=n, at=AT)
               for n, (name, state, number) in enumerate([("张三", "线索", "LS440205000005"), ("李四", "未纳入", None),
                                                         ("王五", "帮扶中", "4402050001")])]
        rows = store.households.create_rows(new)
        store.events.record_many([dict(household_id=r.id, event="created", to_state=r.state, level="系统", at=AT)
                                  for r in rows])
        assert store.households.create_rows([]) == []
    assert [(r.head_name, r.state, r.household_no, r.provisional, r.row, r.warnings, r.data["n"], r.version, r.on_file)
            for r in rows] == [("张三", "线索", "LS440205000005", True, 2, 0, 0, 1, True),
                               ("李四", "未纳入", None, False, 3, 1, 1, 1, True),
                               ("王五", "帮扶中", "4402050001", False, 4, 2, 2, 1, True)]
    assert rows == [store.households.get(r.id) for r in rows]
    assert [[(e.event, e.action, e.to_state, e.effective_date) for e in store.events.of(r.id)] for r in rows] == [
        [("created", "created", state, AT.date())] for state in ("线索", "未纳入", "帮扶中")]


def test_many_new_households_give_postgresql_statistics_of_the_keys_not_of_the_documents(store, backend):
    """After a file that grew the ledger by a tenth or more, PostgreSQL's statistics are refreshed at once (the
    district's workbooks are read right after): of every column a statement may filter, join or sort on, and of no
    JSON document (sampling those was most of the ANALYZE). SQLite plans without statistics: none are made."""
    with store.atomic():
        sub = _submission(store)
        rows = store.households.create_rows([
            dict(head_id=f"44020519700101{n:04d}", head_name=f"户{n}", town="马坝镇", village="石塘村", state="线索",
                 household_no=None, provisional=False, lead_date=None, identified_date=None, submission_id=sub,
                 row=n + 2, data={"n": n}, assessment={"proposed": True}, errors=0, warnings=0, at=AT)
            for n in range(30)])
        store.households.replace_children_of(town="马坝镇", village="石塘村", created=[r.id for r in rows], children=[
            (r.id, [{"person_id": r.head_id, "name": r.head_name, "_sheet": "家庭成员", "_row": 2, "relation": "户主"}],
             [], []) for r in rows])
    store.households.refresh_statistics()
    if backend is None:
        assert store.db.rows(text("SELECT name FROM sqlite_master WHERE name LIKE 'sqlite_stat%'")) == []
        return
    analyzed = {(r.tablename, r.attname) for r in store.db.rows(text(
        "SELECT tablename, attname FROM pg_stats WHERE schemaname = current_schema()"))}
    assert {("households", "id"), ("households", "town"), ("households", "head_id"), ("households", "state"),
            ("members", "household_id"), ("members", "person_id"), ("members", "village")} <= analyzed
    assert not {(table, column) for table, column in analyzed if column in ("data", "assessment")}


def test_households_listed_among_ids_keep_the_ledgers_order_and_filters(store):
    """list(ids=…): a few households of a village (its notice list) without decoding the others; more ids
    than one IN list holds are read in chunks and still come back in the ledger's order."""
    with store.atomic():
        sub = _submission(store)
        rows = store.households.create_rows([
            dict(head_id=f"44020519700101{n:04d}", head_name=f"户{n}", town="马坝镇", village=village, state="线索",
                 household_no=None, provisional=False, lead_date=None, identified_date=None, submission_id=sub,
                 row=n + 2, data={"n": n}, assessment={}, errors=0, warnings=0, at=AT)
            for n, village in enumerate(["石塘村", "新村"] * 600)])
        store.households.mark_removed(rows[2].id, at=AT)
    shitang = [r.id for r in rows if r.village == "石塘村"]
    assert [r.id for r in store.households.list(ids=[shitang[5], shitang[1], rows[1].id, shitang[1]])] == [
        rows[1].id, shitang[1], shitang[5]]  # 新村 before 石塘村 (byte order), ids ascending, each once
    assert [r.id for r in store.households.list(village="石塘村", on_file=True, ids=[rows[0].id, rows[2].id, rows[3].id])
            ] == [rows[0].id]  # 新村's row 3 and the removed row 2 are filtered out
    every = store.households.list(ids=[r.id for r in reversed(rows)])  # 1,200 ids: three IN lists
    assert every == store.households.list() and len(every) == 1200
    assert store.households.list(states=(s for s in ["线索"]), ids=[r.id for r in rows]) == every  # each chunk
    assert store.households.list(ids=[]) == []


def test_reviews_of_many_households_are_read_at_once_as_each_households_own(store):
    """reviews_of_many: a decision sheet's reviews in one query per chunk of ids, each household's in the ledger's
    order (as reviews_of reads one), an id without reviews an empty list, more ids than one IN list holds."""
    with store.atomic():
        sub = _submission(store)
        rows = store.households.create_rows([
            dict(head_id=f"44020519700101{n:04d}", head_name=f"户{n}", town="马坝镇", village="石塘村", state="线索",
                 household_no=None, provisional=False, lead_date=None, identified_date=None, submission_id=sub,
                 row=n + 2, data={"n": n}, assessment={}, errors=0, warnings=0, at=AT)
            for n in range(1100)])
        store.households.replace_children_of(town="马坝镇", village="石塘村", children=[
            (r.id, [], [], [{"matter": "纳入监测", "review_date": dt.date(2021, 12, k + 1), "k": k} for k in range(n % 3)])
            for n, r in enumerate(rows)])
    ids = [r.id for r in reversed(rows)] + [rows[4].id]
    many = store.households.reviews_of_many(ids)
    assert sorted(many) == sorted(r.id for r in rows)
    assert many == {r.id: store.households.reviews_of(r.id) for r in rows}
    assert many[rows[0].id] == [] and [x["k"] for x in many[rows[2].id]] == [0, 1]
    assert many[rows[2].id][1]["review_date"] == dt.date(2021, 12, 2)
    assert store.households.reviews_of_many([]) == {}


def test_atomic_nests_an_inner_failure_undoes_only_the_inner_block(store):
    with store.atomic():
        _submission(store, file_name="outer.xlsx")
        with pytest.raises(RuntimeError):
            with store.atomic():
                _submission(store, file_name="inner.xlsx")
                raise RuntimeError("inner")
        with store.atomic():
            _submission(store, file_name="second.xlsx")
    assert [s.file_name for s in store.submissions.all()] == ["outer.xlsx", "second.xlsx"]


def test_commands_outside_a_transaction_are_a_programming_error(store):
    with pytest.raises(RuntimeError, match="store.atomic"):
        _submission(store)


def test_a_second_writer_waits_then_reports_the_database_busy(tmp_path):
    db = tmp_path / "l.sqlite"
    with Store.open(db) as first, Store.open(db, timeout=0.2) as second:
        with first.atomic():
            _submission(first)
            with pytest.raises(LedgerError, match="台账数据库被占用"):
                with second.atomic():
                    pass
            assert second.submissions.all() == []  # readers are never blocked by the writer (WAL)
        assert [s.file_name for s in second.submissions.all()] == ["x.xlsx"]


# --- the boundary ---

DRIVERS = {"sqlite3", "sqlalchemy", "psycopg", "psycopg2"}


def test_no_module_outside_the_store_talks_to_the_database():
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] == "store":
            continue
        for node in source_trees.nodes(path):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            offenders += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.split(".")[0] in DRIVERS]
    assert offenders == []


def _wal_frames(ledger: Path) -> tuple[int, int]:
    """(frames in the SQLite ledger's write-ahead log, frames of it copied into the database file), read from its
    -shm index: mxFrame of the index header, nBackfill of the checkpoint information after its two copies."""
    shm = ledger.with_name(ledger.name + "-shm").read_bytes()
    return struct.unpack_from("=I", shm, 16)[0], struct.unpack_from("=I", shm, 96)[0]


def test_a_sqlite_commit_leaves_its_log_for_the_pass_to_fold_in(tmp_path, pristine_workspace):
    """A commit of more than SQLite's default 1,000 pages does not copy the log into the database on the spot
    (that took a village's commit from 3 to 30 ms of the clerk's turnaround, issue 23): the pass folds it in with
    Store.checkpoint() while its workers write the copies, and past WAL_PAGES SQLite does."""
    ledger = tmp_path / "ledger.sqlite"
    shutil.copy(Workspace(pristine_workspace).ledger_path, ledger)
    with Store.open(ledger) as store:
        with store.db.snapshot() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == WAL_PAGES == 16_000
        with store.atomic():
            store.meta.set("bulk", "x" * 6_000_000)  # ~1,500 pages of 4 KiB
        frames, copied = _wal_frames(ledger)
        assert frames > 1_000 and copied < frames
        with store.atomic():
            store.checkpoint()  # inside a transaction: nothing (its own snapshot would hold the log back)
            store.meta.set("bulk", "")
        assert _wal_frames(ledger)[1] == copied
        store.checkpoint()
        frames = _wal_frames(ledger)[0]
        assert _wal_frames(ledger) == (frames, frames)  # everything in the log is in the database file now
        assert store.meta.get("bulk") == ""
