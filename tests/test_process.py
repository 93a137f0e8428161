"""Processing passes against the ledger: one transaction per file (a failure half way changes nothing),
replacement by a newer village file and 已移出, a person in two villages, one bad file among good ones,
and `excel-bridge process` as a real subprocess."""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from pathlib import Path

import pytest
from cli_helpers import run_cli
from factory import (
    AS_OF,
    HEAD_A,
    HEAD_B,
    all_cell_text,
    base_rows,
    calamine_records,
    calamine_rows,
    calamine_sheet_names,
    dump_tables,
    lone_household,
    member,
    person,
    table_of,
    wait_until,
    write_village,
)

from excel_bridge.messages import status_word
from excel_bridge.pipeline import Processor
from excel_bridge.workspace import Workspace

TOWN = "马坝镇"
FAILED_MESSAGE = "处理时出现程序错误，台账没有改动；原文件已归档，请联系区乡村振兴局"
HEAD_C = person(dt.date(1966, 7, 7), 71)   # a new household in the second version of 石塘村
HEAD_Y = person(dt.date(1975, 8, 8), 81)   # 大塘镇新村
SHARED = person(dt.date(1985, 1, 1), 13)   # a son registered in two villages
ALL_TABLES = ("households", "members", "measures", "reviews", "issues", "events", "counters", "decision_notes")

pytestmark = pytest.mark.backends


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _statuses(report) -> dict[str, str]:
    return {o.name: o.status for o in report.files}


def _boom_on(ws: Workspace, person_id: str) -> None:
    """A real failure half way through applying a file: inserting this person's member row aborts."""
    with ws.open_store() as store, store.atomic() as conn:
        if store.dialect == "sqlite":
            conn.exec_driver_sql(f"CREATE TRIGGER boom BEFORE INSERT ON members WHEN NEW.person_id = '{person_id}'"
                                 " BEGIN SELECT RAISE(ABORT, 'boom'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                                 " RAISE EXCEPTION 'boom' USING ERRCODE = 'integrity_constraint_violation'; END $$")
            conn.exec_driver_sql(f"CREATE TRIGGER boom BEFORE INSERT ON members FOR EACH ROW"
                                 f" WHEN (NEW.person_id = '{person_id}') EXECUTE FUNCTION boom()")


def _no_boom(ws: Workspace) -> None:
    with ws.open_store() as store, store.atomic() as conn:
        conn.exec_driver_sql("DROP TRIGGER boom" if store.dialect == "sqlite" else "DROP TRIGGER boom ON members")


def _v2_rows() -> dict:
    """石塘村 again: A with a lower wage (updated first), then a new household C (whose member row fails
    when the trigger is set), then B."""
    rows = base_rows()
    rows["household"][0]["wage_income"] = 12000
    hh_c, m_c = lone_household(HEAD_C, "王五", wage_income=20000)
    rows["household"].insert(1, hh_c)
    rows["member"].insert(3, m_c)
    return rows


def _y_rows(*extra_members: dict) -> dict:
    hh, head = lone_household(HEAD_Y, "张三", wage_income=40000)
    hh["size"] = 1 + len(extra_members)
    return {"household": [hh], "member": [head, *extra_members], "measure": [], "review": []}


# --- an exception in the middle of a file leaves the ledger exactly as before ---

def test_the_district_job_is_asked_for_once_the_village_copy_is_back(ws, proc, config):
    """The copy a clerk waits for goes first: the district's workbooks (asked for in the same pass) are started
    only when it is written, so they neither take its worker nor share the cores with it (issue 23)."""
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    copy = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    asked: list[bool] = []
    request = proc.district.request

    def noted(*args, **kwargs):
        asked.append(copy.exists())
        request(*args, **kwargs)

    proc.district.request = noted
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status) for o in report.files] == [("石塘村.xlsx", "applied")]
    assert asked == [True]
    assert ws.master_path.exists()


@pytest.fixture(scope="module")
def two_workers():
    """A pass with two workers (the session's runner has one): the district job runs as its two parts."""
    from excel_bridge.runner import Runner

    shared = Runner(2)
    yield shared
    shared.close()


def test_a_one_off_pass_writes_the_towns_workbooks_while_the_master_waits_for_its_lock(ws, config, two_workers):
    """Two workers: the towns' workbooks and the master are two parts side by side, each under its own lock (the
    master is most of the district job: on PostgreSQL ~1 s of a pass's end, issue 23). Another program writing
    the master holds up only the master."""
    import threading

    from filelock import FileLock

    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    master_lock = FileLock(str(ws.outputs_lock_path))
    master_lock.acquire()  # another program writing the master
    reports = []
    with Processor(ws, as_of=AS_OF, runner=two_workers) as processor:
        running = threading.Thread(target=lambda: reports.append(processor.run_pass(wait=0.05)))
        running.start()
        try:
            assert wait_until(lambda: ws.town_review_path(TOWN).exists(), 120)
            with ws.open_store() as store:  # the towns' part is done and said so; the master's is still due
                assert wait_until(lambda: store.pending.of("district") == {("", "区级总台账")}, 120)
            assert not ws.master_path.exists() and running.is_alive()
        finally:
            master_lock.release()
        running.join(120)
    assert not running.is_alive()
    assert [(o.name, o.status) for o in reports[0].files] == [("石塘村.xlsx", "applied")]
    assert reports[0].problems == []
    assert {r["户主姓名"] for r in calamine_records(ws.master_path, "监测户台账")} == {"陈伟", "李秀英"}
    with ws.open_store() as store:
        assert store.pending.of("district") == set()


def test_a_master_that_cannot_be_written_is_the_only_workbook_left_due(ws, config, two_workers):
    """The parts fail alone: a folder in the master's place fails the master (reported), the towns' workbooks are
    written, and only the master is due; the next pass, with nothing new, writes it."""
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    ws.master_path.mkdir(parents=True)
    with Processor(ws, as_of=AS_OF, runner=two_workers) as processor:
        first = processor.run_pass(wait=0.05)
        assert [(o.name, o.status) for o in first.files] == [("石塘村.xlsx", "applied")]
        assert len(first.problems) == 1 and first.problems[0].startswith("区级总台账：")
        assert ws.town_review_path(TOWN).is_file()
        with ws.open_store() as store:
            assert store.pending.of("district") == {("", "区级总台账")}
        ws.master_path.rmdir()
        second = processor.run_pass(wait=0.05)
    assert second.files == [] and second.problems == []
    assert ws.master_path.is_file()
    with ws.open_store() as store:
        assert store.pending.of("district") == set()


def test_a_district_job_asked_for_when_the_last_is_done_but_not_collected_starts_at_once(ws, runner):
    """The watcher collects a finished job between passes; one asked for by a pass meanwhile does not wait for that
    (each wait was up to a pass long: the master fell behind a stream of drops), and what the done one did is
    still reported, with the next collect."""
    from concurrent.futures import wait

    from excel_bridge.pipeline.district import DistrictWriter

    writer = DistrictWriter(runner, ws, ws.database(None))
    writer.request(AS_OF)
    first = list(writer.futures)
    wait(first, timeout=120)
    writer.request(AS_OF)
    assert writer.finished == first and len(writer.futures) == 1 and writer.futures != first
    results = writer.wait()
    assert len(results) == 1 and results[0].problems == []
    assert {ws.master_path, ws.town_review_path(TOWN)} <= {p.path for p in results[0].placed}  # by the first
    assert writer.futures == [] and writer.finished == []


def test_exception_mid_file_leaves_the_ledger_exactly_as_before(ws, proc, tmp_path, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    assert _statuses(proc.run_pass(wait=0.05)) == {"石塘村.xlsx": "applied"}
    before = dump_tables(ws, ALL_TABLES)
    subs_before = dump_tables(ws, ("submissions",))["submissions"]

    _boom_on(ws, HEAD_C)
    v2 = write_village(ws.town_inbox(TOWN) / "石塘村v2.xlsx", config, _v2_rows())
    v2_bytes, v2_sha = v2.read_bytes(), _sha(v2)
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status, o.message, o.errors) for o in report.files] == [
        ("石塘村v2.xlsx", "failed", FAILED_MESSAGE, 1)]

    assert dump_tables(ws, ALL_TABLES) == before
    subs = dump_tables(ws, ("submissions",))["submissions"]
    assert subs[:-1] == subs_before
    with ws.open_store() as store:
        failed = store.submissions.all()[-1]
        assert (failed.status, failed.kind, failed.town, failed.sha256, failed.file_name) == (
            "failed", "village", TOWN, v2_sha, "石塘村v2.xlsx")
        assert failed.message == f"{FAILED_MESSAGE}（IntegrityError: boom）"
        assert store.submissions.issues_of(failed.id) == []
        archived = ws.path_of(failed.archived_path)
        assert archived.read_bytes() == v2_bytes
        assert archived.name == f"{v2_sha[:16]}_石塘村v2.xlsx"
        assert store.submissions.applied(v2_sha) is None
    assert not v2.exists()
    submitted = [(r["文件"], r["结果"]) for r in calamine_records(ws.master_path, "提交记录")]
    assert submitted == [("石塘村v2.xlsx", "处理出错"), ("石塘村.xlsx", "已入账")]
    # the same word for the same status in the town's workbook and in the pass report (one catalogue entry)
    villages = calamine_records(ws.town_review_path(TOWN), "村级提交情况")
    assert [r["处理结果"] for r in villages if r["最近提交文件"] == "石塘村v2.xlsx"] == ["处理出错"]
    assert status_word(report.files[0].status) == "处理出错"

    # once the cause is gone the same file can be dropped again and is applied (a failure is no duplicate)
    _no_boom(ws)
    v2.write_bytes(v2_bytes)
    assert _statuses(proc.run_pass(wait=0.05)) == {"石塘村v2.xlsx": "applied"}
    with ws.open_store() as store:
        rows = {r.head_id: r for r in store.households.list()}
        assert set(rows) == {HEAD_A, HEAD_B, HEAD_C}
        assert rows[HEAD_A].data["wage_income"] == 12000
        assert [m["person_id"] for m in store.households.members_of(rows[HEAD_C].id)] == [HEAD_C]


def test_exception_mid_file_does_not_stop_a_good_file_in_the_same_pass(ws, proc, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    assert _statuses(proc.run_pass(wait=0.05)) == {"石塘村.xlsx": "applied"}
    before = dump_tables(ws, ALL_TABLES)

    _boom_on(ws, HEAD_C)
    write_village(ws.town_inbox(TOWN) / "石塘村v2.xlsx", config, _v2_rows())
    write_village(ws.town_inbox("大塘镇") / "新村.xlsx", config, _y_rows(), town="大塘镇", village="新村")
    report = proc.run_pass(wait=0.05)
    assert _statuses(report) == {"石塘村v2.xlsx": "failed", "新村.xlsx": "applied"}

    with ws.open_store() as store:
        y_ids = {r.id for r in store.households.list(town="大塘镇")}
        y_sub = store.submissions.latest_for_village("大塘镇", "新村").id
        assert [r.head_id for r in store.households.list(town="大塘镇")] == [HEAD_Y]
        assert [s.status for s in store.submissions.all()] == ["applied", "failed", "applied"]
    after = dump_tables(ws, ALL_TABLES)
    # everything except what the good file added is exactly as before
    without_y = {
        "households": [r for r in after["households"] if r[0] not in y_ids],
        "members": [r for r in after["members"] if r[1] not in y_ids],
        "measures": [r for r in after["measures"] if r[1] not in y_ids],
        "reviews": [r for r in after["reviews"] if r[1] not in y_ids],
        "issues": [r for r in after["issues"] if r[1] != y_sub],
        "events": [r for r in after["events"] if r[2] not in y_ids],
        "counters": after["counters"],
        "decision_notes": after["decision_notes"],
    }
    assert without_y == before
    assert len(after["households"]) == len(before["households"]) + 1
    assert (ws.returned_copy_path("大塘镇", "新村", "新村.xlsx")).exists()


# --- one bad file never stops the others ---

def test_corrupt_file_is_unreadable_with_a_note_and_the_good_one_is_applied(ws, proc, config):
    bad = ws.town_inbox(TOWN) / "坏文件.xlsx"
    bad.write_bytes(b"this is not a workbook at all\n" * 20)
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    report = proc.run_pass(wait=0.05)
    assert _statuses(report) == {"坏文件.xlsx": "unreadable", "石塘村.xlsx": "applied"}

    note = ws.unreadable_note_path(TOWN, None, "坏文件.xlsx")
    outcome = next(o for o in report.files if o.name == "坏文件.xlsx")
    assert outcome.feedback == note
    lines = note.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "文件：坏文件.xlsx"
    assert lines[1] == f"问题：{outcome.message}" and lines[1].startswith("问题：文件已损坏")
    assert lines[2].startswith("改法：")
    assert not ws.returned_copy_path(TOWN, None, "坏文件.xlsx").exists()
    with ws.open_store() as store:
        subs = {s.file_name: s for s in store.submissions.all()}
        assert (subs["坏文件.xlsx"].status, subs["坏文件.xlsx"].errors) == ("unreadable", 1)
        assert [i.code for i in store.submissions.issues_of(subs["坏文件.xlsx"].id)] == ["FILE_CORRUPT"]
        assert subs["石塘村.xlsx"].status == "applied"
        assert sorted(r.head_id for r in store.households.list()) == sorted([HEAD_A, HEAD_B])
    assert (ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")).exists()
    assert not bad.exists()  # archived, not retried forever


# --- replacement and 已移出 ---

def test_newer_file_replaces_the_village_and_a_missing_monitored_household_stays_flagged(ws, proc, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    assert _statuses(proc.run_pass(wait=0.05)) == {"石塘村.xlsx": "applied"}
    with ws.open_store() as store:
        first = {r.head_id: r for r in store.households.list()}
    assert first[HEAD_A].data["wage_income"] == 30000 and first[HEAD_A].state == "未纳入"
    assert first[HEAD_B].state == "线索"

    v2 = base_rows()
    v2["household"] = [v2["household"][0]]
    v2["household"][0]["wage_income"] = 12000   # (12000 + 6000 + 3000 − 3000) / 3 = 6000 < 9600
    v2["member"] = [m for m in v2["member"] if m["head_id"] == HEAD_A]
    write_village(ws.town_inbox(TOWN) / "石塘村（12月）.xlsx", config, v2)
    report = proc.run_pass(wait=0.05)
    assert [(o.name, o.status, o.households) for o in report.files] == [("石塘村（12月）.xlsx", "applied", 1)]

    with ws.open_store() as store:
        rows = {r.head_id: r for r in store.households.list()}
        assert set(rows) == {HEAD_A, HEAD_B}  # B kept, never deleted
        a, b = rows[HEAD_A], rows[HEAD_B]
        assert a.id == first[HEAD_A].id and a.on_file
        assert a.data["wage_income"] == 12000 and a.data["_per_capita_income"] == 6000.0
        assert a.state == "线索"  # the new data changed the proposal
        # B is a 线索 (under monitoring): left out, it stays in its state, flagged, until 自然减少 is decided
        assert (b.id, b.on_file, b.state, b.data) == (first[HEAD_B].id, True, "线索",
                                                      {**first[HEAD_B].data, "_absent_since": AS_OF.isoformat()})
        b_events = [(e.event, e.level, e.comment) for e in store.events.of(b.id)]
        assert b_events == [("created", "系统", "研判建议纳入监测，登记为线索"),
                            ("absent", "村", "本村新报台账中没有该户；监测户不会因漏报移出，仍为“线索”，待村里说明减少原因")]
        assert [(e.event, e.from_state, e.to_state) for e in store.events.of(a.id)] == [
            ("created", None, "未纳入"), ("transition", "未纳入", "线索")]
        assert [m["person_id"] for m in store.households.members_of(b.id)] == [HEAD_B]  # history kept
        assert store.views.person_conflicts() == []

    master = {r["户主身份证号"]: r for r in calamine_records(ws.master_path, "监测户台账")}
    assert set(master) == {HEAD_A, HEAD_B}
    assert (master[HEAD_A]["在册"], master[HEAD_A]["流程状态"], master[HEAD_A]["人均纯收入"]) == ("在册", "线索", 6000)
    assert (master[HEAD_B]["在册"], master[HEAD_B]["流程状态"]) == ("在册", "线索")
    members = {r["身份证号"]: r["在册"] for r in calamine_records(ws.master_path, "家庭成员")}
    assert members[HEAD_B] == "在册" and members[HEAD_A] == "在册"
    overview = calamine_records(ws.master_path, "总览", header_row=4)
    row = next(r for r in overview if r["镇"] == TOWN)
    assert (row["线索"], row["未纳入"], row["已移出"], row["合计"]) == (2, 0, 0, 2)
    assert [r["户主姓名"] for r in table_of(ws.master_path, "预警", "说明") if r["类型"] == "监测户未报"] == ["李秀英"]

    # B comes back in the next file: restored, with its history
    write_village(ws.town_inbox(TOWN) / "石塘村（补）.xlsx", config)
    assert _statuses(proc.run_pass(wait=0.05)) == {"石塘村（补）.xlsx": "applied"}
    with ws.open_store() as store:
        b = next(r for r in store.households.list() if r.head_id == HEAD_B)
        assert b.on_file and b.id == first[HEAD_B].id and "_absent_since" not in b.data
        assert [e.event for e in store.events.of(b.id)] == ["created", "absent"]
        assert len(store.households.list()) == 2


# --- a person in two villages ---

def _problems(path: Path) -> list[tuple]:
    return [(r["严重程度"], r["工作表"], r["行号"], r["列名"], r["填写内容"], r["问题说明"])
            for r in calamine_records(path, "问题清单")]


def _two_villages(ws: Workspace, proc: Processor, config) -> tuple[Path, Path]:
    x = base_rows()
    x["household"][1]["size"] = 2
    x["member"].append(member(HEAD_B, SHARED, "之孙子", name="李强"))
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config, x)
    assert _statuses(proc.run_pass(wait=0.05)) == {"石塘村.xlsx": "applied"}
    write_village(ws.town_inbox("大塘镇") / "新村.xlsx", config,
                  _y_rows(member(HEAD_Y, SHARED, "之子", name="李强")), town="大塘镇", village="新村")
    report = proc.run_pass(wait=0.05)
    assert _statuses(report) == {"新村.xlsx": "applied"}
    return ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx"), ws.returned_copy_path("大塘镇", "新村", "新村.xlsx")


def test_a_person_in_two_villages_is_an_error_in_both_returned_copies_and_a_master_alert(ws, proc, config):
    x_copy, y_copy = _two_villages(ws, proc, config)
    # issue 11.9: the clerk learns only that the person is registered elsewhere, not where (privacy)
    assert _problems(x_copy) == [("错误", "家庭成员", 6, "身份证号", SHARED,
                                  f"身份证号“{SHARED}”同时登记在本区另一个村的台账中。")]
    assert _problems(y_copy) == [("错误", "家庭成员", 3, "身份证号", SHARED,
                                  f"身份证号“{SHARED}”同时登记在本区另一个村的台账中。")]
    for copy, other in ((x_copy, "新村"), (y_copy, "石塘村")):
        assert not [t for t in all_cell_text(copy) if other in t and "村" != t]
    # the town and the district see where, in their 预警
    town_alerts = [(r["村"], r["说明"]) for r in table_of(ws.town_review_path(TOWN), "预警", "说明")
                   if r["类型"] == "跨村重复登记"]
    assert town_alerts == [("石塘村", f"李强（身份证尾号{SHARED[-4:]}）同时登记在大塘镇新村")]
    alerts = [(r["类型"], r["镇"], r["村"], r["说明"]) for r in calamine_records(ws.master_path, "预警")
              if r["类型"] == "跨村重复登记"]
    assert sorted(alerts) == sorted([
        ("跨村重复登记", "大塘镇", "新村", f"李强（身份证尾号{SHARED[-4:]}）同时登记在马坝镇石塘村"),
        ("跨村重复登记", "马坝镇", "石塘村", f"李强（身份证尾号{SHARED[-4:]}）同时登记在大塘镇新村")])
    with ws.open_store() as store:
        assert sorted((c.town, c.village, c.other_town, c.other_village)
                      for c in store.views.person_conflicts()) == [("大塘镇", "新村", "马坝镇", "石塘村"),
                                                               ("马坝镇", "石塘村", "大塘镇", "新村")]


def test_resolving_a_two_village_person_clears_the_error_in_the_other_returned_copy(ws, proc, config):
    x_copy, y_copy = _two_villages(ws, proc, config)
    write_village(ws.town_inbox(TOWN) / "石塘村（更正）.xlsx", config)  # without the shared person
    assert _statuses(proc.run_pass(wait=0.05)) == {"石塘村（更正）.xlsx": "applied"}
    assert not [r for r in calamine_records(ws.master_path, "预警") if r["类型"] == "跨村重复登记"]
    assert [p[5] for p in _problems(y_copy)] == ["本文件未发现问题。"]


def test_the_copies_of_a_pass_read_their_villages_conflicts_and_latest_files_once(ws, proc, config):
    """Two villages sharing a person, dropped in one pass: each is looked up before it changes (its neighbours' copies
    may have to drop a resolved conflict), then one statement reads the conflicts of every copy due and one the latest
    file of every village, and one marks every 公示名单 written, however many villages (each was one a village)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    x = base_rows()
    x["household"][1]["size"] = 2
    x["member"].append(member(HEAD_B, SHARED, "之孙子", name="李强"))
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config, x)
    write_village(ws.town_inbox("大塘镇") / "新村.xlsx", config,
                  _y_rows(member(HEAD_Y, SHARED, "之子", name="李强")), town="大塘镇", village="新村")
    sent: list[str] = []

    def listen(_conn, _cursor, statement, *_):
        sent.append(" ".join(statement.split()))

    event.listen(Engine, "before_cursor_execute", listen)
    try:
        report = proc.run_pass(wait=0.05)
    finally:
        event.remove(Engine, "before_cursor_execute", listen)
    assert _statuses(report) == {"石塘村.xlsx": "applied", "新村.xlsx": "applied"}
    conflicts = [s for s in sent if s.startswith("SELECT members.person_id") and "JOIN members AS members_1" in s]
    assert len(conflicts) == 3  # 石塘村 and 新村 before each is applied, then both copies' at once
    assert "members.village IN" in conflicts[-1] and " OR " in conflicts[-1]
    latest = [s for s in sent if "max(submissions.id)" in s and "FROM submission_villages" in s]
    assert len(latest) == 1
    assert not [s for s in sent if "FROM submissions JOIN submission_villages" in s and "LIMIT" in s]
    done = [s for s in sent if s.startswith("DELETE FROM pending_outputs")]
    # one as each copy is back, one for both villages' 公示名单, and the district's workbooks recorded as due (that
    # record is replaced: a delete, then an insert)
    assert len(done) == 4
    assert len([s for s in done if " OR " in s]) == 1  # the 公示名单 of the two towns' villages at once
    x_copy = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    y_copy = ws.returned_copy_path("大塘镇", "新村", "新村.xlsx")
    assert [p[:5] for p in _problems(x_copy)] == [("错误", "家庭成员", 6, "身份证号", SHARED)]
    assert [p[:5] for p in _problems(y_copy)] == [("错误", "家庭成员", 3, "身份证号", SHARED)]


# --- excel-bridge process ---

def _process(root: Path, *extra: str) -> subprocess.CompletedProcess:
    return run_cli("process", root, "--wait", "0.05", "--as-of", AS_OF.isoformat(), "--workers", "1", *extra)


def test_process_command_does_one_pass_with_one_line_per_file(ws, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    write_village(ws.town_inbox("大塘镇") / "新村.xlsx", config, _y_rows(), town="大塘镇", village="新村")
    (ws.town_inbox(TOWN) / "~$石塘村.xlsx").write_bytes(b"lock")
    proc = _process(ws.root)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert sorted(lines[:2]) == sorted(["马坝镇/石塘村.xlsx：已入账。2户，错误0处，提示0条",
                                        "大塘镇/新村.xlsx：已入账。1户，错误0处，提示0条"])
    assert len(lines) == 3
    assert lines[2].startswith("本轮处理 2 个文件，用时 ") and lines[2].endswith(f"区级总台账：{ws.master_path}")
    assert ws.master_path.exists()
    assert (ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")).exists()
    assert (ws.returned_copy_path("大塘镇", "新村", "新村.xlsx")).exists()
    assert (ws.town_inbox(TOWN) / "~$石塘村.xlsx").exists()
    with ws.open_store() as store:
        assert len(store.households.list()) == 3

    again = _process(ws.root)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == ["收件箱里没有新文件。"]

    ws.master_path.unlink()
    refreshed = _process(ws.root, "--refresh")
    assert refreshed.returncode == 0, refreshed.stderr
    assert refreshed.stdout.splitlines() == ["收件箱里没有新文件。"]
    assert len(calamine_records(ws.master_path, "监测户台账")) == 3


def test_returned_copy_from_the_workers_reading_equals_one_from_reading_the_file_again(ws, proc, config):
    """A file that arrives alone has its returned copy written from the reading made to ingest it; a
    re-issued copy (the same file dropped again) reads the archived original afresh. Both say the same."""
    rows = base_rows()
    rows["household"][0]["wage_income"] = "三千"  # an error cell, so the copy has marks and a 问题清单
    original = write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config, rows).read_bytes()
    assert _statuses(proc.run_pass(wait=0.05)) == {"石塘村.xlsx": "applied"}
    copy = ws.returned_copy_path(TOWN, "石塘村", "石塘村.xlsx")
    first = {s: calamine_rows(copy, s) for s in calamine_sheet_names(copy)}
    assert any("三千" in map(str, row) for row in first["户信息"])

    (ws.town_inbox(TOWN) / "石塘村.xlsx").write_bytes(original)
    report = proc.run_pass(wait=0.05)
    assert _statuses(report) == {"石塘村.xlsx": "duplicate"}
    again = {s: calamine_rows(copy, s) for s in calamine_sheet_names(copy)}
    assert again.keys() == first.keys() and "问题清单" in again
    def steady(rows):  # the receipt's 处理时间 and the 更新时间 column say when the copy was written
        stamp = next((row.index("更新时间") for row in rows if "更新时间" in row), None)
        return [[v for c, v in enumerate(row) if c != stamp] for row in rows if row[:1] != ["处理时间"]]
    for sheet in again:
        assert steady(again[sheet]) == steady(first[sheet]), sheet
    assert len(steady(again["回执"])) == len(again["回执"]) - 1
    assert len(steady(again["户信息"])[0]) == len(again["户信息"][0]) - 1
