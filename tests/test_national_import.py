"""excel-bridge import (issue 21, the import half): a real national export (tests/national_export.py: the 32 columns,
two title rows; the wider one with risks 1…5, assistance and YYYYMM dates) read in a worker, recorded in one
transaction, explained per town (terminal and 反馈/导入/), idempotent, updating what the national system owns and
listing — never overwriting — what differs from the villages' accepted data; conflicts listed, never guessed."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil

import openpyxl
import pytest
from cli_helpers import run_cli
from factory import (
    AS_OF,
    HEAD_A,
    SON_A,
    WIFE_A,
    base_rows,
    calamine_records,
    drop,
    dump_tables,
    sheet_rows,
)
from national_export import household, write_csv, write_xls, write_xlsx

from excel_bridge.history import find_stories
from excel_bridge.idcard import mask_id
from excel_bridge.pipeline.national_import import ImportFailed, import_file
from excel_bridge.workflow import ASSISTING, ELIMINATED, NOT_INCLUDED

pytestmark = pytest.mark.backends

NOW = dt.datetime(2021, 12, 20, 9, 30)


def three(town: str = "马坝镇", village: str = "石塘村"):
    """帮扶中 (identified 2021-05), 风险已消除 (eliminated 2021-11), and a 脱贫户 not monitored."""
    return [
        household("44020501010001", town, village, seed=1, category="边缘易致贫户", eliminated="否",
                  identified="2021-05", risks=["因学", "因病"]),
        household("44020501010002", town, village, seed=2, size=2, category="脱贫不稳定户", eliminated="是",
                  identified="2021-03", eliminated_on="2021-11"),
        household("44020501010003", town, village, seed=3, size=4),
    ]


def _import(ws, runner, path, **kw):
    with ws.open_store() as store:
        return import_file(ws, store, path, runner=runner, as_of=AS_OF, now=NOW, **kw)


def test_an_export_is_recorded_identified_eliminated_and_not_monitored(ws, runner, tmp_path):
    path = write_xlsx(tmp_path / "监测对象名单.xlsx", three())
    result = _import(ws, runner, path)
    assert (result.status, result.created, result.updated) == ("applied", 3, 0)
    assert result.touched == {("马坝镇", "石塘村")}
    count = result.towns["马坝镇"]
    assert (count.households, count.persons, count.identified, count.eliminated, count.unused) == (3, 9, 1, 1, 0)
    with ws.open_store() as store:
        rows = {r.household_no: r for r in store.households.list()}
        one, two, three_ = rows["44020501010001"], rows["44020501010002"], rows["44020501010003"]
        assert (one.state, one.category, one.identified_date, one.provisional) == \
            (ASSISTING, "边缘易致贫户", dt.date(2021, 5, 1), False)
        assert one.data["main_risk"] == "其他" and "other_risk_1" not in one.data  # 32 columns: 致贫原因1 only
        assert one.data["_national"]["risks"] == [["其他", "因学"]]  # the national word kept beside 其他
        assert (two.state, two.category, two.identified_date, two.eliminated_date) == \
            (ELIMINATED, "脱贫不稳定户", dt.date(2021, 3, 1), dt.date(2021, 11, 1))
        assert (three_.state, three_.category, three_.identified_date) == (NOT_INCLUDED, None, None)
        assert three_.data["household_type"] == "脱贫户"
        members = store.households.members_of(one.id)
        assert [m["relation"] for m in members] == ["户主", "配偶", "之女"]
        assert members[2]["schooling"] == "中职"  # 中职一年级
        assert members[1]["labour"] == "弱劳动力或半劳动力" and members[1]["health"] == ("长期慢性病",)
        assert members[0]["person_id"] == one.head_id
        events = store.events.of(one.id)
        assert [(e.event, e.to_state, e.level) for e in events] == [("imported", ASSISTING, "区")]
        assert events[0].comment == "国家系统导入（监测对象名单.xlsx）：帮扶中，认定类别 边缘易致贫户，识别纳入日期 2021-05-01"
        assert events[0].source_sha256 == result.sha256
        # the household's history says where it came from
        [story] = find_stories(store, "44020501010001")
        assert [(s.event, s.to_state) for s in story.steps] == [("国家系统导入", ASSISTING)]
    archived = list(ws.archive.glob(f"*/{result.sha256[:16]}_*"))
    assert len(archived) == 1  # archived by its SHA-256 like every file
    note = ws.import_note_path("监测对象名单.xlsx").read_text(encoding="utf-8-sig")
    assert "马坝镇：3 户 9 人，其中帮扶中 1 户、风险已消除 1 户；未能使用 0 行" in note


def test_the_month_series_counts_an_imported_household_in_the_month_it_was_identified(ws, runner, tmp_path):
    from excel_bridge.statistics import month_flows

    _import(ws, runner, write_xlsx(tmp_path / "名单.xlsx", three()))
    with ws.open_store() as store:
        flows = month_flows(store.views.counted_moves(), {h.id: h for h in store.views.counted_households()})
    assert flows[(2021, 5)]["认定纳入"] == 1  # 帮扶中 since 2021-05
    assert sum(c["认定纳入"] for c in flows.values()) == 1  # the eliminated one and the 脱贫户: no identification now
    assert sum(c["收到线索"] for c in flows.values()) == 0


def test_the_same_file_twice_and_the_same_content_as_csv_change_nothing(ws, runner, tmp_path):
    xlsx = write_xlsx(tmp_path / "名单.xlsx", three())
    _import(ws, runner, xlsx)
    before = dump_tables(ws)
    again = _import(ws, runner, xlsx)
    assert again.status == "duplicate"
    assert dump_tables(ws) == before
    csv = write_csv(tmp_path / "名单.csv", three())
    third = _import(ws, runner, csv)
    assert (third.status, third.created, third.updated, third.unchanged) == ("applied", 0, 0, 3)
    after = dump_tables(ws)
    assert {k: v for k, v in after.items() if k != "issues"} == {k: v for k, v in before.items() if k != "issues"}


def test_a_later_export_updates_what_the_national_system_owns(ws, runner, tmp_path):
    _import(ws, runner, write_xlsx(tmp_path / "12月.xlsx", three()))
    later = three()
    later[0].category, later[0].identified = "突发严重困难户", "2021-06"
    later[1].eliminated_on = "2021-12"
    result = _import(ws, runner, write_xlsx(tmp_path / "1月.xlsx", later, wide=True, yyyymm=True))
    assert (result.created, result.updated) == (0, 3)  # the wider export adds measures and 低保 to the third too
    with ws.open_store() as store:
        rows = {r.household_no: r for r in store.households.list()}
        assert (rows["44020501010001"].category, rows["44020501010001"].identified_date) == \
            ("突发严重困难户", dt.date(2021, 6, 1))
        assert rows["44020501010002"].eliminated_date == dt.date(2021, 12, 1)
        [_, update] = store.events.of(rows["44020501010001"].id)
        assert update.comment == ("国家系统导入（1月.xlsx）：识别纳入日期 2021-05-01 → 2021-06-01；"
                                  "认定类别 边缘易致贫户 → 突发严重困难户；按国家系统更新了户和成员信息")
        assert update.to_state is None  # not a move of the chain
        wide = rows["44020501010001"].data
        assert (wide["main_risk"], wide["other_risk_1"]) == ("其他", "因病因残")  # 致贫/返贫风险2 of the wide export
        assert [m["category"] for m in store.households.measures_of(rows["44020501010001"].id)] == []


def test_village_data_is_never_overwritten_the_difference_is_listed(ws, proc, runner, config, tmp_path):
    drop(ws, config, base_rows())  # the village's accepted data: 陈伟's household, a provisional number
    proc.run_pass(wait=0.05)
    with ws.open_store() as store:
        [mine] = [r for r in store.households.list() if r.head_id == HEAD_A]
        assert mine.household_no is None  # 未纳入 by the rules: no number yet
    national = household("44020501019999", "马坝镇", "石塘村", seed=5, size=3, category="边缘易致贫户", eliminated="否",
                         identified="2021-04")
    for p, pid, name in zip(national.persons, (HEAD_A, WIFE_A, SON_A), ("陈伟", "黄丽", "陈强"), strict=True):
        p.person_id, p.name = pid, name
    national.persons[1].education = "初中"  # the village wrote 初中 for 黄丽 too; 陈强: 初中 in school (national 中职)
    result = _import(ws, runner, write_xlsx(tmp_path / "名单.xlsx", [national]))
    assert (result.created, result.updated, result.conflicts) == (0, 1, [])
    with ws.open_store() as store:
        row = store.households.get(mine.id)
        assert (row.household_no, row.provisional) == ("44020501019999", False)  # the national number
        assert row.data == mine.data  # the village's values untouched
        assert row.state == mine.state and row.category is None  # not identified by the chain: listed, not moved
        shown = {(d.item, d.ledger, d.national) for d in store.imports.differences().rows}
    assert ("监测状态", mine.state, ASSISTING) in shown
    assert ("户类型", "普通农户", "脱贫户") in shown
    assert (f"家庭成员 陈强（{mask_id(SON_A)}）·在校生状况", "初中", "中职") in shown
    proc.run_pass(wait=0.05)  # the master shows them in 导入差异
    rows = sheet_rows(ws.master_path, "导入差异")
    assert rows[0][0].startswith("国家系统名单“名单.xlsx”")
    assert rows[1] == ["镇", "村", "户编号", "户主姓名", "项目", "村级台账", "国家系统"]
    assert ["马坝镇", "石塘村", "44020501019999", "陈伟", "户类型", "普通农户", "脱贫户"] in rows


def test_conflicts_are_listed_never_guessed(ws, proc, runner, config, tmp_path):
    drop(ws, config, base_rows())
    proc.run_pass(wait=0.05)
    taken = household("44020501010007", "马坝镇", "石塘村", seed=7, size=2)
    taken.persons[1].person_id, taken.persons[1].name = WIFE_A, "黄丽"  # 黄丽 is in 陈伟's household of the ledger
    split = household("44020501010008", "马坝镇", "石塘村", seed=8, size=2)
    other = household("44020501010008", "马坝镇", "龙岗村", seed=9, size=1)  # the same 户编号 in another village
    other.persons[0].relation = "之子"
    fine = household("44020501010009", "马坝镇", "石塘村", seed=10, size=1)
    before = dump_tables(ws, ("households", "members"))
    result = _import(ws, runner, write_xlsx(tmp_path / "名单.xlsx", [taken, split, other, fine]))
    assert result.created == 1
    reasons = {c.number: c.reason for c in result.conflicts}
    assert reasons["44020501010007"] == f"黄丽（{mask_id(WIFE_A)}）已在台账中马坝镇石塘村陈伟户中，不能再列入户编号 44020501010007"
    unused = {u.reason for u in result.export.unused}
    assert "户编号 44020501010008 的人员分属不同的村（马坝镇石塘村、马坝镇龙岗村），无法确定是哪个村的户" in unused
    assert result.towns["马坝镇"].unused == 5
    after = dump_tables(ws, ("households", "members"))
    assert len(after["households"]) == len(before["households"]) + 1
    note = ws.import_note_path("名单.xlsx").read_text(encoding="utf-8-sig")
    assert "冲突" in note and mask_id(WIFE_A) in note and WIFE_A not in note


def test_rows_that_cannot_be_used_are_counted_per_town_with_the_reason(ws, runner, tmp_path):
    bad = household("44020501010011", "马坝镇", "石塘村", seed=11, size=2)
    wrong = bad.persons[1].person_id[:-1] + ("0" if bad.persons[1].person_id[-1] != "0" else "1")
    bad.persons[1].person_id = wrong
    headless = household("44020502010012", "大塘镇", "龙岗村", seed=12, size=2)
    headless.persons[0].relation = "配偶"
    nowhere = household("44020509010013", "不存在镇", "某村", seed=13, size=1)
    result = _import(ws, runner, write_xlsx(tmp_path / "名单.xlsx", [bad, headless, nowhere]))
    assert result.towns["马坝镇"].reasons == {f"证件号码 {mask_id(wrong)} 不是有效的身份证号": 1}
    assert result.towns["大塘镇"].reasons == {"户编号 44020502010012 中没有与户主关系为“户主”的人": 2}
    assert result.towns["不存在镇"].unused == 1
    assert result.created == 1  # 马坝镇's household, without the row not used


def test_the_export_is_read_in_a_worker_never_in_this_process(ws, runner, tmp_path, monkeypatch):
    import excel_bridge.national.reading as reading

    def refuse(*_a, **_k):
        raise AssertionError("the export was parsed in the main process")

    monkeypatch.setattr(reading, "load_tables", refuse)
    result = _import(ws, runner, write_xlsx(tmp_path / "名单.xlsx", three()))
    assert result.created == 3


def test_the_prefilled_workbooks_are_written_in_the_workers(ws, runner, tmp_path, monkeypatch):
    """Like the returned copies: this process reads the ledger, the runner's workers write the workbooks."""
    import excel_bridge.prefill as prefill

    def refuse(*_a, **_k):
        raise AssertionError("a pre-filled workbook was written in the main process")

    monkeypatch.setattr(prefill, "write_prefilled_workbook", refuse)
    other = household("44020502010001", "大塘镇", "大塘村", seed=40, size=2)
    result = _import(ws, runner, write_xlsx(tmp_path / "名单.xlsx", [*three(), other]))
    assert sorted(result.prefilled) == sorted([ws.prefilled_path("大塘镇", "大塘村"),
                                               ws.prefilled_path("马坝镇", "石塘村")])
    numbers = [h["户编号"] for h in calamine_records(ws.prefilled_path("马坝镇", "石塘村"), "户信息")]
    assert numbers == ["44020501010001", "44020501010002", "44020501010003"]
    assert [h["户编号"] for h in calamine_records(ws.prefilled_path("大塘镇", "大塘村"), "户信息")] == \
        ["44020502010001"]


def test_a_file_that_is_no_national_export_is_refused_and_nothing_changes(ws, runner, config, tmp_path):
    before = dump_tables(ws)
    village = drop(ws, config, base_rows())
    with pytest.raises(ImportFailed) as exc:
        _import(ws, runner, village)
    assert "文件中没有找到国家系统人员名单的表头" in str(exc.value)
    assert dump_tables(ws) == before


def test_the_cli_imports_xlsx_csv_and_xls_alike(ws, tmp_path):
    path = write_xlsx(tmp_path / "名单.xlsx", three())
    done = run_cli("import", path, "--workspace", ws.root)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "“名单.xlsx”：“Sheet1”表第 3 行为表头，读取 9 人，归为 3 户。"
    assert lines[1] == "马坝镇：3 户 9 人，其中帮扶中 1 户、风险已消除 1 户；未能使用 0 行"
    assert lines[2].startswith("新登记 3 户，更新 0 户，未变 0 户")
    assert lines[3] == f"导入说明：{ws.import_note_path('名单.xlsx')}"
    prefilled = ws.prefilled_path("马坝镇", "石塘村")
    assert lines[4] == ("已为 1 个村写出预填的村级监测台账（反馈/<镇>/<村>/，请各村补填标色的单元格后放回收件箱），"
                        f"例如：{prefilled}")
    book = openpyxl.load_workbook(prefilled, read_only=True)
    heads = [row[4] for row in book["户信息"].iter_rows(min_row=2, values_only=True) if row[4]]
    assert len(heads) == 3  # the village's three households, pre-filled: nobody types them again
    members = [row for row in book["家庭成员"].iter_rows(min_row=2, values_only=True) if row[2]]
    assert len(members) == 9
    assert not re.search(r"\d{17}[\dX]", done.stdout)  # masked IDs only
    again = run_cli("import", path, "--workspace", ws.root)
    assert again.stdout.strip() == "“名单.xlsx”已经导入过（内容相同），台账没有改动。"
    csv = run_cli("import", write_csv(tmp_path / "名单.csv", three()), "--workspace", ws.root)
    assert csv.returncode == 0 and "新登记 0 户，更新 0 户，未变 3 户" in csv.stdout
    if shutil.which("soffice"):
        xls = run_cli("import", write_xls(tmp_path / "名单.xls", three()), "--workspace", ws.root)
        assert xls.returncode == 0, xls.stderr
        assert "新登记 0 户，更新 0 户，未变 3 户" in xls.stdout


def test_check_tells_a_clerk_what_a_national_export_is(tmp_path):
    path = write_xlsx(tmp_path / "名单.xlsx", three())
    done = run_cli("check", path, "--json")
    assert done.returncode == 1
    out = json.loads(done.stdout)
    assert out["readable"] is True
    assert out["issues"][0]["code"] == "NATIONAL_EXPORT"
    assert "这是国家系统导出的人员名单，请由区里用 excel-bridge import 导入" in out["issues"][0]["hint"]
    plain = run_cli("check", path)
    assert plain.returncode == 1
    assert "这是国家系统导出的人员名单（“Sheet1”表第 3 行为表头），不是村级监测台账。" in plain.stdout
    csv = run_cli("check", write_csv(tmp_path / "名单.csv", three()))
    assert csv.returncode == 1
    assert "这是国家系统导出的人员名单（第 3 行为表头），不是村级监测台账。" in csv.stdout


def test_a_national_export_dropped_by_a_village_is_sent_back_with_what_to_do(ws, proc, tmp_path):
    write_xlsx(ws.town_inbox("马坝镇") / "名单.xlsx", three())
    report = proc.run_pass(wait=0.05)
    [outcome] = report.files
    assert outcome.status == "unreadable"
    assert "这是国家系统导出的人员名单（“Sheet1”表第 3 行为表头），不是村级监测台账。" in outcome.message
    with ws.open_store() as store:
        assert store.households.list() == []  # nothing recorded: the district imports it


def test_check_names_the_sheets_and_the_template_columns_of_a_workbook_that_is_neither(tmp_path):
    from factory import write_plain

    path = write_plain(tmp_path / "某表.xlsx", {"名单": [["某某统计表"], ["序号", "姓名", "身份证号", "电话"],
                                                       [1, "张三", HEAD_A, "138"]], "Sheet2": [["a", "b"]]})
    done = run_cli("check", path)
    assert done.returncode == 2
    assert ("找到的工作表：“名单”表第 2 行像表头，其中“姓名”、“身份证号”是模板的列；“Sheet2”表中没有模板的列名。"
            in done.stdout)

