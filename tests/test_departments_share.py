"""The workbook pushed to 民政 (plan 七(二)): households, members and measures a department can filter and
print; ID numbers kept as text; nothing the department does not need."""

from __future__ import annotations

import datetime as dt
import subprocess

import openpyxl
import pytest
from conftest import needs_soffice
from xlsx_helpers import soffice_convert

from excel_bridge.departments import ShareData, ShareHousehold, ShareMeasure, ShareMember, write_share_export
from excel_bridge.idcard import make_id
from excel_bridge.read import peek_meta

HEAD_A = make_id("440205", dt.date(1970, 3, 5), 11)
WIFE_A = make_id("440205", dt.date(1972, 6, 1), 22)
HEAD_B = make_id("440205", dt.date(1950, 1, 20), 44)


def member(name, person_id, relation, dibao, tekun):
    return ShareMember({"name": name, "person_id": person_id, "relation": relation, "dibao": dibao, "tekun": tekun})


def data(since=dt.date(2021, 11, 1)):
    a = ShareHousehold(
        town="马坝镇", village="石塘村", household_no="44020500100200001", head_name="陈伟", head_id=HEAD_A,
        household_type="普通农户", category="突发严重困难户", state="帮扶中", identified_date=dt.date(2021, 9, 10),
        risk_types=("因病因残", "就业不稳定减收"),
        measures=(ShareMeasure("健康帮扶", "落实大病医疗救助", dt.date(2021, 9, 20), "区医保局"),
                  ShareMeasure("就业帮扶", "推荐到工业园区务工", dt.date(2021, 10, 1), "区人社局"),
                  ShareMeasure("健康帮扶", "家庭医生签约", dt.date(2021, 10, 5), "镇卫生院")),
        members=(member("陈伟", HEAD_A, "户主", "否", "否"), member("黄丽", WIFE_A, "配偶", "是", "否")),
        changed=dt.date(2021, 11, 20))
    b = ShareHousehold(
        town="大塘镇", village="新塘村", household_no=None, head_name="李秀英", head_id=HEAD_B, household_type="脱贫户",
        category="脱贫不稳定户", state="待镇核查", members=(member("李秀英", HEAD_B, "户主", "否", "是"),))
    return ShareData(district="曲江区", department="民政", until=dt.date(2021, 11, 30), since=since, households=[b, a])


def test_the_three_sheets_filterable_and_printable(tmp_path):
    placed = write_share_export(tmp_path / "推送民政_202111.xlsx", data(), now=dt.datetime(2021, 12, 1, 9, 0))
    assert placed.path == tmp_path / "推送民政_202111.xlsx" and not placed.locked
    wb = openpyxl.load_workbook(placed.path)
    assert wb.sheetnames == ["监测户", "家庭成员", "帮扶措施", "说明", "系统信息"]
    assert wb["系统信息"].sheet_state == "hidden"
    hh = wb["监测户"]
    assert hh["A1"].value == "曲江区防止返贫监测对象信息（推送民政）"
    assert hh["A2"].value == "统计范围：2021-11-01至2021-11-30有变动的监测户"
    assert hh["A3"].value == "本表含身份证号等个人信息，仅供民政比对和帮扶使用，请妥善保管，不得公开或转作他用。"
    assert [c.value for c in hh[4]] == ["镇", "村", "户编号", "户主姓名", "户主身份证号", "家庭人口数", "户类型", "监测类别",
                                        "当前状态", "识别纳入日期", "风险类型", "帮扶措施", "低保人数", "特困人数",
                                        "变动日期"]
    assert [c.value for c in hh[5]][:9] == ["大塘镇", "新塘村", None, "李秀英", HEAD_B, 1, "脱贫户", "脱贫不稳定户", "待镇核查"]
    row = [c.value for c in hh[6]]
    assert row[:6] == ["马坝镇", "石塘村", "44020500100200001", "陈伟", HEAD_A, 2]
    assert row[9] == dt.datetime(2021, 9, 10) and row[14] == dt.datetime(2021, 11, 20)
    assert row[10:14] == ["因病因残、就业不稳定减收", "健康帮扶、就业帮扶", 1, 0]
    assert hh["E6"].data_type == "s" and hh["E6"].number_format == "@"
    assert hh.freeze_panes == "A5" and hh.auto_filter.ref == "A4:O6"
    assert hh.page_setup.orientation == "landscape" and hh.page_setup.paperSize == 9
    # one page wide (fitToWidth 1 is the file format's default, so it is not written), as many pages long as needed
    assert hh.sheet_properties.pageSetUpPr.fitToPage and hh.page_setup.fitToWidth in (None, 1)
    assert hh.page_setup.fitToHeight == 0
    assert hh.print_title_rows == "$4:$4"
    members = wb["家庭成员"]
    assert [[c.value for c in r] for r in members.iter_rows(min_row=5)] == [
        ["大塘镇", "新塘村", None, "李秀英", "脱贫不稳定户", "待镇核查", "李秀英", HEAD_B, "户主", "否", "是"],
        ["马坝镇", "石塘村", "44020500100200001", "陈伟", "突发严重困难户", "帮扶中", "陈伟", HEAD_A, "户主", "否", "否"],
        ["马坝镇", "石塘村", "44020500100200001", "陈伟", "突发严重困难户", "帮扶中", "黄丽", WIFE_A, "配偶", "是", "否"],
    ]
    assert members["H7"].number_format == "@" and members.auto_filter.ref == "A4:K7"
    measures = wb["帮扶措施"]
    assert [r[4].value for r in measures.iter_rows(min_row=5)] == ["健康帮扶", "就业帮扶", "健康帮扶"]
    assert measures.print_title_rows == "$4:$4"
    notes = [r[0].value for r in wb["说明"].iter_rows()]
    assert notes[2] == "监测户 2 户，成员 3 人，帮扶措施 3 项。"
    assert notes[3] == "生成时间：2021-12-01 09:00    来源：曲江区乡村振兴局（依据《实施方案》七(二)）"
    assert peek_meta(placed.path)["模板编号"] == "excel_bridge.share"


def test_only_what_the_department_needs(tmp_path):
    placed = write_share_export(tmp_path / "推送民政.xlsx", data(since=None))
    wb = openpyxl.load_workbook(placed.path)
    assert wb["监测户"]["A2"].value == "统计范围：截至2021-11-30的全部监测户"
    headers = {c.value for name in ("监测户", "家庭成员", "帮扶措施") for c in wb[name][4]}
    for private in ("联系电话", "电话", "健康状况", "残疾类别", "人均纯收入", "工资性收入", "监测联系人"):
        assert private not in headers


def test_a_copy_open_in_excel_is_kept_and_the_new_one_lands_beside_it(tmp_path, monkeypatch):
    target = tmp_path / "推送民政.xlsx"
    write_share_export(target, data())
    import os

    real = os.replace

    def locked(src, dst):
        if str(dst) == str(target):
            raise PermissionError("open in Excel")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    placed = write_share_export(target, data(), now=dt.datetime(2021, 12, 1, 10, 11, 12))
    assert placed.locked and placed.path.name == "推送民政(更新于101112).xlsx" and placed.path.exists()


@needs_soffice
def test_libreoffice_prints_it(tmp_path, lo_profile):
    placed = write_share_export(tmp_path / "推送民政.xlsx", data())
    pdf = soffice_convert(placed.path, "pdf", tmp_path, lo_profile)
    assert pdf == tmp_path / "推送民政.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 5000
    if pytest.importorskip("shutil").which("pdfinfo"):
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
        pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
        assert pages == 4  # one page per sheet: each fits the width of a landscape page
        size = next(line for line in info.splitlines() if line.startswith("Page size:"))
        width, height = (float(x) for x in size.split()[2:5:2])
        assert width > height  # landscape
