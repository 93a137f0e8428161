"""The decision sheet of a town's 镇级核查表 (待镇审核) and of the 区级总台账 (待区审核): one row per household
waiting for that level — who it is, the four decision columns right beside the name (dropdown, frozen with the
name so the row decided is the row read), then what the level decides on (for the district: the town's own
conclusion first) and the hidden row token. One writer for both levels, the names and choices from
decision_sheet."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

from ..config import Config
from ..decision_sheet import CHOICES, COLUMNS, SHEETS, TOKEN_HEADER
from ..ledger_tokens import row_tokens
from ..messages import TEXT
from ..rules import proposing
from ..store import Draft, Event, HouseholdRow, Store
from ..workflow import DISTRICT, DISTRICT_REDUCE, MATTER, TOWN, TOWN_REDUCE
from .common import display_width
from .tables import Col, Formats, Styled, col_width, write_table

DATE_RANGE = (dt.date(2020, 1, 1), dt.date(2100, 12, 31))
HEADER_LINES = 2  # headers wrap onto two lines: a column is as wide as its values, not its header
NOTE_WIDTH = 110  # the refused-decisions line wraps within about a screen's width of the table
NOTE_MAX_LINES = 8

IDENTITY = [Col("事项", 12), Col("村", 10), Col("组", 5), Col("户编号", 16, "id"), Col("户主姓名", 9)]
# the town's decision, shown to the district beside its own (what it decides on)
TOWN_DECISION = [Col("镇级结论", 6), Col("镇级意见", 20, "wrap"), Col("镇核查人", 7), Col("镇核查日期", 11, "date")]
FACTS = [
    Col("户主身份证号", 19, "id"), Col("家庭人口数", 6, "int"), Col("户类型", 8), Col("人均纯收入", 10, "money"),
    Col("监测线", 8, "money"), Col("研判依据", 26, "wrap"), Col("建议类别", 13), Col("风险类型", 14, "wrap"),
    Col("重点关注", 5), Col("帮扶建议", 12, "wrap"), Col("村级评议公示", 26, "wrap"), Col("进入本环节", 11, "date"),
]


def review_summary(hh: HouseholdRow, reviews: Sequence[dict[str, Any]]) -> str:
    """What the village said: its latest 评议公示 (`reviews`: the household's, as the ledger holds them), or for
    自然减少 the 减少原因 and 减少日期 it gave."""
    if hh.state in (TOWN_REDUCE, DISTRICT_REDUCE):
        day = hh.data.get("reduce_date")
        return TEXT["town.reduce_summary"].format(reason=hh.data.get("reduce_reason") or "",
                                                  date=day.isoformat() if isinstance(day, dt.date) else day or "")
    if not reviews:
        return ""
    r = max(reviews, key=lambda x: (str(x.get("notice_end") or ""), str(x.get("review_date") or "")))
    return TEXT["town.review_summary"].format(
        matter=r.get("matter") or "", review_date=r.get("review_date") or "", result=r.get("review_result") or "",
        notice_start=r.get("notice_start") or "", notice_end=r.get("notice_end") or "",
        objection=r.get("objection") or "")


def rules_text(holds: Sequence[str], config: Config, *, with_ids: bool = False) -> str:
    """The rules that propose a household, in words; the district also sees each rule id after its words."""
    rules = config.rules
    return "；".join(f"{rules.rule(r).title}（{r}）" if with_ids else rules.rule(r).title for r in proposing(holds))


def decision_columns(level: str) -> list[Col]:
    return [Col(h, 24 if "意见" in h else (11 if "日期" in h else 7), "decision") for h in COLUMNS[level]]


def sheet_columns(level: str) -> list[Col]:
    """Who the household is, the level's decision columns, (for the district) the town's decision, the facts,
    the hidden token."""
    lead = [Col("镇", 8)] if level == DISTRICT else []
    town = TOWN_DECISION if level == DISTRICT else []
    return [*lead, *IDENTITY, *decision_columns(level), *town, *FACTS, Col(TOKEN_HEADER, 24, "id", hidden=True)]


def _identity_cells(hh: HouseholdRow, level: str) -> list[object]:
    lead = [hh.town] if level == DISTRICT else []
    return [*lead, MATTER.get(hh.state, hh.state), hh.village, hh.data.get("group"), hh.household_no, hh.head_name]


def _town_cells(decision: Event | None) -> list[object]:
    if decision is None:
        return [None] * len(TOWN_DECISION)
    return [decision.action, decision.comment, decision.person, decision.effective_date]


def _fact_cells(hh: HouseholdRow, reviews: Sequence[dict[str, Any]], config: Config, level: str) -> list[object]:
    a = hh.assessment
    return [hh.head_id, hh.data.get("size"), hh.data.get("household_type"), hh.data.get("_per_capita_income"),
            hh.data.get("_line"), rules_text(a.get("holds", []), config, with_ids=level == DISTRICT) or (
                TEXT["decision.not_proposed"] if a.get("proposed") is False else ""),
            a.get("category"), "、".join(a.get("risk_types", [])), "是" if a.get("priority") else "",
            "·".join(x for x in (a.get("assistance"), a.get("scope")) if x), review_summary(hh, reviews),
            hh.updated_at.date()]


def _typed_cells(draft: Draft | None, fmt: Formats) -> list[object]:
    """The four decision cells: empty, or what was typed in a refused decision of this household, the fields to
    fill in or change in red."""
    if draft is None:
        return [None] * 4
    values = {"decision": draft.decision, "comment": draft.comment, "person": draft.person, "date": draft.decided_on}
    return [Styled(values[key], fmt.missing_date if key == "date" else fmt.missing) if key in draft.flagged
            else values[key] for key in ("decision", "comment", "person", "date")]


def decision_validation(ws, first_row: int, n: int, col: int, choices: Sequence[str]) -> None:
    if n:
        ws.data_validation(first_row + 1, col, first_row + n, col, {
            "validate": "list", "source": list(choices), "input_title": "请选择",
            "input_message": "、".join(choices), "error_title": "只能选择", "error_message": "、".join(choices)})
        ws.data_validation(first_row + 1, col + 3, first_row + n, col + 3, {
            "validate": "date", "criteria": "between", "minimum": DATE_RANGE[0],
            "maximum": DATE_RANGE[1], "error_type": "warning", "error_message": TEXT["town.date_error"]})


def _note_span(columns: Sequence[Col]) -> tuple[int, float]:
    """The last column and the width of the leading columns a note line spans (about a screen's width)."""
    total, last = 0.0, 0
    for c, col in enumerate(columns):
        if col.hidden:
            break
        total += col_width(col, header_lines=HEADER_LINES)
        last = c
        if total >= NOTE_WIDTH:
            break
    return last, total


def _line(ws, fmt: Formats, row: int, columns: Sequence[Col], text: str, cell_fmt, *, wrap: bool) -> None:
    """A line above the table: wrapped within about a screen's width and as tall as its text, or one line across
    the table. The cells beside it are written plain, so the columns' formats (the yellow decision fill) start
    at the header."""
    visible = sum(1 for col in columns if not col.hidden)
    last = visible - 1
    if wrap:
        last, width = _note_span(columns)
        lines = min(NOTE_MAX_LINES, max(1, math.ceil(display_width(text) * 1.05 / max(width, 1))))
        ws.set_row(row, 14 * lines + 4)
    ws.merge_range(row, 0, row, last, text, cell_fmt)
    for c in range(last + 1, len(columns)):
        ws.write_blank(row, c, None, fmt.plain)


def write_decision_sheet(wb, fmt: Formats, store: Store, config: Config, *, level: str, rows: list[HouseholdRow],
                         instruction: str, notes: list[str]) -> None:
    """The level's decision sheet: an instruction line, refused decisions of the last file, then the table."""
    sheet = wb.add_worksheet(SHEETS[level])
    columns = sheet_columns(level)
    _line(sheet, fmt, 0, columns, instruction, fmt.bold, wrap=False)
    first = 1
    if notes:
        _line(sheet, fmt, 1, columns, TEXT["town.refused_notes"].format(notes="；".join(notes)), fmt.note, wrap=True)
        first = 2
    ids = [hh.id for hh in rows]
    town = store.events.latest_decisions(TOWN, ids) if level == DISTRICT else {}
    drafts = {hid: d for hid, d in store.drafts.of(level, ids).items()}
    tokens = row_tokens(store, rows)
    reviews = store.households.reviews_of_many(hh.id for hh in rows if hh.state not in (TOWN_REDUCE, DISTRICT_REDUCE))

    def cells():
        for hh in rows:
            draft = drafts.get(hh.id)
            typed = _typed_cells(draft if draft is not None and draft.version == hh.version else None, fmt)
            extra = _town_cells(town.get(hh.id)) if level == DISTRICT else []
            yield [*_identity_cells(hh, level), *typed, *extra, *_fact_cells(hh, reviews.get(hh.id, ()), config, level),
                   tokens[hh.id]]

    identity = len(IDENTITY) + (1 if level == DISTRICT else 0)
    # printed from the refused-decisions note (it names the households: the paper the town works from says
    # what to decide again), else from the header row; the instruction line across the whole table is for the
    # screen, cut across pages it would show in pieces (the note spans only the first page's columns)
    n = write_table(sheet, fmt, columns, cells(), first_row=first, identity=identity, header_lines=HEADER_LINES,
                    printed=True, print_from=1 if notes else first)
    decision_validation(sheet, first, n, identity, CHOICES[level])
    sheet.protect("", {"autofilter": True, "sort": True, "format_columns": True, "format_rows": True})
