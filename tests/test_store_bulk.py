"""A file's many rows written at once (store/bulk.py): PostgreSQL's COPY stores exactly what SQLAlchemy's executemany
stores (every column read back, JSON as its stored text, dates, booleans, NULLs, Chinese text, an ID ending in X,
text COPY would have to escape); a file's new households are handed back as a read-back gives them; a failure in the
middle of a COPY leaves nothing of the file. Real SQLite and, where EB_TEST_POSTGRES is set, a real PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import JSON, Text, cast, event, insert, select
from sqlalchemy.exc import IntegrityError

from excel_bridge.errors import StoreError
from excel_bridge.store import tables as t
from excel_bridge.store.bulk import insert_rows

pytestmark = pytest.mark.backends

AT = dt.datetime(2021, 12, 20, 9, 30, 15)
ID_X = "44020519800101123X"
TRICKY = "李\t四\n二行 \\N \\ 反斜杠 \"引号\" 'x' 😀"  # tab, newline, a literal \N, backslashes, quotes, outside the BMP


def _household(n: int, sub: int, **over: Any) -> dict[str, Any]:
    values = dict(head_id=ID_X if n == 0 else f"44020519700101{n:04d}", head_name="张三" if n == 0 else TRICKY,
                  town="马坝镇", village="石塘村", state="线索" if n == 0 else "帮扶中",
                  household_no="LS440205000001" if n == 0 else None, provisional=n == 0,
                  lead_date=dt.date(2021, 12, 1) if n == 0 else None, identified_date=None, submission_id=sub,
                  row=n + 2, data=_data(n), assessment={"proposed": n == 0, "reasons": ["收入骤减", TRICKY], "n": None},
                  errors=0, warnings=n, at=AT)
    values.update(over)
    return values


def _data(n: int) -> dict[str, Any]:
    """A record's JSON as the validator makes it: dates (revived and not), multi-choice tuples, numbers, NULLs."""
    return {"head_id": ID_X, "head_name": "张三", "identified_date": dt.date(2021, 3, 4), "birth_date": None,
            "visit": dt.date(2021, 5, 6), "health": ("长期慢性病", "大病"), "wage_income": 12345.5, "size": n + 1,
            "big": 1e16, "flag": True, "empty": "", "note": TRICKY, "nested": {"a": [1, "二", None, {"b": False}]}}


def _rows(sub: int, hid: int) -> dict[str, list[dict[str, Any]]]:
    """One row of every other table a village file writes many of, with every kind of value in it."""
    member = {"household_id": hid, "person_id": ID_X, "name": "张三", "town": "马坝镇", "village": "石塘村",
              "sheet": "家庭成员", "row": 3,
              "data": {**_data(0), "person_id": ID_X, "_sheet": "家庭成员", "_row": 3}}
    nameless = {"household_id": hid, "person_id": None, "name": TRICKY, "town": "马坝镇", "village": "石塘村",
                "sheet": None, "row": None, "data": {}}
    return {
        "members": [member, nameless],
        "measures": [{"household_id": hid, "data": {"start_date": dt.date(2021, 6, 1), "kind": "产业帮扶"}}],
        "reviews": [{"household_id": hid, "data": {"notice_start": dt.date(2021, 7, 1), "result": TRICKY}}],
        "events": [{"at": AT, "household_id": hid, "event": "created", "action": "created", "from_state": None,
                    "to_state": "线索", "level": "系统", "person": None, "source_sha256": "ab" * 32,
                    "comment": TRICKY, "effective_date": dt.date(2021, 12, 20)},
                   {"at": AT, "household_id": None, "event": "transition", "action": "同意", "from_state": "待镇审核",
                    "to_state": "待区审核", "level": "镇", "person": "王镇长", "source_sha256": None, "comment": None,
                    "effective_date": None}],
        "issues": [{"submission_id": sub, "code": "ID_CHECKSUM", "severity": "error", "sheet": "家庭成员", "row": 3,
                    "column_name": "身份证号", "value": "\\N", "message": TRICKY, "hint": "请核对"},
                   {"submission_id": sub, "code": "X", "severity": "warning", "sheet": None, "row": None,
                    "column_name": None, "value": None, "message": "", "hint": ""}],
    }


def _read_back(conn: Any, table: Any, first_id: int) -> list[dict[str, Any]]:
    """Every column but the id of the rows from `first_id` on, JSON columns also as the text the database holds."""
    columns = [c for c in table.columns if c.name != "id"]
    texts = [cast(c, Text).label(f"{c.name}_text") for c in columns if isinstance(c.type, JSON)]
    q = select(*columns, *texts).where(table.c.id >= first_id).order_by(table.c.id)
    return [dict(r._mapping) for r in conn.execute(q)]


def _next_id(conn: Any, table: Any) -> int:
    return (conn.execute(select(table.c.id).order_by(table.c.id.desc()).limit(1)).scalar() or 0) + 1


def test_copy_stores_exactly_what_an_executemany_stores(store):
    sent: list[str] = []
    listen = (store.db.engine, "before_cursor_execute", lambda _c, _cur, statement, *_: sent.append(statement))
    event.listen(*listen)
    with store.atomic() as conn:
        sub = store.submissions.add(sha256="a" * 64, kind="village", status="applied", file_name="x.xlsx",
                                    received_at=AT)
        hid = store.households.create_rows([_household(0, sub)])[0].id
        for name, rows in _rows(sub, hid).items():
            table = t.metadata.tables[name]
            first = _next_id(conn, table)
            sent.clear()
            insert_rows(conn, table, rows)  # COPY on PostgreSQL
            assert [s.split()[0] for s in sent] == ["COPY" if store.dialect == "postgresql" else "INSERT"]
            bulk = _read_back(conn, table, first)
            first = _next_id(conn, table)
            conn.execute(insert(table), rows)  # SQLAlchemy's executemany: what the store did before
            plain = _read_back(conn, table, first)
            assert bulk == plain, name
            assert len(bulk) == len(rows)
        # a household's every column, its JSON as text too
        from excel_bridge.store.households import new_household

        first = _next_id(conn, t.households)
        insert_rows(conn, t.households, [new_household(**_household(n, sub)) for n in range(3)])
        bulk = _read_back(conn, t.households, first)
        first = _next_id(conn, t.households)
        conn.execute(insert(t.households), [new_household(**_household(n, sub)) for n in range(3)])
        assert bulk == _read_back(conn, t.households, first)
    event.remove(*listen)
    member = store.households.members_of(hid)[0]
    assert (member["person_id"], member["identified_date"], member["visit"], member["health"], member["note"]) == (
        ID_X, dt.date(2021, 3, 4), "2021-05-06", ("长期慢性病", "大病"), TRICKY)
    issues = store.submissions.issues_of(sub)
    assert [(i.value, i.sheet, i.row, i.message) for i in issues[:2]] == [
        ("\\N", "家庭成员", 3, TRICKY), (None, None, None, "")]  # a literal \N is text, not NULL


def test_a_files_new_households_are_handed_back_as_a_read_back_gives_them(store):
    with store.atomic():
        sub = store.submissions.add(sha256="b" * 64, kind="village", status="applied", file_name="y.xlsx",
                                    received_at=AT)
        first = store.households.create_rows([_household(n, sub) for n in range(3)])
        second = store.households.create_rows([_household(n, sub, village="新村") for n in (4, 5)])
    read = [store.households.get(r.id) for r in first + second]
    assert first + second == read
    assert [r.id for r in first + second] == sorted(r.id for r in first + second)  # in the order given
    assert len({r.id for r in first + second}) == 5
    one = first[0]
    assert (one.head_id, one.provisional, one.lead_date, one.identified_date, one.on_file, one.version,
            one.opinion, one.updated_at) == (ID_X, True, dt.date(2021, 12, 1), None, True, 1, "", AT)
    assert one.data["identified_date"] == dt.date(2021, 3, 4) and one.data["visit"] == "2021-05-06"
    assert one.data["health"] == ("长期慢性病", "大病") and one.data["nested"] == {"a": [1, "二", None, {"b": False}]}
    assert one.assessment == {"proposed": True, "reasons": ["收入骤减", TRICKY], "n": None}
    assert (first[1].head_name, first[1].household_no, first[1].provisional, first[1].lead_date) == (
        TRICKY, None, False, None)


def test_a_failure_in_the_middle_of_a_copy_leaves_nothing_of_the_file(store):
    with pytest.raises(StoreError) as refused:
        with store.atomic() as conn:
            sub = store.submissions.add(sha256="c" * 64, kind="village", status="applied", file_name="z.xlsx",
                                        received_at=AT)
            rows = store.households.create_rows([_household(n, sub) for n in range(3)])
            store.households.replace_children_of(town="马坝镇", village="石塘村", children=[
                (r.id, _rows(sub, r.id)["members"], _rows(sub, r.id)["measures"], _rows(sub, r.id)["reviews"])
                for r in rows])
            store.events.record_many([dict(household_id=r.id, event="created", to_state=r.state, level="系统", at=AT)
                                      for r in rows])
            # the file's next member points at no household: the database refuses the whole statement
            insert_rows(conn, t.members, [*_rows(sub, rows[0].id)["members"],
                                          {**_rows(sub, rows[0].id)["members"][0], "household_id": rows[-1].id + 99}])
    assert refused.value.kind == "IntegrityError"  # reported as an executemany's failure is, on both backends
    assert store.submissions.all() == []
    assert store.households.list() == []
    with store.db.snapshot() as conn:
        for table in (t.members, t.measures, t.reviews, t.events, t.issues):
            assert conn.execute(select(table.c.id)).all() == [], table.name
    # the ledger goes on: the next file is applied, and an inner block's failed COPY undoes only that block
    with store.atomic() as conn:
        sub = store.submissions.add(sha256="d" * 64, kind="village", status="applied", file_name="w.xlsx",
                                    received_at=AT)
        kept = store.households.create_rows([_household(0, sub)])
        with pytest.raises(IntegrityError):
            with store.atomic():
                store.households.create_rows([_household(1, sub)])
                insert_rows(conn, t.measures, [{"household_id": kept[0].id + 99, "data": {}}])
        store.events.record_many([dict(household_id=kept[0].id, event="created", to_state="线索", level="系统", at=AT)])
    assert store.households.list() == kept
    assert [e.event for e in store.events.of(kept[0].id)] == ["created"]


def test_the_children_of_households_just_created_are_inserted_without_a_delete(store):
    sent: list[str] = []
    listen = (store.db.engine, "before_cursor_execute", lambda _c, _cur, statement, *_: sent.append(statement))
    with store.atomic():
        sub = store.submissions.add(sha256="e" * 64, kind="village", status="applied", file_name="v.xlsx",
                                    received_at=AT)
        old = store.households.create_rows([_household(0, sub)])[0].id
        store.households.replace_children_of(town="马坝镇", village="石塘村", children=[
            (old, [{"person_id": ID_X, "name": "张三"}, {"person_id": None, "name": "旧"}], [{"kind": "旧"}],
             [{"result": "旧"}])], created=[old])
    with store.atomic():
        new = store.households.create_rows([_household(1, sub)])[0].id
        event.listen(*listen)
        store.households.replace_children_of(town="马坝镇", village="石塘村", children=[
            (new, [{"person_id": "440205197001010001", "name": "新"}], [], [{"result": "新"}])], created=[new])
        assert [s.split()[0] for s in sent] == ["COPY" if store.dialect == "postgresql" else "INSERT"] * 2
        sent.clear()
        store.households.replace_children_of(town="马坝镇", village="石塘村", children=[
            (old, [{"person_id": ID_X, "name": "张三"}], [], [])])  # the file again: the old rows replaced
        event.remove(*listen)
        # each table read once to compare; every table of this household differs: its rows deleted, one inserted
        bulk = "COPY" if store.dialect == "postgresql" else "INSERT"
        assert [s.split()[0] for s in sent] == ["SELECT", "DELETE", bulk, "SELECT", "DELETE", "SELECT", "DELETE"]
    assert [m["name"] for m in store.households.members_of(old)] == ["张三"]
    assert store.households.measures_of(old) == [] and store.households.reviews_of(old) == []
    assert [m["name"] for m in store.households.members_of(new)] == ["新"]
    assert store.households.reviews_of(new) == [{"result": "新"}]


def test_a_household_whose_rows_are_unchanged_keeps_them_and_a_changed_one_is_written_again(store):
    """A file sent again with one household changed: that household's rows of the changed table are deleted and
    inserted in the file's order; the other households' rows, and its own rows of the other tables, stay as they
    were (the same row ids). Dates in a document compare as the ledger stores them (ISO text)."""
    members = {n: [{"person_id": f"44020519700101{n:04d}", "name": f"成员{n}", "_sheet": "家庭成员", "_row": n + 2,
                    "birth": dt.date(1970, 1, 1 + n), "health": ("健康",)}] for n in range(3)}
    with store.atomic():
        sub = store.submissions.add(sha256="f" * 64, kind="village", status="applied", file_name="v.xlsx",
                                    received_at=AT)
        ids = [h.id for h in store.households.create_rows([_household(n, sub) for n in range(3)])]
        store.households.replace_children_of(town="马坝镇", village="石塘村", created=ids, children=[
            (hid, members[n], [{"content": "务工", "day": dt.date(2021, 5, 1)}], []) for n, hid in enumerate(ids)])

    def row_ids(table: Any) -> dict[int, list[int]]:
        with store.db.snapshot() as conn:
            out: dict[int, list[int]] = {}
            for hid, rid in conn.execute(select(table.c.household_id, table.c.id).order_by(table.c.id)):
                out.setdefault(hid, []).append(rid)
            return out

    before_members, before_measures = row_ids(t.members), row_ids(t.measures)
    changed = [{**members[1][0], "name": "改名"},
               {"person_id": None, "name": "新生儿", "_sheet": "家庭成员", "_row": 9}]
    sent: list[str] = []
    listen = (store.db.engine, "before_cursor_execute", lambda _c, _cur, statement, *_: sent.append(statement))
    event.listen(*listen)
    with store.atomic():
        store.households.replace_children_of(town="马坝镇", village="石塘村", children=[
            (ids[0], members[0], [{"content": "务工", "day": dt.date(2021, 5, 1)}], []),
            (ids[1], changed, [{"content": "务工", "day": dt.date(2021, 5, 1)}], []),
            (ids[2], members[2], [{"content": "务工", "day": dt.date(2021, 5, 1)}], [])])
    event.remove(*listen)
    assert [s.split()[0] for s in sent if s.split()[0] in ("DELETE", "INSERT", "COPY")] == [
        "DELETE", "COPY" if store.dialect == "postgresql" else "INSERT"]  # members of ids[1] only
    after_members = row_ids(t.members)
    assert after_members[ids[0]] == before_members[ids[0]] and after_members[ids[2]] == before_members[ids[2]]
    assert len(after_members[ids[1]]) == 2 and min(after_members[ids[1]]) > max(before_members[ids[2]])
    assert row_ids(t.measures) == before_measures
    assert [m["name"] for m in store.households.members_of(ids[1])] == ["改名", "新生儿"]
    assert [m["name"] for m in store.households.members_of(ids[0])] == ["成员0"]
    # the order of a household's rows is part of what is compared: the same rows in another order are written
    sent.clear()
    event.listen(*listen)
    with store.atomic():
        store.households.replace_children_of(town="马坝镇", village="石塘村", children=[
            (ids[1], list(reversed(changed)), [{"content": "务工", "day": dt.date(2021, 5, 1)}], [])])
    event.remove(*listen)
    assert [s.split()[0] for s in sent if s.split()[0] in ("DELETE", "INSERT", "COPY")] == [
        "DELETE", "COPY" if store.dialect == "postgresql" else "INSERT"]
    assert [m["name"] for m in store.households.members_of(ids[1])] == ["新生儿", "改名"]
