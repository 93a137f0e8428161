"""公示名单 (docs/domain.md “Privacy”): per village, a printable notice workbook of the households in notice,
written into 反馈/<镇>/ by a real processing pass, with ID numbers masked and no phone or health facts.

One village file holds four households:
  陈伟 (A)  a lead only because of large medical costs; his wife has 长期慢性病、残疾 — notice starts tomorrow
  李秀英 (B) a lead below the line, phone and contact phone filled — notice running
  王五 (X)  帮扶中 (national number), check character X, 风险消除 notice running
  赵六 (C)  a lead whose notice ended last week — not in the list any more
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pytest
from factory import (
    HEAD_A,
    HEAD_B,
    HEAD_C,
    TOWN,
    X_ID,
    all_cell_text,
    base_rows,
    drop,
    drop_village,
    household,
    ledger_row,
    measure,
    member,
    review,
    rows_of_their_own,
    sheet_rows,
)

from excel_bridge.pipeline import Processor
from excel_bridge.settings import DistrictSettings
from excel_bridge.workspace import Workspace

T = dt.date.today()
D = dt.timedelta
MASKED = re.compile(r"^440205\*{8}\d{3}[\dX]$")
HEALTH_WORDS = ("长期慢性病", "患有大病", "残疾", "因病", "大病", "慢性病", "重点关注")
PHONES = ("13800138000", "13912345678", "13600000000", "0751-8888888", "13711112222")
HEADERS = ["组", "户主姓名", "身份证号", "家庭人口", "事项", "类别", "原因", "公示期"]


def notice_rows() -> dict:
    rows = base_rows()
    a, b = rows["household"]
    a.update(medical_expense=20000, main_risk="因病因残", contact_person="黄丽", contact_phone="13711112222")
    b.update(phone="13912345678", contact_person="张三", contact_phone="13600000000", group="三组")
    rows["member"][1].update(health="长期慢性病、残疾", disability_type="肢体", disability_grade="二级")
    rows["household"].append(household(X_ID, head_name="王五", size=1, household_no="44020500000003",
                                       identified_date=T - D(250), phone="0751-8888888", group="二组"))
    rows["member"].append(member(X_ID, X_ID, "户主", name="王五"))
    rows["household"].append(household(HEAD_C, head_name="赵六", size=1, wage_income=5000, business_income=0,
                                       group="四组"))
    rows["member"].append(member(HEAD_C, HEAD_C, "户主", name="赵六", health="患有大病"))
    rows["measure"] = [measure(X_ID), measure(HEAD_A, "健康帮扶", content="大病救助")]
    rows["review"] = [
        review(HEAD_A, review_date=T, notice_start=T + D(1), notice_end=T + D(5)),
        review(HEAD_B, review_date=T - D(3), notice_start=T - D(2), notice_end=T + D(2)),
        review(X_ID, matter="风险消除", review_date=T - D(2), notice_start=T - D(1), notice_end=T + D(3)),
        review(HEAD_C, review_date=T - D(12), notice_start=T - D(11), notice_end=T - D(7)),
    ]
    return rows


@pytest.fixture(scope="module")
def district(tmp_path_factory, runner):
    ws = Workspace.init(tmp_path_factory.mktemp("notice") / "曲江区")
    cfg = ws.config()
    with Processor(ws, as_of=T, runner=runner) as p:
        drop(ws, cfg, notice_rows())
        report = p.run_pass(wait=0.05)
        assert [f.status for f in report.files] == ["applied"], report.files
        keep = ws.root / "首次公示名单.xlsx"
        shutil.copy2(ws.notice_path(TOWN, "石塘村"), keep)
        # what the first pass left, captured before the last test moves the clock on
        first = {"states": [ledger_row(ws, h).state for h in (HEAD_A, HEAD_B, X_ID, HEAD_C)],
                 "notices": sorted(q.relative_to(ws.root).as_posix() for q in (ws.root / "反馈").rglob("*公示名单*.xlsx"))}
        yield ws, cfg, p, keep, first


def notice_file(ws) -> Path:
    return ws.notice_path(TOWN, "石塘村")


def listed(path: Path) -> list[list[str]]:
    rows = sheet_rows(path, "公示名单")
    assert rows[3] == HEADERS
    out = []
    for row in rows[4:]:
        if not any(row):
            break
        out.append(row)
    return out


def test_the_households_in_notice_are_listed_in_plain_words(district):
    _, _, _, keep, first = district
    # 赵六's notice is over: sent on to the town, not listed
    assert first["states"] == ["线索", "线索", "帮扶中", "待镇核查"]
    assert listed(keep) == [
        ["一组", "陈伟", HEAD_A[:6] + "********" + HEAD_A[-4:], "3", "纳入监测", "突发严重困难户",
         "刚性支出较大，基本生活出现困难", f"{T + D(1)} 至 {T + D(5)}"],
        ["三组", "李秀英", HEAD_B[:6] + "********" + HEAD_B[-4:], "1", "纳入监测", "脱贫不稳定户",
         "家庭人均纯收入不高于监测线", f"{T - D(2)} 至 {T + D(2)}"],
        ["二组", "王五", X_ID[:6] + "********" + X_ID[-4:], "1", "风险消除", "",
         "收入持续稳定，“两不愁三保障”及饮水安全持续巩固", f"{T - D(1)} 至 {T + D(3)}"],
    ]


def test_id_numbers_are_masked(district):
    keep = district[3]
    ids = [row[2] for row in listed(keep)]
    assert all(MASKED.match(i) for i in ids), ids
    assert ids[2].endswith("X")
    text = "\n".join(all_cell_text(keep))
    assert not re.search(r"\d{17}[\dXx]", text)
    for full in (HEAD_A, HEAD_B, X_ID, HEAD_C):
        assert full not in text and full[6:14] not in text  # not even the birth date


def test_no_phone_numbers_or_health_facts_anywhere(district):
    keep = district[3]
    cells = all_cell_text(keep)
    text = "\n".join(cells)
    for phone in PHONES:
        assert phone not in text
    assert not re.search(r"1[3-9]\d{9}", text)  # no mobile number of anyone
    for word in HEALTH_WORDS:
        assert word not in text, word
    assert "黄丽" not in text and "张三" not in text  # members and contact persons are not published
    assert "赵六" not in text


def test_the_notice_is_a_printable_form(district):
    keep = district[3]
    rows = sheet_rows(keep, "公示名单")
    assert rows[0][0] == "曲江区马坝镇石塘村防止返贫监测对象公示名单"
    assert rows[1][0].startswith("根据《关于健全防止返贫动态监测和帮扶机制的实施方案》")
    footer = rows[len(listed(keep)) + 5][0]
    assert footer == f"监督电话：曲江区乡村振兴局 6669428        石塘村村民委员会（盖章）    {T.year}年{T.month}月{T.day}日"
    wb = openpyxl.load_workbook(keep)
    assert wb.sheetnames == ["公示名单"]
    sheet = wb["公示名单"]
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$4:$4"
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True


def test_only_villages_with_households_in_notice_get_a_list(district):
    assert district[4]["notices"] == ["反馈/马坝镇/石塘村/石塘村_公示名单.xlsx"]  # the village's own folder


def test_the_list_follows_the_notices_and_goes_when_none_is_running(district):
    ws, cfg, p, _, _ = district
    # three days on: B's notice is over (and B sent to the town), A's and 王五's still run
    p.as_of = T + D(3)
    rows = notice_rows()
    rows["household"][0]["note"] = "本周更新"
    drop(ws, cfg, rows)
    p.run_pass(wait=0.05)
    assert [(r[1], r[4]) for r in listed(notice_file(ws))] == [("陈伟", "纳入监测"), ("王五", "风险消除")]
    assert ledger_row(ws, HEAD_B).state == "待镇核查"
    # after every notice: no list at all
    p.as_of = T + D(10)
    rows["household"][0]["note"] = "下周更新"
    drop(ws, cfg, rows)
    p.run_pass(wait=0.05)
    assert not notice_file(ws).exists()


def test_a_towns_files_hold_only_that_towns_households(district):
    ws = district[0]
    other = "\n".join(all_cell_text(ws.town_review_path("大塘镇")))
    for word in ("石塘村", "陈伟", "李秀英", "王五", "赵六", HEAD_A, HEAD_B, X_ID, HEAD_C):
        assert word not in other


def test_a_district_without_a_supervision_phone_prints_none(tmp_path, runner):
    """The phone is the district's setting (区级设置's supervision_phone): another district's notice never
    carries 曲江区's number, and with none set the footer is just the committee's signature and the date."""
    ws = Workspace.init(tmp_path / "南雄市", DistrictSettings(district="南雄市", district_code="440282",
                                                            supervision_phone="", towns={TOWN: []}))
    with Processor(ws, as_of=T, runner=runner) as p:
        drop(ws, ws.config(), notice_rows())
        assert [f.status for f in p.run_pass(wait=0.05).files] == ["applied"]
    rows = sheet_rows(notice_file(ws), "公示名单")
    assert rows[0][0] == "南雄市马坝镇石塘村防止返贫监测对象公示名单"
    footer = rows[len(listed(notice_file(ws))) + 5][0]
    assert footer == f"石塘村村民委员会（盖章）    {T.year}年{T.month}月{T.day}日"
    assert "6669428" not in "\n".join(all_cell_text(notice_file(ws)))

    # a phone typed into the settings file without quotes is still the phone
    text = ws.settings_path.read_text(encoding="utf-8").replace("supervision_phone: ''", "supervision_phone: 3338899")
    ws.settings_path.write_text(text, encoding="utf-8")
    with Processor(ws, as_of=T, runner=runner) as p:
        p.run_pass(wait=0.05, force_outputs=True)
    footer = sheet_rows(notice_file(ws), "公示名单")[len(listed(notice_file(ws))) + 5][0]
    assert footer == f"监督电话：南雄市乡村振兴局 3338899        石塘村村民委员会（盖章）    {T.year}年{T.month}月{T.day}日"


def test_the_notices_are_written_while_the_workers_write_the_returned_copies(tmp_path, runner):
    """The main process writes the 公示名单 once the first returned copy is back, while the workers write the
    next copies, instead of alone after the last one (a cold pass's tail): the pass's outputs say the order."""
    villages = ["甲村", "乙村", "丙村"]
    ws = Workspace.init(tmp_path / "曲江区", DistrictSettings(towns={TOWN: villages}))
    for i, village in enumerate(villages, start=1):
        rows = rows_of_their_own(i)
        lead = rows["household"][1]["head_id"]  # below the line: a lead, its notice running
        rows["review"] = [review(lead, review_date=T - D(3), notice_start=T - D(2), notice_end=T + D(2))]
        drop_village(ws, TOWN, village, rows)
    with Processor(ws, as_of=T, runner=runner) as p:
        report = p.run_pass(wait=0.05)
    assert [f.status for f in report.files] == ["applied"] * 3, report.files
    in_order = sorted(villages)  # copies and notices go village by village, in the order of their names
    copies = [ws.returned_copy_path(TOWN, v, f"{v}.xlsx") for v in in_order]
    notices = [ws.notice_path(TOWN, v) for v in in_order]
    village_outputs = [o.path for o in report.outputs if o.path in copies or o.path in notices]
    assert village_outputs == [copies[0], *notices, *copies[1:]]
    assert all(path.is_file() for path in copies + notices)
    with ws.open_store() as store:
        assert store.pending.of("copy") == set() and store.pending.of("notice") == set()
