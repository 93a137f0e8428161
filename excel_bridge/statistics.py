"""The district's numbers (统计, 总览's charts, 通报, a town's 本镇统计): every count computed here, from one read per
table of the ledger (DOMAIN.md "Numbers the district signs"), so each sheet and workbook shows the same figures.

监测对象 = households the district identified and still monitors (帮扶中, 待镇验收, 待区审批), by their 认定类别;
风险已消除 is counted apart; 线索, 待镇核查, 待区认定 and the 自然减少 chain are 在途, never in the category or risk
counts. 人 = the members of the household as last accepted. Only households on file are counted (a household off
file is shown as 已移出 elsewhere).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .messages import TEXT
from .store import CountedHousehold, CountedMove, CountingOnly, Store
from .workflow import (
    ASSISTING,
    CATEGORIES,
    DISTRICT_CONFIRM,
    ELIMINATED,
    IDENTIFIED,
    LEAD,
    NOT_INCLUDED,
    REMOVED,
    UNDER_WAY,
)

Cell = str | int
TOTAL = "全区"
NO_CHANNEL = "未填写"
NO_RISK = "未标注风险类型"
# the keys of the tables, in the order 统计 and the 通报 show them
MONITORED, ELIMINATED_KEY, UNDER_WAY_KEY, RISK, CHANNEL, LEADS, MONTHLY = (
    "monitored", "eliminated", "under_way", "risk", "channel", "leads", "monthly")
TABLE_KEYS = (MONITORED, ELIMINATED_KEY, UNDER_WAY_KEY, RISK, CHANNEL, LEADS, MONTHLY)


@dataclass(frozen=True)
class StatTable:
    """One table of counts: its title says exactly what it counts; the first cell of a row is its label."""

    key: str
    title: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""

    def row(self, label: str) -> dict[str, Cell]:
        """The row whose label is `label`, by column header (KeyError if none)."""
        for r in self.rows:
            if r[0] == label:
                return dict(zip(self.header, r, strict=True))
        raise KeyError(label)

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "header": list(self.header),
                "rows": [list(r) for r in self.rows], "note": self.note}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> "StatTable":
        return cls(key=doc["key"], title=doc["title"], header=tuple(doc["header"]),
                   rows=tuple(tuple(r) for r in doc["rows"]), note=doc.get("note", ""))


@dataclass(frozen=True)
class Statistics:
    """The tables for the district (scope 全区) or for one town, as of a day."""

    district: str
    scope: str
    as_of: dt.date
    tables: tuple[StatTable, ...]

    def table(self, key: str) -> StatTable:
        return next(t for t in self.tables if t.key == key)

    @property
    def monitored(self) -> tuple[int, int]:
        """监测对象 户, 人 in the scope."""
        r = self.table(MONITORED).row(self._total_label)
        return int(r["合计（户）"]), int(r["合计（人）"])

    @property
    def by_category(self) -> dict[str, int]:
        """监测对象 households by 认定类别 in the scope (what 总览's pie draws)."""
        r = self.table(MONITORED).row(self._total_label)
        return {c: int(r[f"{c}（户）"]) for c in CATEGORIES}

    @property
    def by_risk(self) -> dict[str, int]:
        """监测对象 households in each risk type (a household once in each of its types)."""
        return {str(r[0]): int(r[1]) for r in self.table(RISK).rows[:-1] if r[0] != NO_RISK}

    @property
    def _total_label(self) -> str:
        return TOTAL if self.scope == TOTAL else self.scope


@dataclass(frozen=True)
class Facts:
    """What the numbers are computed from: one read of the households, the members and the events. `places`: the
    (town, village) of every household on file, where `households` holds only those that can count."""

    households: list[CountedHousehold]
    members: dict[int, int]
    moves: list[CountedMove]
    with_measures: set[int] = field(default_factory=set)
    places: set[tuple[str, str]] = field(default_factory=set)


# The households no table and no 考核 count can see: 未纳入 or 已移出 with no lead or identification date and no move
# into a state the month-by-month series counts (_flow). Every count is the same without them (each table filters
# by state, dates or moves); they are most of a district's households, so a reader that needs no list of them
# (the city's roll-up) leaves them in the ledger, and takes their villages from `places`.
COUNTING_ONLY = CountingOnly(idle=(NOT_INCLUDED, REMOVED), moved_to=(LEAD, ASSISTING, ELIMINATED, REMOVED))


def read_facts(store: Store, households: list[CountedHousehold] | None = None, *,
               counting_only: bool = False) -> Facts:
    """The ledger read once per table (never a query per household); `households` when the caller has already
    streamed them (the district's writer, for its alerts); `counting_only`: only the households that can count
    (COUNTING_ONLY) and the villages of all on file — the same numbers and 考核, for a reader with no lists."""
    if counting_only:
        return Facts(households=list(store.views.counted_households(COUNTING_ONLY)),
                     members=store.views.member_counts(COUNTING_ONLY), moves=store.views.counted_moves(COUNTING_ONLY),
                     with_measures=store.views.households_with_measures(), places=store.views.places_on_file())
    return Facts(households=list(store.views.counted_households()) if households is None else households,
                 members=store.views.member_counts(), moves=store.views.counted_moves(),
                 with_measures=store.views.households_with_measures())


def cycle_start(as_of: dt.date) -> dt.date:
    """The monitoring cycle the month-by-month series covers: the calendar year of the day counted for."""
    return dt.date(as_of.year, 1, 1)


def compute(facts: Facts, *, district: str, towns: Sequence[str], risk_types: Sequence[str],
            channels: Sequence[str], as_of: dt.date, town: str | None = None) -> Statistics:
    """Every table for the district, or (town) for that town alone."""
    scope_towns = [town] if town is not None else list(towns)
    label = town if town is not None else TOTAL
    ours = [h for h in facts.households if h.on_file and h.town in scope_towns]
    by_town: dict[str, list[CountedHousehold]] = {t: [] for t in scope_towns}  # each town's, split once
    for h in ours:
        by_town[h.town].append(h)
    people = facts.members
    tables = (
        _monitored(by_town, people, scope_towns, label),
        _eliminated(by_town, people, scope_towns, label),
        _under_way(by_town, people, scope_towns, label),
        _risk(ours, people, risk_types),
        _channel(by_town, scope_towns, channels, label),
        _leads(ours, scope_towns, channels, label, as_of),
        _monthly(facts, {h.id: h for h in facts.households if h.town in scope_towns}, as_of),
    )
    assert tuple(t.key for t in tables) == TABLE_KEYS  # the 通报's hidden numbers are checked against this order
    return Statistics(district=district, scope=label, as_of=as_of, tables=tables)


def statistics_of(store: Store, config: Any, as_of: dt.date, *, town: str | None = None) -> Statistics:
    """The tables from the store and the district's configuration (one read per table)."""
    return compute(read_facts(store), town=town, as_of=as_of, **scope_of(config))


def scope_of(config: Any) -> dict[str, Any]:
    """The district's name, towns, risk types and channels as `compute` takes them."""
    spec = config.schemas.household
    channels = next((c.allowed for c in spec.columns if c.key == "lead_source" and c.allowed), ())
    return {"district": config.settings.district, "towns": list(config.settings.towns),
            "risk_types": list(config.schemas.lists.get("risk_types", ())), "channels": list(channels)}


def _with_total(rows: list[list[Cell]], label: str, scope_rows: int) -> tuple[tuple[Cell, ...], ...]:
    """The rows, and (more than one) a total row named `label` summing every number column."""
    if scope_rows == 1 and rows and rows[0][0] == label:
        return tuple(tuple(r) for r in rows)
    total: list[Cell] = [label, *(sum(int(r[i]) for r in rows) for i in range(1, len(rows[0])))] if rows else [label]
    return (*(tuple(r) for r in rows), tuple(total))


def _hp(households: Iterable[CountedHousehold], people: dict[int, int]) -> tuple[int, int]:
    hs = list(households)
    return len(hs), sum(people.get(h.id, 0) for h in hs)


def _monitored(by_town: dict[str, list[CountedHousehold]], people: dict[int, int], towns: list[str],
               label: str) -> StatTable:
    header = ["镇", *(f"{c}（{u}）" for c in CATEGORIES for u in ("户", "人")), "合计（户）", "合计（人）"]
    rows: list[list[Cell]] = []
    for town in towns:
        mine = [h for h in by_town[town] if h.state in IDENTIFIED]
        row: list[Cell] = [town]
        for category in CATEGORIES:
            row += _hp((h for h in mine if (h.category or CATEGORIES[1]) == category), people)
        row += _hp(mine, people)
        rows.append(row)
    return StatTable(MONITORED, TEXT["stats.title.monitored"], tuple(header), _with_total(rows, label, len(towns)),
                     TEXT["stats.note.monitored"])


def _eliminated(by_town: dict[str, list[CountedHousehold]], people: dict[int, int], towns: list[str],
                label: str) -> StatTable:
    rows: list[list[Cell]] = [[town, *_hp((h for h in by_town[town] if h.state == ELIMINATED), people)]
                              for town in towns]
    return StatTable(ELIMINATED_KEY, TEXT["stats.title.eliminated"], ("镇", "户数", "人数"),
                     _with_total(rows, label, len(towns)))


def _under_way(by_town: dict[str, list[CountedHousehold]], people: dict[int, int], towns: list[str],
               label: str) -> StatTable:
    header = ["镇", *(f"{s}（{u}）" for s in UNDER_WAY for u in ("户", "人")), "合计（户）", "合计（人）"]
    rows: list[list[Cell]] = []
    for town in towns:
        row: list[Cell] = [town]
        here = [h for h in by_town[town] if h.state in UNDER_WAY]
        for state in UNDER_WAY:
            row += _hp((h for h in here if h.state == state), people)
        row += _hp(here, people)
        rows.append(row)
    return StatTable(UNDER_WAY_KEY, TEXT["stats.title.under_way"], tuple(header), _with_total(rows, label, len(towns)),
                     TEXT["stats.note.under_way"])


def _risk(ours: list[CountedHousehold], people: dict[int, int], risk_types: Sequence[str]) -> StatTable:
    monitored = [h for h in ours if h.state in IDENTIFIED]
    known = list(risk_types) + [r for h in monitored for r in h.risk_types if r not in risk_types]
    order = list(dict.fromkeys(known))
    rows: list[list[Cell]] = [[risk, *_hp((h for h in monitored if risk in h.risk_types), people)] for risk in order]
    rows.append([NO_RISK, *_hp((h for h in monitored if not h.risk_types), people)])
    rows.append([TEXT["stats.risk_total"], *_hp(monitored, people)])
    return StatTable(RISK, TEXT["stats.title.risk"], ("风险类型", "户数", "人数"), tuple(tuple(r) for r in rows),
                     TEXT["stats.note.risk"])


def _channel(by_town: dict[str, list[CountedHousehold]], towns: list[str], channels: Sequence[str],
             label: str) -> StatTable:
    counted = (*UNDER_WAY, *IDENTIFIED, ELIMINATED)
    names = [*channels, NO_CHANNEL]
    rows: list[list[Cell]] = []
    for town in towns:
        by = Counter(h.lead_source if h.lead_source in channels else NO_CHANNEL for h in by_town[town]
                     if h.state in counted)
        rows.append([town, *(by.get(c, 0) for c in names), sum(by.values())])
    return StatTable(CHANNEL, TEXT["stats.title.channel"], ("镇", *names, "合计"), _with_total(rows, label, len(towns)),
                     TEXT["stats.note.channel"])


def _leads(ours: list[CountedHousehold], towns: list[str], channels: Sequence[str], label: str,
           as_of: dt.date) -> StatTable:
    """The leads register (plan 四(一)(二)(四)): households that became leads this cycle, by the day their channel
    received them (受理日期, from which the 15-day clock runs), by town and channel, whatever became of them since."""
    start = cycle_start(as_of)
    received = [h for h in ours if h.lead_date is not None and start <= h.lead_date <= as_of]
    names = [*channels, NO_CHANNEL]
    rows: list[list[Cell]] = []
    for town in towns:
        by = Counter(h.lead_source if h.lead_source in channels else NO_CHANNEL for h in received if h.town == town)
        rows.append([town, *(by.get(c, 0) for c in names), sum(by.values())])
    return StatTable(LEADS, TEXT["stats.title.leads"].format(start=start, end=as_of), ("镇", *names, "合计"),
                     _with_total(rows, label, len(towns)), TEXT["stats.note.leads"])


def _months(as_of: dt.date) -> list[tuple[int, int]]:
    start = cycle_start(as_of)
    return [(start.year, m) for m in range(start.month, as_of.month + 1)] if start.year == as_of.year else []


def month_flows(moves: Iterable[CountedMove], households: dict[int, CountedHousehold]) -> dict[tuple[int, int], Counter]:
    """(year, month) → counts of 收到线索, 认定纳入, 风险消除, 自然减少 by the day each counts for. An imported
    household (a village file's with its national 户编号, or the national export's: event `imported`) counts as
    identified in the month of its 识别纳入日期."""
    flows: dict[tuple[int, int], Counter] = {}
    for m in moves:
        h = households.get(m.household_id)
        if h is None:
            continue
        what = _flow(m, h)
        when = h.identified_date if (what == "认定纳入" and m.event in ("created", "imported")) else m.effective_date
        if what is None or when is None:
            continue
        flows.setdefault((when.year, when.month), Counter())[what] += 1
    return flows


FLOWS = ("收到线索", "认定纳入", "风险消除", "自然减少")


def _flow(m: CountedMove, h: CountedHousehold) -> str | None:
    if m.to_state == LEAD and (m.event == "created" or m.from_state in (NOT_INCLUDED, ELIMINATED)):
        return "收到线索"
    if m.to_state == ASSISTING and (m.from_state == DISTRICT_CONFIRM or m.event in ("created", "imported")):
        return "认定纳入"
    if m.to_state == ELIMINATED and m.event == "transition":
        return "风险消除"
    if m.to_state == REMOVED and m.event == "transition":
        return "自然减少"
    return None


def _monthly(facts: Facts, households: dict[int, CountedHousehold], as_of: dt.date) -> StatTable:
    flows = month_flows(facts.moves, households)
    rows: list[list[Cell]] = [[TEXT["stats.month"].format(year=y, month=m), *(flows.get((y, m), Counter())[f]
                                                                            for f in FLOWS)] for y, m in _months(as_of)]
    total: list[Cell] = [TEXT["stats.cycle_total"], *(sum(int(r[i]) for r in rows) for i in range(1, len(FLOWS) + 1))]
    start = cycle_start(as_of)
    return StatTable(MONTHLY, TEXT["stats.title.monthly"].format(start=start, end=as_of), ("月份", *FLOWS),
                     (*(tuple(r) for r in rows), tuple(total)), TEXT["stats.note.monthly"])
