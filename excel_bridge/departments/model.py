"""The values that cross the package's boundary: a list as read, the ledger's people as the store gives
them, and the warnings and unmatched people a list produces."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..issues import Issue
from .config import Department

# The ledger side of a comparison, one row per member, as the store will feed it (e.g. pd.read_sql):
#   person_id        normalised 18-digit ID (the match key)
#   household        the store's key of the member's household (any hashable; carried into warnings)
#   town, village    where the household is: warnings are routed to its town
#   household_type   户类型: 脱贫户 / 普通农户 (医保's lower threshold)
#   state            the household's state (线索 … 风险已消除 / 未纳入), for the integration's 属实-已在监测
#   on_file          False for a household no longer in its village's current file (已移出): not matched
#   dibao, tekun     享受低保 / 特困供养 of the member: 是 / 否 (民政 granted / stopped)
#   disability_type, disability_grade   残疾类别 / 残疾等级 of the member (残联: recorded as such?)
LEDGER_COLUMNS = ("person_id", "household", "town", "village", "household_type", "state", "on_file", "dibao",
                  "tekun", "disability_type", "disability_grade")


def ledger_frame(people: pd.DataFrame | Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """The ledger's people in the shape evaluate() expects: the columns above, in order, nothing else;
    a missing column other than person_id/household/town/village is empty (on_file: True)."""
    frame = people.copy() if isinstance(people, pd.DataFrame) else pd.DataFrame(list(people))
    missing = [c for c in ("person_id", "household", "town", "village") if c not in frame.columns]
    if missing and len(frame):
        raise ValueError(f"ledger people lack columns: {', '.join(missing)}")
    for column in LEDGER_COLUMNS:
        if column not in frame.columns:
            frame[column] = True if column == "on_file" else None
    frame = frame[list(LEDGER_COLUMNS)]
    frame["on_file"] = frame["on_file"].fillna(True).astype(bool)
    return frame


@dataclass(frozen=True, eq=False)
class DepartmentList:
    """One department list as read: its rows (pandas), the problems of single rows, and — when the list
    cannot be used at all — one note saying why (then rows is empty and nothing may change)."""

    department: Department
    path: Path
    format: str  # xlsx / xls / ods / xlsb / csv
    sha256: str  # of the file's bytes (archive key)
    fingerprint: str  # of the content read (order of rows, file format and re-saving do not change it)
    rows: pd.DataFrame  # sheet, row, person_id, id_text, name, town, then one column per fact found
    columns: Mapping[str, str] = field(default_factory=dict)  # person_id/name/town/fact → header as written
    sheets: tuple[str, ...] = ()
    header_rows: Mapping[str, int] = field(default_factory=dict)  # sheet → Excel row of its header
    issues: tuple[Issue, ...] = ()
    note: Issue | None = None
    encoding: str | None = None  # csv only: UTF-8 / UTF-8-BOM / GB18030 / UTF-16

    @property
    def usable(self) -> bool:
        return self.note is None

    @property
    def listed(self) -> set[str]:
        """The valid IDs the list names."""
        return set(self.rows["person_id"].dropna()) if len(self.rows) else set()


@dataclass(frozen=True)
class DepartmentWarning:
    """A department warning for one person of a household in the ledger, routed to its town."""

    department: str
    rule_id: str
    person_id: str
    name: str
    risk_type: str | None
    guarantee: str | None
    fact: str  # the Chinese sentence shown to the town, e.g. 2021年合规自付医疗费用 23,400 元
    household: int  # the store's household id
    town: str
    village: str
    received: dt.date
    deadline: dt.date
    sheet: str | None = None
    row: int | None = None  # where the list says it
    lead_source: str | None = None  # 线索来源 of a lead made from it (the rule's; none: 部门筛查预警)
    lead_date: dt.date | None = None  # the day its channel received it, as the list gives it (信访 受理日期)

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes two warnings the same warning across lists of one department."""
        return (self.department, self.person_id, self.rule_id)


@dataclass(frozen=True)
class Unmatched:
    """A person a rule would warn about who is in no household on file in the ledger (未在台账中的人员)."""

    department: str
    person_id: str
    name: str
    rule_ids: tuple[str, ...]
    facts: tuple[str, ...]
    town: str | None  # a town of the district when it can be known, else None
    place: str  # what the district reads: 马坝镇（部门名单所填） / 本区（镇不详） / 外区（地址码 440222）…
    basis: str  # list / address_code / removed_household / district / outside
    sheet: str | None = None
    row: int | None = None


@dataclass(frozen=True)
class Counts:
    rows: int  # data rows read (blank and footer rows excluded)
    invalid: int  # rows whose ID cannot be used
    people: int  # distinct valid IDs
    matched: int  # of them, members of a household on file
    warnings: int
    unmatched: int  # people not on file that a rule would warn about


@dataclass(frozen=True)
class Evaluation:
    department: str
    warnings: tuple[DepartmentWarning, ...]
    unmatched: tuple[Unmatched, ...]
    counts: Counts
    by_town: pd.DataFrame  # town, people matched, warnings (the 部门比对 row of this list)
