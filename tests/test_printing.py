"""Every kind of workbook we write, printed: converted to PDF by LibreOffice, its page count stays within a bound per
household, wide tables print across pages with the columns that say whose row it is on every page, and each page
is headed by the file and sheet it comes from (issue 12: one household printed on 6 pages, the master of 4 on 32,
a returned copy of 5 on 25). The page setups themselves are asserted on the files, opened with openpyxl."""

from __future__ import annotations

import datetime as dt
import math
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from conftest import needs_soffice
from factory import HEAD_B, TOWN, TOWN_SHEET, base_rows, decide, drop, lone_household, person, review, workspace_on
from xlsx_helpers import pdf_landscape_pages, pdf_page_texts, soffice_convert, soffice_convert_all

from excel_bridge.check import check_file
from excel_bridge.demo import IdPool, build_demo, generate_village
from excel_bridge.pipeline import Processor
from excel_bridge.returned import write_returned_copy
from excel_bridge.workspace import Workspace
from excel_bridge.writers.template import write_village_workbook

T = dt.date.today()
D = dt.timedelta

pytestmark = [needs_soffice, pytest.mark.skipif(shutil.which("pdfinfo") is None, reason="poppler not installed")]


@dataclass
class Printed:
    workbook: Path
    households: int  # households the workbook lists (the unit its bound grows by)
    pdf: Path | None = None

    @property
    def pages(self) -> list[str]:
        assert self.pdf is not None
        return pdf_page_texts(self.pdf)


def _town_of_one(root: Path) -> Path:
    ws = workspace_on(root, None)
    rows = base_rows()
    rows["review"] = [review(HEAD_B, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15))]
    with Processor(ws, as_of=T, workers=1) as p:
        drop(ws, ws.config(), rows)
        p.run_pass(wait=0.05)
    return ws.town_review_path(TOWN)


def _master_of_four(root: Path) -> Path:
    """A, B and two more; B decided by the town so 待区审核 has a row."""
    ws = workspace_on(root, None)
    rows = base_rows()
    c, cm = lone_household(person(dt.date(1960, 5, 5), 55), "王五", wage_income=5000, business_income=0,
                           transfer_income=1000, business_cost=0)
    d, dm = lone_household(person(dt.date(1965, 6, 6), 57), "赵六")
    rows["household"] += [c, d]
    rows["member"] += [cm, dm]
    rows["review"] = [review(h, review_date=T - D(20), notice_start=T - D(19), notice_end=T - D(15))
                      for h in (HEAD_B, c["head_id"])]
    with Processor(ws, as_of=T, workers=1) as p:
        drop(ws, ws.config(), rows)
        p.run_pass(wait=0.05)
        decide(ws.town_review_path(TOWN), TOWN_SHEET, "李秀英", "同意", "入户核实情况属实",
               "王核查", T)
        p.run_pass(wait=0.05)
    return ws.master_path


def _demo(root: Path) -> Workspace:
    """2 towns × 2 villages × 25 households (100), with mistakes, after one pass."""
    built = build_demo(root, villages=2, households=25, seed=12, mistakes=3, as_of=T, towns=2)
    ws = Workspace.open(built.root)
    with Processor(ws, as_of=T, workers=1) as p:
        p.run_pass(wait=0.05)
    return ws


def _village(tmp: Path, config, households: int, seed: int) -> Path:
    v = generate_village(random.Random(seed), config, IdPool("440205"), town=TOWN, village="石塘村",
                         households=households, as_of=T, mistakes=3)
    return write_village_workbook(tmp / f"村{households}户.xlsx", config, town=TOWN, village="石塘村", rows=v.rows)


def _count(path: Path, sheet: str, marker: str) -> int:
    from factory import table_of

    return len(table_of(path, sheet, marker))


@pytest.fixture(scope="module")
def printed(tmp_path_factory, config, lo_profile) -> dict[str, Printed]:
    tmp = tmp_path_factory.mktemp("printing")
    profile = lo_profile
    out: dict[str, Printed] = {}
    out["镇级核查表（1户）"] = Printed(_town_of_one(tmp / "one"), 1)
    out["区级总台账（4户）"] = Printed(_master_of_four(tmp / "four"), 4)
    demo = _demo(tmp / "demo")
    town = demo.town_review_path("马坝镇")
    out["镇级核查表（模拟镇）"] = Printed(town, _count(demo.master_path, "监测户台账", "流程状态") // 2)
    out["区级总台账（模拟区）"] = Printed(demo.master_path, _count(demo.master_path, "监测户台账", "流程状态"))
    notices = sorted(demo.town_feedback("马坝镇").glob("*/*_公示名单.xlsx"))
    assert notices, "the demo has households in notice"
    out["公示名单"] = Printed(notices[0], _count(notices[0], "公示名单", "户主姓名"))
    for n in (5, 40):
        src = _village(tmp, config, n, seed=n)
        result = check_file(src, config, as_of=T)
        out[f"反馈（{n}户）"] = Printed(write_returned_copy(result, tmp / f"{src.stem}_反馈.xlsx", config).path, n)
        out[f"反馈openpyxl（{n}户）"] = Printed(
            write_returned_copy(result, tmp / f"{src.stem}_反馈o.xlsx", config, via="openpyxl").path, n)
    (tmp / "xls").mkdir()
    xls = soffice_convert(_village(tmp / "xls", config, 5, seed=5), "xls", tmp / "xls" / "out", profile)
    out["反馈xls（5户）"] = Printed(write_returned_copy(check_file(xls, config, as_of=T), tmp / "xls_反馈.xlsx",
                                                     config).path, 5)
    out["模板"] = Printed(write_village_workbook(tmp / "模板.xlsx", config), 0)
    # one LibreOffice run for all of them (each under its own name: the PDFs land side by side)
    named = []
    for key, p in out.items():
        copy = tmp / "named" / f"{key}.xlsx"
        copy.parent.mkdir(exist_ok=True)
        shutil.copy2(p.workbook, copy)
        named.append(copy)
    for p, pdf in zip(out.values(), soffice_convert_all(named, "pdf", tmp / "pdf", profile), strict=True):
        p.pdf = pdf
    return out


# the most pages each kind may take for n households: its fixed sheets, and pages per household (measured on this
# machine's LibreOffice, with room to spare; before issue 12: one household's town workbook 6–12 pages, 4 households'
# master 32, a returned copy of 5 households 25, the blank template 19)
PER_KIND = {
    # with 部门预警 (issue 13), 本镇已核实 (issue 18), 本镇统计 and 本镇考核 (issue 20), 省系统录入 (issue 21)
    "镇级核查表": lambda n: 10 + math.ceil(n / 8),
    # with 部门比对 and 未在台账中的人员 (issue 13), 统计 and 考核 (issue 20), 省系统录入 (issue 21); 监测联系人/联系人电话
    # in 监测户台账, 统计's 线索受理登记, 帮扶措施 and 帮扶措施统计, and 家庭成员 two pages across with 减少原因, 增加原因 and
    # 变动日期 (issue 22)
    "区级总台账": lambda n: 21 + math.ceil(n * 2 / 5),
    "公示名单": lambda n: 1 + n // 15,
    # 户信息 with 受理日期 and 走访日期, and the member and measure columns (issue 22)
    "反馈": lambda n: 14 + math.ceil(n / 2),
    "模板": lambda n: 10,
}


def bound(key: str, households: int) -> int:
    return next(f for kind, f in PER_KIND.items() if key.startswith(kind))(households)


def test_page_counts_stay_within_their_bound_per_household(printed):
    counts = {key: (len(p.pages), p.households) for key, p in printed.items()}
    over = {key: (pages, bound(key, n)) for key, (pages, n) in counts.items() if pages > bound(key, n)}
    assert over == {}, counts
    # each one page more with its 省系统录入 sheet (issue 21)
    assert counts["镇级核查表（1户）"][0] <= 11 and counts["区级总台账（4户）"][0] <= 21
    assert counts["反馈（5户）"][0] <= 15 and counts["模板"][0] <= 10


def _sheet_of(page: str) -> str:
    """The sheet a printed page comes from: its header line says “<file>　<sheet>”."""
    first = next(line for line in page.splitlines() if line.strip())
    return first.split()[-1]


# sheets printed across pages: the column that names the household is on every one of their pages
NAMED = {"待镇审核": "户主姓名", "待区审核": "户主姓名", "本镇已决定": "户主姓名", "监测户台账": "户主姓名",
         "家庭成员": "姓名", "户信息": "户主姓名", "部门预警": "户主姓名", "未在台账中的人员": "身份证号",
         "省系统录入": "户主姓名"}
LANDSCAPE = {"待镇审核", "待区审核", "部门预警", "部门比对", "未在台账中的人员", "监测户台账", "家庭成员", "户信息", "问题清单", "总览", "问题汇总", "提交记录"}


def test_every_page_says_where_it_comes_from_and_whose_rows_it_holds(printed):
    for key, p in printed.items():
        pages = p.pages
        landscape = pdf_landscape_pages(p.pdf)
        for number, (page, wide) in enumerate(zip(pages, landscape, strict=True), start=1):
            first = next(line for line in page.splitlines() if line.strip())
            assert f"{key}.xlsx" in first, (key, number, first)  # the page header: file and sheet
            assert f"第 {number} 页，共 {len(pages)} 页" in page, (key, number)
            sheet = _sheet_of(page)
            if sheet in NAMED:
                assert NAMED[sheet] in page, (key, number, sheet)
            if sheet in LANDSCAPE:
                assert wide, (key, number, sheet)


def test_the_decision_is_printed_beside_the_name(printed):
    """The town's one household: 核查结论 on the same (first) page as 户主姓名 — not alone on a last page."""
    pages = [page for page in printed["镇级核查表（1户）"].pages if _sheet_of(page) == "待镇审核"]
    assert len(pages) == 2
    assert all(word in pages[0] for word in ("户主姓名", "李秀英", "核查结论", "核查意见", "核查人", "核查日期"))
    assert "李秀英" in pages[1] and "核查结论" not in pages[1]


def test_a_department_warning_is_verified_beside_the_name_and_the_fact(printed):
    """The demo town's 部门预警 (the demo's five lists, taken by the pass) prints on one landscape page across: who
    (村, 户主姓名, 姓名), the department's fact, the four 核实 columns and the details, for every row."""
    pages = [page for page in printed["镇级核查表（模拟镇）"].pages if _sheet_of(page) == "部门预警"]
    assert len(pages) == 1
    header = next(line for line in pages[0].splitlines() if "户主姓名" in line).split()
    assert header == ["村", "户主姓名", "姓名", "部门", "情况", "期限状态", "核实结论", "核实意见", "核实人", "核实日期", "户编号",
                      "户状态", "身份证号", "风险类型", "收到日期", "核实期限"]


# --- the page setups, on the files ---

def _setup(ws) -> tuple:
    s = ws.page_setup
    # (a fitToWidth of 1 is the file format's default: XlsxWriter leaves it out)
    return (s.orientation, s.paperSize, s.fitToWidth or 1, s.fitToHeight, s.pageOrder,
            ws.sheet_properties.pageSetUpPr.fitToPage if ws.sheet_properties.pageSetUpPr else None,
            ws.print_title_rows, ws.print_title_cols, ws.print_options.gridLines)


def test_town_and_master_page_setups(printed):
    town = openpyxl.load_workbook(printed["镇级核查表（1户）"].workbook)
    decisions = town[TOWN_SHEET]
    assert _setup(decisions) == ("landscape", 9, 2, 0, "overThenDown", True, "$2:$2", "$A:$E", True)
    # from the header row (the lines above are for the screen); the hidden token column V takes no paper
    assert decisions.print_area == "'待镇审核'!$A$2:$V$3"
    assert decisions.oddHeader.left.text == "&F　&A" and decisions.oddFooter.center.text == "第 &P 页，共 &N 页"
    for name in ("本镇已决定", "村级提交情况", "预警", "风险消除研判", "本镇考核"):
        assert _setup(town[name])[:4] == ("landscape", 9, 1, 0), name
    assert _setup(town["本镇统计"])[:4] == ("landscape", 9, 1, None)  # one page wide and one tall (1: the default)
    assert not _setup(town["本镇统计"])[8]  # no grid printed over the space between its tables
    master = openpyxl.load_workbook(printed["区级总台账（模拟区）"].workbook)
    households = master["监测户台账"]
    # three pages across since 监测联系人 and 联系人电话 (issue 22)
    assert _setup(households) == ("landscape", 9, 3, 0, "overThenDown", True, "$1:$1", "$A:$F", True)
    n = printed["区级总台账（模拟区）"].households
    assert households.print_area == f"'监测户台账'!$A$1:$AF${n + 1}"  # the streamed rows, every one
    # member.yaml's columns but those that only tell a change (减少原因, 增加原因, 变动日期: master: false): one page
    assert _setup(master["家庭成员"])[:4] == ("landscape", 9, 1, 0)
    assert _setup(master["帮扶措施"])[:4] == ("landscape", 9, 1, 0)  # 175 units: one page across
    overview = master["总览"]
    fit = overview.page_setup  # one page wide and one tall (1 is the default the file leaves out)
    assert (fit.orientation, fit.fitToWidth or 1, 1 if fit.fitToHeight is None else fit.fitToHeight) == (
        "landscape", 1, 1)


def test_returned_copy_page_setups_on_both_paths(printed):
    # 37 columns of the clerk's and 8 of ours: six legible pages across since 受理日期 and 走访日期 (issue 22; five
    # before; the copy rebuilt from an .xls, whose columns are as wide as their values: five)
    for key, across in (("反馈（5户）", 6), ("反馈openpyxl（5户）", 6), ("反馈xls（5户）", 5)):
        wb = openpyxl.load_workbook(printed[key].workbook)
        hh = wb["户信息"]
        assert _setup(hh) == ("landscape", 9, across, 0, "overThenDown", True, "$1:$1", "$A:$E", True), key
        assert hh.print_area == "'户信息'!$A$1:$AS$6", key
        assert hh["AM2"].alignment.wrap_text and hh["AR2"].alignment.wrap_text, key  # 研判结论, 审核意见
        assert hh.row_dimensions[2].height >= 30, key  # tall enough for its wrapped 研判结论
        issues = wb["问题清单"]
        assert _setup(issues)[:4] == ("landscape", 9, 1, 0) and issues.print_title_rows == "$1:$1", key
        assert wb["回执"].page_setup.orientation == "portrait", key
        assert _setup(wb["家庭成员"])[:4] == ("landscape", 9, 2, 0), key


def test_template_page_setup(printed):
    wb = openpyxl.load_workbook(printed["模板"].workbook)
    assert _setup(wb["户信息"]) == ("landscape", 9, 4, 0, "overThenDown", True, "$1:$1", "$A:$E", True)
    assert wb["户信息"].print_area == "'户信息'!$A$1:$AK$21"  # a blank form: the header and 20 ruled rows
    assert _setup(wb["填表说明"])[:4] == ("portrait", 9, 1, 0)
