"""The yearly 回头看 (issue 22): `excel-bridge round <workspace> 2022 [--until D]` through the real CLI: refused
without the year's monitoring line, every village's workbook for the year pre-filled (last year's 人均纯收入 moved,
the year's income cells empty and marked), the round recorded, a village's own newer file never undone, and a
second run rewriting nothing."""

from __future__ import annotations

import datetime as dt
import shutil

import openpyxl
import pytest
from cli_helpers import english_words, run_cli
from factory import HEAD_A, TOWN, base_rows, calamine_records, drop, member_count, sha256_file, sheet_rows
from xlsx_helpers import fill_rgb, header_columns

from excel_bridge.cli import EXIT_CONFIG, EXIT_OK
from excel_bridge.workflow import ASSISTING, NOT_INCLUDED
from excel_bridge.writers.common import TO_FILL
from excel_bridge.yearly_round import recorded_round

pytestmark = pytest.mark.backends_full  # PostgreSQL: EB_TEST_BACKENDS=all (bench/pg_statements.py)

VILLAGE = "石塘村"
LINE_2022 = 9900


def _with_line_2022(ws) -> None:
    path = ws.root / "rules" / "monitoring_line.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("  2021: 9600", f"  2021: 9600\n  2022: {LINE_2022}", 1), encoding="utf-8")


def _rows(year: int = 2021) -> dict:
    """石塘村: A identified before this system (帮扶中, 12000 a person in 2021), B above the line, not monitored."""
    rows = base_rows()
    rows["household"][0].update(identified_date=dt.date(2021, 6, 1), household_no="4402050010010001",
                                income_year=year)
    rows["household"][1].update(wage_income=3000, income_year=year)
    return rows


def _processed(proc, ws, config, rows: dict, name: str = "石塘村.xlsx") -> None:
    drop(ws, config, rows, name=name)
    assert {f.name: f.status for f in proc.run_pass(wait=0.05).files} == {name: "applied"}


def _round(ws, *args: object):
    return run_cli("round", ws.root, 2022, *args, cwd=ws.root)


def _states(ws) -> list[tuple[int, str, str]]:
    with ws.open_store() as store:
        return [(h.id, h.head_id, h.state) for h in store.households.list()]


def test_round_refuses_without_the_years_line(proc, ws, config):
    _processed(proc, ws, config, _rows())
    done = _round(ws)
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert "2022年的监测线还没有设置，不能开始2022年回头看（没有写出任何文件）" in done.stderr
    assert "monitoring_line.yaml" in done.stderr
    assert not ws.prefilled_path(TOWN, VILLAGE, 2022).exists()
    with ws.open_store() as store:
        assert recorded_round(store, 2022) is None


def test_round_writes_the_years_workbook_and_records_the_round(proc, ws, config):
    _with_line_2022(ws)
    _processed(proc, ws, config, _rows())
    before = _states(ws)
    done = _round(ws, "--until", "2023-01-31")
    assert done.returncode == EXIT_OK, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("已开始2022年回头看（") and lines[0].endswith("，2023-01-31截止）。")
    assert lines[1].startswith("写出 1 个村的2022年预填台账（共 2 户、4 人）")
    assert english_words(done.stdout.replace(str(ws.root), "")) == set()
    with ws.open_store() as store:
        recorded = recorded_round(store, 2022)
    assert recorded is not None and recorded.until == dt.date(2023, 1, 31)

    path = ws.prefilled_path(TOWN, VILLAGE, 2022)
    assert path.name == "石塘村监测台账（2022年回头看）.xlsx"
    a, b = calamine_records(path, "户信息")
    assert (a["户主身份证号"], a["收入年度"], a["上年人均纯收入"], a["工资性收入"]) == (HEAD_A, 2022, 12000, "")
    assert (b["收入年度"], b["上年人均纯收入"]) == (2022, 11000)
    assert a["识别纳入日期"] == dt.date(2021, 6, 1) and a["户编号"] == "4402050010010001"
    assert a["吃穿不愁"] == "是"  # only the income cells are asked again
    sheet = openpyxl.load_workbook(path)["户信息"]
    cols = header_columns(sheet)
    wage = sheet.cell(row=2, column=cols["工资性收入"])
    assert fill_rgb(wage) == TO_FILL and wage.comment is None
    assert sheet.cell(row=1, column=cols["工资性收入"]).comment.text.startswith(
        "标色的格子请入户核实后填写：2022年的“工资性收入”。")
    assert fill_rgb(sheet.cell(row=2, column=cols["上年人均纯收入"])) != TO_FILL
    assert fill_rgb(sheet.cell(row=2, column=cols["吃穿不愁"])) != TO_FILL

    # dropped back unchanged: a hint per household, no error, no state moved, nobody counted twice
    shutil.copy2(path, ws.town_inbox(TOWN) / "石塘村2022.xlsx")
    assert {f.name: f.status for f in proc.run_pass(wait=0.05).files} == {"石塘村2022.xlsx": "applied"}
    with ws.open_store() as store:
        issues = store.submissions.issues_of(store.submissions.all()[-1].id)
    assert [i.code for i in issues if i.severity == "error"] == []
    assert [i.row for i in issues if i.code == "PREFILL_TO_FILL"] == [2, 3]
    assert _states(ws) == before and [s for _, _, s in before] == [ASSISTING, NOT_INCLUDED]
    assert member_count(ws) == 4


def test_a_village_that_already_sent_the_years_file_gets_it_back_as_sent(proc, ws, config):
    _with_line_2022(ws)
    _processed(proc, ws, config, _rows(2022))
    assert _round(ws).returncode == EXIT_OK
    a, b = calamine_records(ws.prefilled_path(TOWN, VILLAGE, 2022), "户信息")
    assert (a["收入年度"], a["工资性收入"], a["上年人均纯收入"]) == (2022, 30000, "")
    assert (b["收入年度"], b["工资性收入"]) == (2022, 3000)
    sheet = openpyxl.load_workbook(ws.prefilled_path(TOWN, VILLAGE, 2022))["户信息"]
    assert fill_rgb(sheet.cell(row=2, column=header_columns(sheet)["工资性收入"])) != TO_FILL


def test_running_the_round_again_rewrites_nothing_and_says_so(proc, ws, config):
    _with_line_2022(ws)
    _processed(proc, ws, config, _rows())
    assert _round(ws).returncode == EXIT_OK
    path = ws.prefilled_path(TOWN, VILLAGE, 2022)
    written = sha256_file(path)
    again = _round(ws, "--until", "2023-02-28")
    assert again.returncode == EXIT_OK, again.stderr
    lines = again.stdout.splitlines()
    assert "2022年回头看已于" in lines[0] and "已经写出的和已交回的都没有改动" in lines[0]
    assert lines[1] == "截止日期已改为2023-02-28。"
    assert lines[2].startswith("写出 0 个村的2022年预填台账")
    assert lines[3] == "1 个村的预填台账已在村文件夹中，没有重写：马坝镇石塘村"
    assert sha256_file(path) == written

    # the village returns its file; its workbook gone, a third run does not write it again
    shutil.copy2(path, ws.town_inbox(TOWN) / "石塘村2022.xlsx")
    proc.run_pass(wait=0.05)
    path.unlink()
    third = _round(ws)
    assert third.returncode == EXIT_OK, third.stderr
    assert "1 个村在回头看开始后已交回台账，没有再写预填台账：马坝镇石塘村" in third.stdout.splitlines()
    assert not path.exists()
    with ws.open_store() as store:
        recorded = recorded_round(store, 2022)
    assert recorded is not None and recorded.until == dt.date(2023, 2, 28)


def test_round_writes_every_registered_village(tmp_path, backend, config):
    """A village the district registers with no household yet gets its (empty) workbook too."""
    from factory import workspace_on

    ws = workspace_on(tmp_path / "ws", backend, towns={TOWN: [VILLAGE, "新村"]})
    _with_line_2022(ws)
    done = _round(ws)
    assert done.returncode == EXIT_OK, done.stderr
    assert ws.prefilled_path(TOWN, "新村", 2022).exists() and ws.prefilled_path(TOWN, VILLAGE, 2022).exists()
    assert calamine_records(ws.prefilled_path(TOWN, "新村", 2022), "户信息") == []


def test_round_progress_in_the_master_and_a_warning_per_village_past_its_end(tmp_path, backend, config, runner):
    """石塘村 returns its workbook with the year's incomes, 新村 does not: past --until the master and the town's
    workbook show 石塘村 done and 新村 overdue, and 预警 warns about 新村 alone."""
    from factory import rows_of_their_own, workspace_on

    from excel_bridge.pipeline import Processor

    ws = workspace_on(tmp_path / "ws", backend, towns={TOWN: [VILLAGE, "新村"]})
    _with_line_2022(ws)
    other = rows_of_their_own(1)
    for hh in other["household"]:
        hh["village"] = "新村"
    with Processor(ws, as_of=dt.date(2021, 12, 20), runner=runner) as proc:
        _processed(proc, ws, config, _rows())
        _processed(proc, ws, config, other, name="新村.xlsx")
    assert _round(ws, "--until", "2023-01-31").returncode == EXIT_OK

    path = ws.prefilled_path(TOWN, VILLAGE, 2022)
    book = openpyxl.load_workbook(path)
    sheet = book["户信息"]
    cols = header_columns(sheet)
    for row in (2, 3):
        for header, value in (("工资性收入", 31000), ("生产经营性收入", 5000), ("财产性收入", 0), ("转移性收入", 3000),
                              ("生产经营性支出", 2000)):
            sheet.cell(row=row, column=cols[header], value=value)
    book.save(path)
    shutil.copy2(path, ws.town_inbox(TOWN) / "石塘村2022.xlsx")
    with Processor(ws, as_of=dt.date(2023, 2, 1), runner=runner) as proc:
        assert {f.name: f.status for f in proc.run_pass(wait=0.05).files} == {"石塘村2022.xlsx": "applied"}

    progress = calamine_records(ws.master_path, "回头看进度", header_row=1)
    assert [(p["镇"], p["村"], p["台账交回"], p["户数"], p["已重新采集户数"], p["待采集户数"], p["进度"])
            for p in progress] == [
        (TOWN, VILLAGE, "已交回", 2, 2, 0, "已完成"), (TOWN, "新村", "未交回", 2, 0, 2, "已超期"),
        ("全区合计", "", "1/2", 4, 2, 2, "")]
    town = calamine_records(ws.town_review_path(TOWN), "回头看进度", header_row=1)
    assert [(p["村"], p["台账交回"], p["已重新采集户数"], p["进度"]) for p in town] == [
        (VILLAGE, "已交回", 2, "已完成"), ("新村", "未交回", 0, "已超期"), ("", "1/2", 2, "")]
    assert town[-1]["镇"] == "全镇合计"
    title = sheet_rows(ws.master_path, "回头看进度")[0][0]
    assert title.startswith("2022年回头看进度（") and "2023-01-31截止" in title and "截至2023-02-01" in title
    warnings = [row for row in sheet_rows(ws.master_path, "预警") if "回头看超期" in row]
    assert all("新村" in w for w in warnings)
    texts = [" ".join(str(c) for c in w) for w in warnings]
    assert sum("2022年回头看已于2023-01-31截止，本村还没有交回预填台账（2 户待重新采集本年度收入）" in t for t in texts) == 1
    # 新村's household under monitoring (its B, 8000 a person: a lead) is a warning of its own
    monitored = [t for t in texts if "本户还没有重新采集2022年收入" in t]
    assert len(warnings) == 2 and len(monitored) == 1


VISIT_COLUMN = """  - key: visitor
    header: 走访人
    type: text
    width: 10
    hint: 本次入户走访的干部姓名。
"""


def test_the_workbook_follows_the_schemas_columns(proc, ws, config):
    """A column the district adds to household.yaml (a required 走访人 here) is in the round's workbook, empty
    and marked; dropped back unchanged it is one more item of the household's "still to fill" hint."""
    _with_line_2022(ws)
    _processed(proc, ws, config, _rows())
    schema = ws.root / "schemas" / "household.yaml"
    text = schema.read_text(encoding="utf-8")
    schema.write_text(text.replace("\n# 回执中追加", "\n" + VISIT_COLUMN + "\n# 回执中追加", 1), encoding="utf-8")
    assert _round(ws).returncode == EXIT_OK
    path = ws.prefilled_path(TOWN, VILLAGE, 2022)
    sheet = openpyxl.load_workbook(path)["户信息"]
    cols = header_columns(sheet)
    assert list(cols)[cols["走访人"] - 2] == "走访日期"  # where the schema puts it, before the system columns
    visit = sheet.cell(row=2, column=cols["走访人"])
    assert visit.value is None and fill_rgb(visit) == TO_FILL and visit.comment is None
    assert "“走访人”" in sheet.cell(row=1, column=cols["走访人"]).comment.text
    shutil.copy2(path, ws.town_inbox(TOWN) / "石塘村2022.xlsx")
    proc.run_pass(wait=0.05)
    with ws.open_store() as store:
        issues = store.submissions.issues_of(store.submissions.all()[-1].id)
    assert [i.code for i in issues if i.severity == "error"] == []
    hints = [i.message for i in issues if i.code == "PREFILL_TO_FILL"]
    assert len(hints) == 2 and all("走访人" in h for h in hints)


def test_a_file_applied_in_the_rounds_first_second_before_it_is_not_returned_for_it(proc, ws, config):
    """The ledger times files to the second: a village file applied just before the round started, in the same
    second, is not the village's return for the round (the round remembers the last file it started after)."""
    from excel_bridge.round_progress import recorded_round, round_progress
    from excel_bridge.yearly_round import start_round

    _with_line_2022(ws)
    _processed(proc, ws, config, _rows())
    with ws.open_store() as store:
        [sub] = store.submissions.all()
        start_round(ws, store, ws.config(), 2022, now=sub.received_at)  # the same second as the file
        r = recorded_round(store, 2022)
        assert r is not None and r.started == sub.received_at and r.after_submission == sub.id
        [village] = round_progress(store, ws.config(), r).villages
    assert (village.village, village.returned) == ("石塘村", False)
