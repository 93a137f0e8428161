"""What a returned copy adds to the clerk's workbook, decided once as a Plan (marks, system columns and their
texts, write-backs, 问题清单 rows, 回执 lines) that either writer — via_xml or via_openpyxl — applies."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..check import CheckResult
from ..config import Config
from ..issues import Issue
from ..messages import SEVERITY_WORD, TEXT
from ..normalize import is_provisional_no, norm_header
from ..ooxml.cells import column_letter
from ..read import SheetData
from ..rules import Assessment, proposing
from ..validate import Household
from ..writers.common import text_lines, wrapped_height
from ..writers.printing import PageLayout, plan_page
from ..writers.village_inputs import Check, column_check, column_note, number_format

AUTHOR = "excel_bridge"
ISSUES_SHEET = "问题清单"
RECEIPT_SHEET = "回执"
MARK = "【系统校验】"  # starts our part of a cell comment; whatever precedes it is the clerk's own
ISSUE_HEADERS = ("序号", "严重程度", "工作表", "行号", "列名", "填写内容", "问题说明", "修改建议", "定位")
ISSUE_WIDTHS = (6, 9, 10, 7, 16, 20, 56, 56, 10)  # 190 character units: one landscape page across
ISSUE_LINE_HEIGHT = 16  # points a wrapped line of 问题清单 takes: LibreOffice's CJK fallback font needs more than 14


def issue_row_height(lines: int) -> float:
    """A 问题清单 row's height: each wrapped line in full, with room under the last (LibreOffice showed a last
    line cut in half at the row's bottom edge with 14 points a line, and one line touching it at 15)."""
    return ISSUE_LINE_HEIGHT * max(1, lines) + (2 if lines <= 1 else 4)


# the column up to which a village sheet's printed pages repeat who a row is (when it is among the first six)
IDENTITY_KEYS = {"household": "head_name", "member": "name", "measure": "head_id", "review": "head_id"}
WRAPPED_SYSTEM = ("sys_check", "sys_assessment", "sys_risks", "sys_assistance", "sys_opinion")


@dataclass(frozen=True)
class Status:
    """What the ledger knows of a household, shown in the system columns."""

    state: str
    opinion: str = ""
    household_no: str | None = None
    identified: dt.date | None = None


@dataclass(frozen=True)
class Mark:
    sheet: str
    row: int
    col: int  # 0-based
    severity: str  # the worst of the issues on the cell
    text: str  # our part of the comment, starting with MARK


@dataclass(frozen=True)
class InputColumn:
    """A column of one of the clerk's village sheets as the template makes it: its cells' format, its dropdown
    or check and its header's note (put back into a copy rebuilt from an .xls/.ods/.xlsb, which has lost them)."""

    sheet: str
    col: int  # 0-based
    header_row: int  # Excel row
    header: str
    number_format: str
    check: Check | None
    note: str


@dataclass(frozen=True)
class PrintedSheet:
    """One of the clerk's village sheets as it is to print: the header row repeated, the columns that say who a
    row is repeated on every page across, rows from the first to the last used (Excel rows, 0-based columns)."""

    name: str
    header_row: int
    last_row: int
    last_column: int
    identity: int  # how many leading columns repeat on every page across


@dataclass
class IssueRow:
    values: tuple[object, ...]
    severity: str | None
    link: str | None  # "'户信息'!F12"
    height: float


@dataclass
class Plan:
    """Everything the returned copy adds to the clerk's workbook, independent of how it is written."""

    marks: list[Mark] = field(default_factory=list)
    household_sheet: str | None = None
    header_row: int = 1
    last_column: int = 0  # the clerk's right-most column (0-based)
    system: dict[str, tuple[int, str, float]] = field(default_factory=dict)  # key → (col, header, width)
    existing_system: bool = False
    system_values: dict[int, dict[int, str]] = field(default_factory=dict)  # Excel row → col → value
    writes: list[tuple[str, int, int, str | dt.date]] = field(default_factory=list)  # into the clerk's empty cells
    issue_rows: list[IssueRow] = field(default_factory=list)
    receipt: list[tuple[str, object]] = field(default_factory=list)
    receipt_title: str = ""
    inputs: list[InputColumn] = field(default_factory=list)
    printed: list[PrintedSheet] = field(default_factory=list)
    system_heights: dict[int, float] = field(default_factory=dict)  # Excel row → points its system text needs

    @property
    def system_cols(self) -> set[int]:
        return {col for col, _, _ in self.system.values()}


def assessment_text(a: Assessment | None, config: Config) -> str:
    """研判结论: the rules that propose the household, in words with their plan clause (the clerk never sees a
    rule id), why it cannot be judged (which cells), or why it is not proposed — with a sharp drop to verify."""
    if a is None:
        return ""
    rules = config.rules
    if a.proposed is True:
        reasons = [TEXT["feedback.rule"].format(title=rules.rule(r).title, clause=rules.clause(r))
                   for r in proposing(a.holds)]
        return TEXT["feedback.proposed"].format(reasons="；".join(reasons))
    if a.proposed is None:
        return TEXT["feedback.cannot_assess"].format(
            fields="、".join(f"“{h}”" for h in a.unknown_inputs) or TEXT["feedback.cannot_assess_any"])
    drop = TEXT["feedback.drop_to_verify"].format(title=rules.rule("R-DROP").title,
                                                  clause=rules.clause("R-DROP")) if a.drop_to_verify else ""
    return TEXT["feedback.not_proposed"] + drop


def risk_text(a: Assessment | None, config: Config) -> str:
    if a is None:
        return ""
    parts = list(a.risk_types)
    if a.priority:
        parts.append(TEXT["feedback.priority"].format(clause=config.rules.clause("R-SPECIAL")))
    return "、".join(parts)


def unrecorded_opinion(hh: Household, issues: Sequence[Issue], config: Config) -> str:
    """审核意见 of a household the ledger did not take (a bad or repeated 户主身份证号, …): why, and how to fix it —
    the problem on its 户主身份证号 cell where there is one."""
    header = config.schemas.household.column("head_id").header
    on_id = [i for i in issues if i.sheet == hh.sheet and i.row == hh.row and i.column == header
             and i.severity == "error"]
    if on_id:
        return TEXT["feedback.unrecorded_id"].format(message=on_id[0].message, hint=on_id[0].hint)
    return TEXT["feedback.unrecorded"]


def _system_values(a: Assessment | None, counts: tuple[int, int], status: Status | None, config: Config,
                   stamp: str, *, unrecorded: str | None = None, checking: bool = False) -> dict[str, str]:
    """The system columns of one household; `unrecorded`: why the ledger did not take it (then its state is
    未入账 and that is its 审核意见); `checking`: a file only checked, recorded nowhere."""
    errors, warnings = counts
    if errors:
        more = TEXT["feedback.check_and_warnings"].format(n=warnings) if warnings else ""
        check = TEXT["feedback.check_errors"].format(errors=errors, warnings=more)
    else:
        check = TEXT["feedback.check_warnings"].format(n=warnings) if warnings else "通过"
    assistance = "·".join(x for x in (a.assistance, a.scope) if x) if a else ""
    if status is not None:
        state, opinion = status.state, status.opinion
    elif unrecorded:
        state, opinion = TEXT["state.unrecorded"], unrecorded
    else:
        state, opinion = TEXT["state.unsubmitted" if checking else "state.unrecorded"], (
            "" if checking else TEXT["feedback.unrecorded"])
    return {"sys_check": check, "sys_assessment": assessment_text(a, config),
            "sys_category": (a.category or "") if a else "", "sys_risks": risk_text(a, config),
            "sys_assistance": assistance, "sys_state": state, "sys_opinion": opinion, "sys_updated": stamp}


def _sheets(result: CheckResult) -> dict[str, SheetData]:
    return {s.name: s for s in result.parsed.data.sheets.values()} if result.parsed else {}


def locate(issue: Issue, sheets: Mapping[str, SheetData], config: Config) -> tuple[str, int, int | None] | None:
    """(sheet name, Excel row, 0-based column or None) that an issue points at, if it points anywhere."""
    sheet = sheets.get(issue.sheet or "")
    if sheet is None or issue.row is None:
        return None
    col = None
    if issue.column is not None:
        key = config.schemas[sheet.kind].header_lookup.get(norm_header(issue.column))
        col = sheet.columns.get(key) if key else None
        if col is None and issue.row == sheet.header_row:
            col = next((c for c, h in sheet.unknown if h == issue.column), None)
    return sheet.name, issue.row, col


def plan_copy(result: CheckResult, config: Config, statuses: Mapping[str, Status] | None,
              receipt: Mapping[str, object]) -> Plan:
    """The Plan of a readable checked file's returned copy, with the ledger's statuses (None: the file is only
    checked, recorded nowhere) and extra 回执 lines."""
    assert result.parsed is not None
    plan = Plan()
    sheets = _sheets(result)
    stamp = result.checked_at.strftime("%Y-%m-%d %H:%M:%S")
    # marks
    by_cell: dict[tuple[str, int, int], list[Issue]] = defaultdict(list)
    for issue in result.issues:
        where = locate(issue, sheets, config)
        if where is not None and where[2] is not None:
            by_cell[(where[0], where[1], where[2])].append(issue)
    for (sheet, row, col), issues in by_cell.items():
        worst = "error" if any(i.severity == "error" for i in issues) else "warning"
        text = MARK + "\n" + "\n".join(TEXT["feedback.comment_issue"].format(
            severity=SEVERITY_WORD[i.severity], message=i.message, hint=i.hint) for i in issues)
        plan.marks.append(Mark(sheet, row, col, worst, text))
    # system columns
    data = result.parsed.data.sheets.get("household")
    if data is not None:
        plan.household_sheet, plan.header_row = data.name, data.header_row
        plan.last_column = data.last_column
        existing = {norm_header(h): c for h, c in data.system_columns.items()}
        plan.existing_system = bool(existing)
        next_col = max([data.last_column, *existing.values()]) + 1
        for sc in config.schemas.household.system_columns:
            col = existing.get(norm_header(sc.header), next_col)
            if col == next_col:  # not in the file yet: a new column after the last
                next_col += 1
            plan.system[sc.key] = (col, sc.header, sc.width)
        counts = result.counts_by_household()
        for hh, a in result.pairs():
            status = statuses.get(hh.head_id or "") if hh.head_id and statuses else None
            unrecorded = unrecorded_opinion(hh, result.issues, config) \
                if status is None and (hh.head_id is None or hh.duplicate) else None
            values = _system_values(a, counts.get(hh.row, (0, 0)), status, config, stamp, unrecorded=unrecorded,
                                    checking=statuses is None)
            plan.system_values[hh.row] = {plan.system[k][0]: v for k, v in values.items()}
            height = wrapped_height([values[k] for k in WRAPPED_SYSTEM],
                                    {i: plan.system[k][2] for i, k in enumerate(WRAPPED_SYSTEM)})
            if height:
                plan.system_heights[hh.row] = height
            _writes_back(plan, data, hh, status)
    plan.inputs = input_columns(sheets, config)
    plan.printed = [_printed(sheet, max(plan.system_cols, default=0)) for sheet in sheets.values()]
    # 问题清单 and 回执
    order = {"error": 0, "warning": 1}
    for n, issue in enumerate(sorted(result.issues, key=lambda i: (order[i.severity], i.sheet or "", i.row or 0)),
                              start=1):
        where = locate(issue, sheets, config)
        link = f"'{where[0]}'!{column_letter((where[2] or 0) + 1)}{where[1]}" if where is not None else None
        lines = max(text_lines(text, ISSUE_WIDTHS[c]) for c, text in
                    ((5, issue.value), (6, issue.message), (7, issue.hint)))
        plan.issue_rows.append(IssueRow(
            (n, SEVERITY_WORD[issue.severity], issue.sheet or "", issue.row, issue.column or "", issue.value or "",
             issue.message, issue.hint, "转到" if link else None), issue.severity, link, issue_row_height(lines)))
    if not plan.issue_rows:
        plan.issue_rows.append(IssueRow((None, None, None, None, None, None, TEXT["feedback.no_issues"], None, None),
                                        None, None, issue_row_height(1)))
    parsed = result.parsed
    plan.receipt_title = TEXT["feedback.receipt_title"]
    plan.receipt = [
        ("收到文件", result.path.name), ("处理时间", stamp), ("文件指纹（SHA-256）", result.sha256 or ""),
        ("户数", len(parsed.households)), ("成员数", len(parsed.members)), ("帮扶措施条数", len(parsed.measures)),
        ("评议公示条数", len(parsed.reviews)), ("错误", result.errors), ("提示", result.warnings),
        ("建议纳入监测户数", sum(1 for a in result.assessments if a and a.proposed)), *receipt.items(),
    ]
    return plan


def layout_of(printed: PrintedSheet, widths: Sequence[float]) -> PageLayout:
    """How a village sheet of the clerk's prints, from its columns' widths (the writer reads them from the file).

    户信息 with the system columns is some 40 columns, about 580 character units: on one page it would print at a
    quarter of its size. It is fitted to as many pages across as keep it at about three quarters (four, for the
    template's columns), 户编号…户主姓名 repeated on each and the pages of one band of households printed one after
    another, so a page can be laid beside the next and every row still says whose it is."""
    header = printed.header_row - 1
    return plan_page(widths, last_row=printed.last_row - 1, header=(header, header), identity=printed.identity)


def _printed(sheet: SheetData, last_system: int) -> PrintedSheet:
    key = sheet.columns.get(IDENTITY_KEYS[sheet.kind])
    last_row = max((r for r, _ in sheet.rows), default=sheet.header_row)
    last_column = max(sheet.last_column, last_system if sheet.kind == "household" else 0)
    return PrintedSheet(sheet.name, sheet.header_row, last_row, last_column,
                        key + 1 if key is not None and key <= 5 else 0)


def input_columns(sheets: Mapping[str, SheetData], config: Config) -> list[InputColumn]:
    """Every schema column found in the clerk's village sheets, with what the template gives it."""
    out = []
    for sheet in sheets.values():
        for spec in config.schemas[sheet.kind].columns:
            col = sheet.columns.get(spec.key)
            if col is None:
                continue
            allowed = tuple(config.settings.towns) if spec.type == "town" else config.schemas.allowed(spec)
            out.append(InputColumn(sheet.name, col, sheet.header_row, spec.header, number_format(spec),
                                   column_check(spec, allowed), column_note(spec, allowed)))
    return out


def _writes_back(plan: Plan, data: SheetData, hh: Household, status: Status | None) -> None:
    """What the system assigned goes where the clerk's next file carries it — only into empty cells."""
    if status is None:
        return
    typed = hh.get("household_no")
    # an empty cell, or one still holding a provisional LS… number the ledger has since replaced (by the national
    # number the town typed back in 省系统录入): never a number the clerk typed
    if status.household_no and "household_no" not in hh.invalid and (
            typed is None or (is_provisional_no(typed) and typed != status.household_no)):
        col = data.columns.get("household_no")
        if col is not None:
            plan.writes.append((data.name, hh.row, col, status.household_no))
    if status.identified and hh.get("identified_date") is None and "identified_date" not in hh.invalid:
        col = data.columns.get("identified_date")
        if col is not None:
            plan.writes.append((data.name, hh.row, col, status.identified))
