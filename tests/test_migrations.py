"""The ledger's schema revisions (issue 18, item 11): Alembic revisions v1…v9 written by hand, run on SQLite and
PostgreSQL alike — a ledger of the previous version (with rows) is upgraded on both backends, one of a release
before Alembic is recognised by meta.schema_version and stamped, a new ledger built by the revisions has exactly
the schema of `store.tables`, a ledger newer than the program is refused untouched, and the revisions ship in
the wheel. Real SQLite files and a real PostgreSQL schema."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from excel_bridge.errors import LedgerError
from excel_bridge.store import SCHEMA_VERSION, Store
from excel_bridge.store import tables as t
from excel_bridge.store.db import Database
from excel_bridge.store.migrations import HEAD, REVISIONS, alembic_revision, schema_version, upgrade

pytestmark = pytest.mark.backends

AT = dt.datetime(2021, 12, 1, 10, 0, 0)
ROOT = Path(__file__).resolve().parents[1]


def _target(backend: str | None, tmp_path: Path, name: str = "ledger.sqlite") -> str:
    return backend or str(tmp_path / name)


def _build(target: str, revision: str) -> None:
    """A ledger as the program of `revision` left it: the frozen revisions up to it, nothing more."""
    db = Database(target)
    try:
        with db.atomic() as conn:
            upgrade(conn, revision)
    finally:
        db.close()


def _at_version_7_with_rows(target: str) -> None:
    """A version-7 ledger holding a submission of two villages, a household with its member, a refused decision's
    draft and two events (one a transition)."""
    _build(target, "v7")
    engine = create_engine(target if "://" in target else f"sqlite:///{target}")
    with engine.begin() as conn:
        assert schema_version(conn) == 7 and not inspect(conn).has_table("dept_lists")
        conn.execute(t.meta.update().where(t.meta.c.key == "token_secret").values(value="feedface" * 4))
        conn.execute(t.submissions.insert().values(id=1, sha256="abc", kind="village", status="applied", town="马坝镇",
                                                   file_name="马坝镇两村.xlsx", received_at=AT, errors=0, warnings=1,
                                                   households=1, members=1))
        conn.execute(t.submission_villages.insert(), [{"submission_id": 1, "town": "马坝镇", "village": v}
                                                      for v in ("新塘村", "石塘村")])
        conn.execute(t.households.insert().values(
            id=7, head_id="440205195001200440", head_name="李秀英", town="马坝镇", village="石塘村", state="待镇审核",
            version=3, opinion="", on_file=True, provisional=False, lead_date=dt.date(2021, 12, 1), submission_id=1,
            data={"size": 1}, assessment={"proposed": True}, errors=0, warnings=1, updated_at=AT))
        conn.execute(t.members.insert().values(household_id=7, person_id="440205195001200440", name="李秀英",
                                               town="马坝镇", village="石塘村", data={"birth_date": "1950-01-20"}))
        conn.execute(t.events.insert(), [
            {"at": AT, "household_id": 7, "event": "created", "action": "created", "to_state": "线索", "level": "系统",
             "effective_date": dt.date(2021, 12, 1)},
            {"at": AT, "household_id": 7, "event": "transition", "action": "评议公示通过", "from_state": "线索",
             "to_state": "待镇审核", "level": "村", "effective_date": dt.date(2021, 12, 1)}])
        conn.execute(t.decision_drafts.insert().values(level="镇", household_id=7, town="马坝镇", version=3, decision="同意",
                                                       flagged=["person"], at=AT))
    engine.dispose()


@pytest.mark.parametrize("stamped", [True, False], ids=["alembic", "before-alembic"])
def test_a_version_7_ledger_with_rows_is_upgraded_on_open(backend, tmp_path, stamped):
    target = _target(backend, tmp_path)
    _at_version_7_with_rows(target)
    if not stamped:  # a release before Alembic knew the version only from meta.schema_version
        engine = create_engine(target if "://" in target else f"sqlite:///{target}")
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE alembic_version"))
        engine.dispose()
    with Store.open(target) as store:
        assert store.schema_version() == SCHEMA_VERSION
        with store.snapshot() as conn:
            assert alembic_revision(conn) == HEAD
            assert {"dept_lists", "dept_warnings", "dept_unmatched"} <= set(inspect(conn).get_table_names())
        assert store.meta.get("token_secret") == "feedface" * 4
        hh = store.households.get(7)
        assert (hh.head_name, hh.state, hh.version, hh.data, hh.lead_date) == (
            "李秀英", "待镇审核", 3, {"size": 1}, dt.date(2021, 12, 1))
        assert store.households.members_of(7) == [{"birth_date": dt.date(1950, 1, 20)}]
        assert [(e.event, e.action, e.to_state) for e in store.events.of(7)] == [
            ("created", "created", "线索"), ("transition", "评议公示通过", "待镇审核")]
        [sub] = store.submissions.all()
        assert (sub.villages, sub.warnings, sub.received_at) == (("新塘村", "石塘村"), 1, AT)
        draft = store.drafts.of("镇", [7])[7]
        assert (draft.version, draft.decision, draft.flagged) == (3, "同意", ("person",))
        with store.atomic():  # the new tables take rows; the log is still append-only
            store.events.record(household_id=7, event="removed", level="村", at=AT)
        with pytest.raises(LedgerError):
            with store.atomic() as conn:
                conn.execute(t.events.delete())
    with Store.open(target) as store:  # opened again: nothing more to do
        assert store.schema_version() == SCHEMA_VERSION
        assert [e.event for e in store.events.of(7)] == ["created", "transition", "removed"]


def test_a_version_4_ledger_has_its_steps_and_villages_moved_into_their_own_columns(backend, tmp_path):
    """v5's data step, on either backend: "退回：收入核算有误" becomes action 退回 with comment 收入核算有误, and a
    file's "、"-joined villages become rows of submission_villages."""
    target = _target(backend, tmp_path)
    _build(target, "v4")
    engine = create_engine(target if "://" in target else f"sqlite:///{target}")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO submissions(id, sha256, kind, status, town, village, file_name, received_at,"
                          " errors, warnings, households, members) VALUES (1, 'abc', 'village', 'applied', '马坝镇',"
                          " '石塘村、新塘村', '两村.xlsx', :at, 0, 0, 1, 1)"), {"at": AT})
        conn.execute(text("INSERT INTO households(id, head_id, town, village, state, version, opinion, on_file,"
                          " provisional, data, assessment, errors, warnings, updated_at) VALUES (7, '440205195001200440',"
                          " '马坝镇', '石塘村', '线索', 1, '', :yes, :no, '{}', '{}', 0, 0, :at)"),
                     {"at": AT, "yes": True, "no": False})
        conn.execute(text("INSERT INTO events(at, household_id, event, from_state, to_state, level, comment) VALUES"
                          " (:at, 7, 'created', NULL, '线索', '系统', '研判建议纳入监测'),"
                          " (:at, 7, 'transition', '待镇核查', '线索', '镇', '退回：收入核算有误'),"
                          " (:at, 7, 'transition', '线索', '待镇核查', '村', '评议公示通过')"), {"at": AT})
    engine.dispose()
    with Store.open(target) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert [(e.event, e.action, e.comment, e.effective_date) for e in store.events.of(7)] == [
            ("created", "created", "研判建议纳入监测", AT.date()), ("transition", "退回", "收入核算有误", AT.date()),
            ("transition", "评议公示通过", None, AT.date())]
        [sub] = store.submissions.all()
        assert sub.villages == ("新塘村", "石塘村")
        with pytest.raises(LedgerError):  # the log is append-only again
            with store.atomic() as conn:
                conn.execute(t.events.update().values(comment="改"))


def test_a_version_8_ledger_gives_its_identified_households_the_category_their_data_shows(backend, tmp_path):
    """v9 (issue 20): 认定类别 for a household already identified is what its stored assessment suggested, else
    (its income rose since: no suggestion) 脱贫不稳定户 for a 脱贫户 and 边缘易致贫户 otherwise; a lead gets none."""
    target = _target(backend, tmp_path)
    _build(target, "v8")
    engine = create_engine(target if "://" in target else f"sqlite:///{target}")
    common = dict(town="马坝镇", village="石塘村", version=2, opinion="", on_file=True, provisional=False,
                  errors=0, warnings=0, updated_at=AT)
    with engine.begin() as conn:
        conn.execute(t.households.insert(), [
            dict(id=1, head_id="1", state="帮扶中", identified_date=dt.date(2021, 3, 1),
                 data={"household_type": "普通农户"}, assessment={"category": "突发严重困难户"}, **common),
            dict(id=2, head_id="2", state="待镇验收", identified_date=dt.date(2021, 3, 1),
                 data={"household_type": "脱贫户"}, assessment={"category": None}, **common),
            dict(id=3, head_id="3", state="风险已消除", identified_date=dt.date(2021, 3, 1),
                 data={"household_type": "普通农户"}, assessment={}, **common),
            dict(id=4, head_id="4", state="线索", identified_date=None, data={"household_type": "脱贫户"},
                 assessment={"category": "脱贫不稳定户"}, **common)])
    engine.dispose()
    with Store.open(target) as store:
        assert store.schema_version() == SCHEMA_VERSION
        assert [store.households.get(i).category for i in (1, 2, 3, 4)] == [
            "突发严重困难户", "脱贫不稳定户", "边缘易致贫户", None]


def _fingerprint(target: str) -> dict[str, object]:
    """What a schema is made of: per table its columns (name, type, nullable), primary key, foreign keys and
    indexes; and the event log's triggers."""
    engine = create_engine(target if "://" in target else f"sqlite:///{target}")
    try:
        with engine.connect() as conn:
            ins = inspect(conn)
            tables: dict[str, object] = {}
            for name in sorted(set(ins.get_table_names()) - {"alembic_version"}):
                tables[name] = (
                    sorted((c["name"], str(c["type"]), c["nullable"]) for c in ins.get_columns(name)),
                    sorted(ins.get_pk_constraint(name)["constrained_columns"]),
                    sorted((tuple(f["constrained_columns"]), f["referred_table"], tuple(f["referred_columns"]))
                           for f in ins.get_foreign_keys(name)),
                    sorted((i["name"], tuple(i["column_names"]), bool(i["unique"])) for i in ins.get_indexes(name)),
                )
            if conn.dialect.name == "sqlite":
                triggers = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
            else:
                triggers = conn.execute(text("SELECT DISTINCT trigger_name FROM information_schema.triggers"
                                             " WHERE event_object_schema = current_schema()")).scalars()
            tables["(triggers)"] = sorted(triggers)
            return tables
    finally:
        engine.dispose()


@contextlib.contextmanager
def _another(backend: str | None, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend (PostgreSQL: a schema of its own, dropped afterwards)."""
    if backend is None:
        yield str(tmp_path / "other.sqlite")
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(os.environ["EB_TEST_POSTGRES"])
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield make_url(backend).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def test_a_new_ledger_built_by_the_revisions_has_the_schema_of_the_tables(backend, tmp_path):
    target = _target(backend, tmp_path)
    Store.open(target).close()
    with _another(backend, tmp_path) as other:
        engine = create_engine(other if "://" in other else f"sqlite:///{other}")
        t.metadata.create_all(engine)  # today's definitions, as the code reads and writes them
        engine.dispose()
        built, defined = _fingerprint(target), _fingerprint(other)
    assert set(built) == set(defined) == {*t.metadata.tables, "(triggers)"}
    for name in built:
        assert built[name] == defined[name], name
    assert built["(triggers)"] == ["events_no_delete", "events_no_update"]


def test_a_ledger_newer_than_the_program_is_refused_untouched(backend, tmp_path):
    target = _target(backend, tmp_path)
    Store.open(target).close()
    engine = create_engine(target if "://" in target else f"sqlite:///{target}")
    with engine.begin() as conn:
        conn.execute(t.meta.update().where(t.meta.c.key == "schema_version").values(value=str(SCHEMA_VERSION + 1)))
    before = _fingerprint(target)
    with pytest.raises(LedgerError, match=f"台账数据库版本（{SCHEMA_VERSION + 1}）比本程序（{SCHEMA_VERSION}）新"):
        Store.open(target)
    assert _fingerprint(target) == before
    with engine.connect() as conn:
        assert schema_version(conn) == SCHEMA_VERSION + 1
        assert alembic_revision(conn) == HEAD
    engine.dispose()


def test_one_revision_per_version_the_last_one_the_programs():
    names = sorted(p.name for p in (REVISIONS / "versions").glob("v*_*.py"))
    assert [n.split("_", 1)[0] for n in sorted(names, key=lambda n: int(n[1:].split("_")[0]))] == [
        f"v{n}" for n in range(1, SCHEMA_VERSION + 1)]
    assert HEAD == f"v{SCHEMA_VERSION}"


def test_the_revisions_ship_in_the_wheel_and_need_no_alembic_ini(tmp_path):
    source = tmp_path / "src"  # a copy: the build leaves nothing in the checkout, and nothing stale gets in
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info",
                                                                  "__pycache__", "tests", "bench", ".*"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("excel_bridge-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        zf.extractall(tmp_path / "site")
    assert "excel_bridge/store/revisions/env.py" in names
    assert {f"excel_bridge/store/revisions/versions/{p.name}" for p in (REVISIONS / "versions").glob("v*.py")} <= names
    assert not any(n.endswith("alembic.ini") for n in names)
    # the installed copy (not this checkout) builds a ledger, from a folder with no alembic.ini
    code = ("import excel_bridge.store as s, sys; st = s.Store.open(sys.argv[1]); "
            "print(s.__file__, st.schema_version()); st.close()")
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "site")}
    ran = subprocess.run([sys.executable, "-c", code, str(tmp_path / "ledger.sqlite")], capture_output=True,
                         text=True, timeout=120, cwd=tmp_path, env=env)
    assert ran.returncode == 0, ran.stderr
    where, version = ran.stdout.split()
    assert where.startswith(str(tmp_path / "site")) and version == str(SCHEMA_VERSION)
