"""Department lists as departments' systems make them (issue 18 items 14-16), taken by a real pass: a 医保
export with a title and a 统计区间 row, its own words (个人负担(元), 参保地), a 合计 row and a sign-off footer, as
xlsx and as the .xls LibreOffice writes; a folder the department named itself (医保局). On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from conftest import needs_soffice
from department_lists import write_xlsx
from factory import HEAD_B, WIFE_A, base_rows, drop
from xlsx_helpers import soffice_convert

from excel_bridge.idcard import make_id

pytestmark = pytest.mark.backends

STRANGER = make_id("440205", dt.date(1981, 3, 3), 123)  # in no household of the ledger
NOBODY_PLACED = make_id("440205", dt.date(1979, 4, 4), 456)  # in none either, and its 参保地 names no town of ours
HEADER = ["序号", "参保人姓名", "公民身份号码", "参保地", "医疗总费用(元)", "统筹支付(元)", "个人负担(元)"]


def medical_export(path):
    """The shape the district's 医保 system exports: a title, a 统计区间/单位 row, then its header."""
    rows = [["曲江区医疗保障局 城乡居民医疗费用个人负担情况表"],
            ["统计区间：2021-01-01至2021-11-30", None, None, None, None, None, "单位：元"],
            HEADER,
            [1, "黄丽", WIFE_A, "马坝镇", 60000, 35000, 25000],
            [2, "李秀英", HEAD_B, "曲江区马坝镇", 9000, 3000, 6000],
            [3, "路人", STRANGER, "曲江区大塘镇", 50000, 20000, 30000],
            [4, "外人", NOBODY_PLACED, "韶关市浈江区", 45000, 20000, 25000],
            ["合计", None, None, None, 164000, 78000, 86000],
            ["小计（城乡居民）", None, None, None, 164000, 78000, 86000],
            ["填报单位（盖章）：曲江区医疗保障局", None, None, None, None, None, None],
            ["制表人：张三", None, "审核人：李四", None, "打印日期：2021-12-01", None, None]]
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_xlsx(path, rows, sheet="个人负担")


def as_xls(source, folder, profile):
    """The same export saved as .xls by LibreOffice (what an older department system hands out)."""
    out = source.parent / "xls"
    xls = soffice_convert(source, "xls", out, profile)
    folder.mkdir(parents=True, exist_ok=True)
    return shutil.copy2(xls, folder / xls.name)


@pytest.fixture
def cfg(ws):
    return ws.config()


@pytest.mark.parametrize("fmt", ["xlsx", pytest.param("xls", marks=needs_soffice)])
def test_a_real_medical_export_is_read_in_its_own_words_footers_skipped_and_its_insured_place_used(
        ws, cfg, proc, tmp_path, fmt, lo_profile):
    drop(ws, cfg, base_rows())
    assert [f.status for f in proc.run_pass(wait=0.05).files] == ["applied"]
    folder = ws.departments / "医保"
    source = medical_export((tmp_path if fmt == "xls" else folder) / "个人负担情况表.xlsx")
    if fmt == "xls":
        as_xls(source, folder, lo_profile)
    report = proc.run_pass(wait=0.05)
    [outcome] = report.files
    assert (outcome.status, outcome.town) == ("dept_applied", "部门数据/医保")
    assert outcome.message == ("名单 4 行，有效身份证号 4 人，其中 2 人在台账中；新增预警 2 条，仍待核实 0 条，部门已撤销 0 条；"
                               "未在台账中的人员 2 人")
    note = (ws.department_feedback / "医保_说明.txt").read_text(encoding="utf-8-sig").splitlines()
    assert note[1:] == [f"文件：个人负担情况表.{fmt}", "已读取 4 行，身份证号有效的 4 人；0 行无法比对。"]  # no footer row
    with ws.open_store() as store:
        warned = [(w.rule_id, w.name, w.town, w.fact) for w in store.departments.all_warnings()]
        latest = store.departments.latest_list("医保")
        placed = [(u.name, u.town, u.place, u.basis) for u in store.departments.unmatched([latest.id])]
    assert warned == [("D-YB-POOR", "李秀英", "马坝镇", "合规自付医疗费用 6,000 元"),
                      ("D-YB-OTHER", "黄丽", "马坝镇", "合规自付医疗费用 25,000 元")]
    assert (latest.row_count, latest.invalid, latest.issues) == (4, 0, 0)
    assert placed == [("路人", "大塘镇", "大塘镇（部门名单所填）", "list"),
                      ("外人", None, "本区（镇不详，身份证地址码 440205）", "district")]


def test_a_list_in_the_folder_a_department_named_itself_is_taken_as_that_departments(ws, cfg, proc):
    drop(ws, cfg, base_rows())
    proc.run_pass(wait=0.05)
    dropped = medical_export(ws.departments / "医保局" / "个人负担情况表.xlsx")  # folder_aliases of 医保
    [outcome] = proc.run_pass(wait=0.05).files
    assert (outcome.status, outcome.town) == ("dept_applied", "部门数据/医保局")
    assert not dropped.exists()  # taken once, like any list
    with ws.open_store() as store:
        assert [(lst.department, lst.file_name, lst.status) for lst in store.departments.lists()] == [
            ("医保", "个人负担情况表.xlsx", "applied")]
        assert len(store.departments.all_warnings()) == 2
    assert (ws.department_feedback / "医保_说明.txt").exists()
