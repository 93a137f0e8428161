"""考核 by town (plan 七(三); DOMAIN.md "Numbers the district signs"): what each town must still do — leads not
identified within the deadline (and, for the record, identifications this cycle that took longer), department warnings unverified past theirs, villages with no file in the current
cycle, 帮扶中 households without 监测联系人 or without a measure, district decisions not entered into the provincial
system N days after (未录入省系统超过N天) — each a count and a list, from the same facts as the district's numbers
(statistics.Facts: one read per table)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .messages import TEXT
from .provincial.entries import due, matter
from .statistics import TOTAL, Facts, StatTable, cycle_start, read_facts, scope_of
from .store import EntryDue, Store, WarningRow
from .workflow import ASSISTING, DISTRICT_CONFIRM, LEAD, TOWN_CHECK

KAOHE = "kaohe"
OVERDUE, LATE, WARNINGS, NO_FILE, NO_CONTACT, NO_MEASURE = (
    "识别超期", "本周期认定超期", "部门预警逾期未核实", "本周期未报台账的村", "帮扶中无监测联系人", "帮扶中无帮扶措施")
NOT_ENTERED = "未录入省系统"  # its header names the days: not_entered_kind()
KINDS = (OVERDUE, LATE, WARNINGS, NO_FILE, NO_CONTACT, NO_MEASURE, NOT_ENTERED)


def not_entered_kind(days: int) -> str:
    """The 考核 column (and list entry) of the decisions not entered into the provincial system after `days`."""
    return TEXT["checks.not_entered_kind"].format(days=days)


@dataclass(frozen=True)
class CheckItem:
    """One entry of a town's 考核 list: a household (or, for a village with no file, the village)."""

    kind: str
    town: str
    village: str
    household_no: str | None
    head_name: str | None
    detail: str


@dataclass(frozen=True)
class TownChecks:
    """The 考核 counts (by town × kind) and the lists behind them."""

    table: StatTable
    items: tuple[CheckItem, ...]

    def of(self, town: str) -> list[CheckItem]:
        return [i for i in self.items if i.town == town]

    def for_town(self, town: str) -> "TownChecks":
        """One town's row of the counts and its own list."""
        rows = tuple(r for r in self.table.rows if r[0] == town)
        return TownChecks(table=dataclasses.replace(self.table, rows=rows), items=tuple(self.of(town)))


@dataclass(frozen=True)
class CheckFacts:
    """What 考核 reads beyond the households: open department warnings past their deadline, and the villages with
    a file applied in the current cycle."""

    overdue_warnings: list[WarningRow]
    villages_with_file: set[tuple[str, str]]
    not_entered: list[EntryDue] = dataclasses.field(default_factory=list)  # decisions not yet entered (省系统)


def read_check_facts(store: Store, as_of: dt.date) -> CheckFacts:
    return CheckFacts(overdue_warnings=store.departments.overdue(as_of),
                      villages_with_file=store.views.village_files_since(cycle_start(as_of)),
                      not_entered=due(store))


def town_checks(facts: Facts, extra: CheckFacts, *, towns: Sequence[str], registered: dict[str, list[str]],
                as_of: dt.date, limit_days: int, entry_days: int = 10, town: str | None = None) -> TownChecks:
    """Every town's (or one town's) 考核 counts and list."""
    scope = [town] if town is not None else list(towns)
    late_entry = not_entered_kind(entry_days)
    kinds = tuple(late_entry if k == NOT_ENTERED else k for k in KINDS)
    items: list[CheckItem] = []
    on_file = [h for h in facts.households if h.on_file and h.town in scope]
    for h in on_file:
        if h.state in (LEAD, TOWN_CHECK, DISTRICT_CONFIRM) and h.lead_date is not None:
            days = (as_of - h.lead_date).days
            if days > limit_days:
                items.append(CheckItem(OVERDUE, h.town, h.village, h.household_no, h.head_name, TEXT[
                    "checks.overdue"].format(lead_date=h.lead_date, days=days, limit=limit_days, state=h.state)))
        if (h.identified_date is not None and h.lead_date is not None and h.identified_date >= cycle_start(as_of)
                and (h.identified_date - h.lead_date).days > limit_days):
            items.append(CheckItem(LATE, h.town, h.village, h.household_no, h.head_name, TEXT["checks.late"].format(
                lead_date=h.lead_date, identified_date=h.identified_date,
                days=(h.identified_date - h.lead_date).days, limit=limit_days)))
        if h.state == ASSISTING:
            if not h.contact_person:
                items.append(CheckItem(NO_CONTACT, h.town, h.village, h.household_no, h.head_name,
                                       TEXT["checks.no_contact"]))
            if h.id not in facts.with_measures:
                items.append(CheckItem(NO_MEASURE, h.town, h.village, h.household_no, h.head_name,
                                       TEXT["checks.no_measure"]))
    for w in extra.overdue_warnings:
        if w.town in scope:
            items.append(CheckItem(WARNINGS, w.town, w.village, w.household_no, w.name, TEXT["checks.warning"].format(
                department=w.department, fact=w.fact, deadline=w.deadline)))
    for e in extra.not_entered:
        days = (as_of - e.decided_on).days
        if e.town in scope and days > entry_days:
            items.append(CheckItem(late_entry, e.town, e.village, e.household_no, e.head_name,
                                   TEXT["checks.not_entered"].format(matter=matter(e), date=e.decided_on, days=days,
                                                                     limit=entry_days)))
    for t in scope:
        villages = set(registered.get(t, ())) | {h.village for h in on_file if h.town == t} | {
            v for tt, v in facts.places if tt == t}
        for village in sorted(villages):
            if (t, village) not in extra.villages_with_file:
                items.append(CheckItem(NO_FILE, t, village, None, None,
                                       TEXT["checks.no_file"].format(since=cycle_start(as_of))))
    order = {k: i for i, k in enumerate(kinds)}
    items.sort(key=lambda i: (scope.index(i.town), order[i.kind], i.village, i.household_no or ""))
    counts = Counter((i.town, i.kind) for i in items)
    rows: list[tuple[str | int, ...]] = [(t, *(counts[(t, k)] for k in kinds), sum(counts[(t, k)] for k in kinds))
                                         for t in scope]
    if town is None:
        rows.append((TOTAL, *(sum(int(r[i]) for r in rows) for i in range(1, len(kinds) + 2))))
    table = StatTable(KAOHE, TEXT["checks.title"].format(as_of=as_of, limit=limit_days, entry_days=entry_days),
                      ("镇", *kinds, "合计"),
                      tuple(rows), TEXT["checks.note"])
    return TownChecks(table=table, items=tuple(items))


def check_scope(config: Any) -> dict[str, Any]:
    """The towns, their registered villages and the identification deadline as `town_checks` takes them."""
    return {"towns": list(config.settings.towns), "registered": dict(config.settings.towns),
            "limit_days": config.rules.workflow.identification_deadline_days,
            "entry_days": config.rules.workflow.provincial_entry_days}


COUNTING_SCOPE = "counting_scope"  # meta key: what the district counts by, kept by each pass for the city's roll-up


def counting_scope(config: Any) -> dict[str, Any]:
    """Everything the district's numbers and 考核 are counted by (its name, towns and their villages, risk types,
    channels, the identification deadline): kept in the ledger so the city counts a ledger as its district does."""
    return {**scope_of(config), **check_scope(config)}


def keep_counting_scope(store: Store, config: Any) -> None:
    """Inside the caller's atomic(): the scope as the district's configuration says today."""
    store.meta.set(COUNTING_SCOPE, json.dumps(counting_scope(config), ensure_ascii=False, sort_keys=True))


def kept_counting_scope(store: Store) -> dict[str, Any] | None:
    """The scope the district's last pass or report counted by (None: the ledger has none yet)."""
    text = store.meta.get(COUNTING_SCOPE)
    return json.loads(text) if text else None


def checks_of(store: Store, config: Any, as_of: dt.date, *, town: str | None = None) -> TownChecks:
    """考核 read from the store (for a caller the pipeline hands none)."""
    return town_checks(read_facts(store), read_check_facts(store, as_of), as_of=as_of, town=town,
                       **check_scope(config))
