"""The store's typed rows: what the ledger holds, with dates and times decoded once, here.

A household's values, and its members', measures' and reviews' rows, are kept as JSON; the keys listed in
DATE_KEYS hold calendar days (written as ISO text) and come back as `datetime.date`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from typing import Any

DATE_KEYS = frozenset({"identified_date", "birth_date", "start_date", "review_date", "notice_start", "notice_end",
                       "received_date", "reduce_date", "visit_date", "accepted_date", "done_date",
                       "change_date"})


def revive(key: str, value: Any) -> Any:
    """A stored value as the validator made it (dates as dates, multi-choice answers as tuples)."""
    if key in DATE_KEYS and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    if key in ("health", "disability_type") and isinstance(value, list):
        return tuple(value)
    if key == "disability_type" and isinstance(value, str):  # stored before 残疾类别 took several kinds
        return (value,)
    return value


_REVIVED_KEYS = DATE_KEYS | {"health", "disability_type"}  # the only keys revive() can change


def revived(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    for key in _REVIVED_KEYS.intersection(record):  # a few keys of a record's forty
        out[key] = revive(key, out[key])
    return out


def day(value: Any) -> dt.date | None:
    """A DATE column (a date; in an older SQLite ledger possibly still ISO text)."""
    if value is None or isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])


def required_day(value: Any) -> dt.date:
    """A NOT NULL DATE column (see day)."""
    d = day(value)
    assert d is not None, "a NOT NULL date column read as NULL"
    return d


@dataclass(frozen=True)
class HouseholdRow:
    """A household as the ledger holds it."""

    id: int
    household_no: str | None
    provisional: bool
    head_id: str
    head_name: str | None
    town: str
    village: str
    state: str
    version: int
    opinion: str
    on_file: bool
    lead_date: dt.date | None
    identified_date: dt.date | None
    eliminated_date: dt.date | None
    category: str | None  # 认定类别, fixed at identification
    submission_id: int | None
    row: int | None
    data: dict[str, Any]
    assessment: dict[str, Any]
    errors: int
    warnings: int
    updated_at: dt.datetime

    @classmethod
    def of(cls, r: Any) -> "HouseholdRow":
        return cls.of_mapping(r._mapping)

    @classmethod
    def of_mapping(cls, m: Any) -> "HouseholdRow":
        """From a row's mapping, or the dict of values a household was inserted with (its JSON decoded)."""
        values = {f.name: m[f.name] for f in _HOUSEHOLD_FIELDS}
        values.update(provisional=bool(m["provisional"]), on_file=bool(m["on_file"]), lead_date=day(m["lead_date"]),
                      identified_date=day(m["identified_date"]), eliminated_date=day(m["eliminated_date"]),
                      data=revived(m["data"]))
        return cls(**values)


_HOUSEHOLD_FIELDS = fields(HouseholdRow)


@dataclass(frozen=True)
class Submission:
    """One file received: a village workbook, or a town's / the district's decision workbook."""

    id: int
    sha256: str
    kind: str
    status: str
    town: str | None
    file_name: str
    archived_path: str | None
    received_at: dt.datetime
    errors: int
    warnings: int
    households: int
    members: int
    feedback_path: str | None
    message: str | None
    villages: tuple[str, ...] = ()

    @classmethod
    def of(cls, r: Any, villages: tuple[str, ...] = ()) -> "Submission":
        m = r._mapping
        return cls(**{f.name: m[f.name] for f in fields(cls) if f.name != "villages"}, villages=villages)


@dataclass(frozen=True)
class Event:
    """One line of a household's audit log."""

    id: int
    at: dt.datetime
    household_id: int | None
    event: str
    action: str | None
    from_state: str | None
    to_state: str | None
    level: str
    person: str | None
    source_sha256: str | None
    comment: str | None
    effective_date: dt.date | None
    # the household's place and name, where the query joined them
    town: str | None = None
    village: str | None = None
    head_name: str | None = None
    household_no: str | None = None

    @classmethod
    def of(cls, r: Any) -> "Event":
        m = r._mapping
        values = {f.name: m.get(f.name) for f in fields(cls)}  # the household's place only where joined
        values["effective_date"] = day(m["effective_date"])
        return cls(**values)


@dataclass(frozen=True)
class MemberRow:
    """A member with the place and key of its household (the master's 家庭成员 sheet)."""

    town: str
    village: str
    household_no: str | None
    head_id: str
    on_file: bool
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MeasureRow:
    """A measure with the place, key and state of its household (the master's 帮扶措施, a department's export)."""

    town: str
    village: str
    household_no: str | None
    head_name: str | None
    head_id: str
    state: str
    category: str | None  # the household's 认定类别
    on_file: bool
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Conflict:
    """A person in the current rows of two villages (reported on both sides)."""

    person_id: str
    name: str | None
    town: str
    village: str
    sheet: str | None
    row: int | None
    other_town: str
    other_village: str


@dataclass(frozen=True)
class CountedHousehold:
    """What the district's numbers read of a household (统计, 通报, 考核): one row of one read of the households."""

    id: int
    town: str
    village: str
    household_no: str | None
    head_name: str | None
    state: str
    on_file: bool
    category: str | None
    lead_source: str | None
    risk_types: tuple[str, ...]
    contact_person: str | None
    lead_date: dt.date | None
    identified_date: dt.date | None

    @classmethod
    def of_row(cls, h: "HouseholdRow") -> "CountedHousehold":
        """From a household already read whole (the district's writer streams them once for the alerts)."""
        return cls(id=h.id, town=h.town, village=h.village, household_no=h.household_no, head_name=h.head_name,
                   state=h.state, on_file=h.on_file, category=h.category, lead_source=h.data.get("lead_source"),
                   risk_types=tuple(h.assessment.get("risk_types") or ()),
                   contact_person=h.data.get("contact_person"), lead_date=h.lead_date,
                   identified_date=h.identified_date)


@dataclass(frozen=True)
class CountedMove:
    """One event as the month-by-month series counts it."""

    household_id: int
    event: str
    from_state: str | None
    to_state: str | None
    effective_date: dt.date | None


@dataclass(frozen=True)
class VillageSummary:
    """One village of a town: its latest file and how many households it has on file and under monitoring."""

    village: str
    latest: Submission | None
    on_file: int
    monitored: int


@dataclass
class LedgerHousehold:
    """A household as last accepted, with its members, measures and reviews (a pre-filled village workbook)."""

    id: int
    town: str
    village: str
    household_no: str | None
    head_id: str
    head_name: str | None
    state: str
    category: str | None
    identified_date: dt.date | None
    data: dict[str, Any]
    assessment: dict[str, Any]
    members: list[dict[str, Any]] = field(default_factory=list)
    measures: list[dict[str, Any]] = field(default_factory=list)
    reviews: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class SentUp:
    """A decision a town took on one of its households, with what the district decided next (None: nothing yet,
    or the town's 退回 sent it back down) and where the household stands now."""

    household_id: int
    village: str
    household_no: str | None
    head_name: str | None
    state: str
    on_file: bool
    town_decision: Event
    district_decision: Event | None


@dataclass(frozen=True)
class Draft:
    """A refused decision as it was typed: shown again in the household's row of the next copy of the workbook,
    with the `flagged` fields (decision, comment, person, date) marked to be filled in or changed."""

    level: str
    household_id: int
    town: str
    version: int
    decision: str | None
    comment: str | None
    person: str | None
    decided_on: dt.date | None
    flagged: tuple[str, ...]
    at: dt.datetime

    @classmethod
    def of(cls, r: Any) -> "Draft":
        m = r._mapping
        return cls(level=m["level"], household_id=m["household_id"], town=m["town"], version=m["version"],
                   decision=m["decision"], comment=m["comment"], person=m["person"],
                   decided_on=day(m["decided_on"]), flagged=tuple(m["flagged"]), at=m["at"])


@dataclass(frozen=True)
class DeptListRow:
    """One department list received: what it was, what became of it, and what it counted."""

    id: int
    department: str | None
    file_name: str
    sha256: str
    fingerprint: str | None
    received_at: dt.datetime
    received_date: dt.date
    archived_path: str | None
    status: str  # applied / duplicate / refused
    row_count: int
    people: int
    invalid: int
    issues: int
    matched: int
    warnings: int
    unmatched: int
    by_town: dict[str, dict[str, int]]
    note_path: str | None
    message: str | None

    @classmethod
    def of(cls, r: Any) -> "DeptListRow":
        m = r._mapping
        return cls(id=m["id"], department=m["department"], file_name=m["file_name"], sha256=m["sha256"],
                   fingerprint=m["fingerprint"], received_at=m["received_at"],
                   received_date=required_day(m["received_date"]), archived_path=m["archived_path"], status=m["status"],
                   row_count=m["row_count"], people=m["people"],
                   invalid=m["invalid"], issues=m["issues"], matched=m["matched"], warnings=m["warnings"],
                   unmatched=m["unmatched"], by_town=m["by_town"] or {}, note_path=m["note_path"],
                   message=m["message"])


@dataclass(frozen=True)
class WarningRow:
    """A department warning as the ledger holds it; with its household's number, head and state where the
    query joined them (the town's 部门预警 sheet, 预警)."""

    id: int
    department: str
    rule_id: str
    person_id: str
    name: str | None
    household_id: int
    town: str
    village: str
    risk_type: str | None
    guarantee: str | None
    fact: str
    received_date: dt.date
    deadline: dt.date
    status: str
    revision: int
    list_id: int
    last_list_id: int
    sheet: str | None
    row: int | None
    comment: str | None
    verified_by: str | None
    verified_date: dt.date | None
    source_sha256: str | None
    lead_created: bool
    closed_reason: str | None
    updated_at: dt.datetime
    household_no: str | None = None
    head_name: str | None = None
    household_state: str | None = None
    on_file: bool | None = None
    lead_source: str | None = None  # 线索来源 of a lead made from it (信访信息); none: 部门筛查预警
    lead_date: dt.date | None = None  # its 受理日期 as the list gives it

    @classmethod
    def of(cls, r: Any) -> "WarningRow":
        m = r._mapping
        return cls(id=m["id"], department=m["department"], rule_id=m["rule_id"], person_id=m["person_id"],
                   name=m["name"], household_id=m["household_id"], town=m["town"], village=m["village"],
                   risk_type=m["risk_type"], guarantee=m["guarantee"], fact=m["fact"],
                   received_date=required_day(m["received_date"]), deadline=required_day(m["deadline"]),
                   status=m["status"],
                   revision=m["revision"], list_id=m["list_id"], last_list_id=m["last_list_id"], sheet=m["sheet"],
                   row=m["row"], comment=m["comment"], verified_by=m["verified_by"],
                   verified_date=day(m["verified_date"]), source_sha256=m["source_sha256"],
                   lead_created=bool(m["lead_created"]), closed_reason=m["closed_reason"],
                   updated_at=m["updated_at"], household_no=m.get("household_no"), head_name=m.get("head_name"),
                   household_state=m.get("household_state"),
                   on_file=None if m.get("household_on_file") is None else bool(m.get("household_on_file")),
                   lead_source=m.get("lead_source"), lead_date=day(m.get("lead_date")))


@dataclass(frozen=True)
class UnmatchedRow:
    """A person a department's list warned about who is in no household of the ledger (未在台账中的人员)."""

    list_id: int
    department: str
    person_id: str
    name: str | None
    rule_ids: tuple[str, ...]
    facts: tuple[str, ...]
    town: str | None
    place: str
    basis: str
    sheet: str | None
    row: int | None


@dataclass(frozen=True)
class ShareRow:
    """A household with its members, measures and the day it last changed state (the share-back export)."""

    household: HouseholdRow
    members: list[dict[str, Any]]
    measures: list[dict[str, Any]]
    changed: dt.date | None
