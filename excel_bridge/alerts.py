"""预警: overdue identification, households due a follow-up visit (定期信息采集), scale warnings (规模性返贫, plan 六(四)), sharp drops to verify, monitored
households their village's new file left out, leads the rules do not propose but may not dismiss, people in
two villages, department warnings past their verification deadline, and households ready for risk
elimination — computed from the ledger for the town workbooks and the master."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from .config import Config
from .follow_up import follow_up_due
from .messages import TEXT, show
from .rules import ELIMINATION_ELIGIBLE, Assessor
from .store import HouseholdRow, Store
from .stored import household_from_ledger
from .workflow import (
    ABSENT_SINCE,
    ASSISTING,
    DISTRICT_CONFIRM,
    ELIMINATED,
    LEAD,
    MONITORED,
    NOT_INCLUDED,
    NOT_PROPOSED,
    TOWN_CHECK,
)


@dataclass(frozen=True)
class Alert:
    kind: str
    town: str
    village: str
    message: str
    household_no: str = ""
    head_name: str = ""


class HouseholdAlerts:
    """The alerts read off the households, fed one household at a time (a district's households are streamed,
    never all held): 识别超期, 规模性返贫 and the sharp drops to verify."""

    def __init__(self, store: Store, config: Config, as_of: dt.date) -> None:
        self.as_of = as_of
        self.limit = config.rules.workflow.identification_deadline_days
        self.follow_up_months = config.rules.workflow.follow_up_months
        self.follow_ups: list[Alert] = []
        self.params = config.rules.rules.scale
        since = as_of - dt.timedelta(days=self.params.period_days)
        self.baseline = store.events.village_first_files()
        self.found = store.events.found_since(since, lead=LEAD, before=(NOT_INCLUDED, ELIMINATED))
        self.overdue: list[Alert] = []
        self.drops: list[Alert] = []
        self.absent: list[Alert] = []
        self.not_proposed: list[Alert] = []
        self.on_file: Counter[tuple[str, str]] = Counter()
        self.new: Counter[tuple[str, str]] = Counter()
        self.risks: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)

    def see(self, r: HouseholdRow) -> None:
        if not r.on_file:
            return
        self._overdue(r)
        self._follow_up(r)
        self._count(r)
        self._drop(r)
        self._absent(r)
        self._not_proposed(r)

    def alerts(self) -> list[Alert]:
        return [*self.absent, *self.overdue, *self.follow_ups, *self._scale(), *self.drops, *self.not_proposed]

    def _follow_up(self, r: HouseholdRow) -> None:
        """定期信息采集 (plan 五(二)): a 帮扶中 household whose row has not changed, and who was not visited, for the
        district's number of months."""
        due = follow_up_due(r.state, r.data, identified=r.identified_date, fallback=r.updated_at.date(),
                            as_of=self.as_of, months=self.follow_up_months)
        if due is None:
            return
        changed, visit = due
        self.follow_ups.append(Alert(TEXT["alert.kind.follow_up"], r.town, r.village, TEXT["alert.follow_up"].format(
            changed=changed.isoformat(), visit=visit.isoformat() if visit else TEXT["alert.follow_up_no_visit"],
            months=self.follow_up_months), r.household_no or "", r.head_name or ""))

    def _absent(self, r: HouseholdRow) -> None:
        """A monitored household the village's latest file left out: it stays monitored until 自然减少 is decided."""
        since = r.data.get(ABSENT_SINCE)
        if since and r.state in MONITORED:
            self.absent.append(Alert(TEXT["alert.kind.absent"], r.town, r.village,
                                     TEXT["alert.absent"].format(since=since, state=r.state),
                                     r.household_no or "", r.head_name or ""))

    def _not_proposed(self, r: HouseholdRow) -> None:
        """A lead from 自主申报, 部门 or 信访 the rules do not propose (marked 研判不建议纳入 in its 审核意见): kept
        for the village's 评议 and the town."""
        if r.state != LEAD or r.assessment.get("proposed") is not False \
                or not r.opinion.startswith(NOT_PROPOSED):
            return
        self.not_proposed.append(Alert(TEXT["alert.kind.not_proposed"], r.town, r.village,
                                       TEXT["alert.not_proposed"].format(detail=r.opinion),
                                       r.household_no or "", r.head_name or ""))

    def _overdue(self, r: HouseholdRow) -> None:
        """A lead not identified within the plan's days (plan 五(一))."""
        if r.state in (LEAD, TOWN_CHECK, DISTRICT_CONFIRM) and r.lead_date:
            days = (self.as_of - r.lead_date).days
            if days > self.limit:
                self.overdue.append(Alert("识别超期", r.town, r.village, TEXT["alert.overdue"].format(
                    lead_date=r.lead_date.isoformat(), days=days, limit=self.limit, state=r.state),
                    r.household_no or "", r.head_name or ""))

    def _count(self, r: HouseholdRow) -> None:
        key = (r.town, r.village)
        self.on_file[key] += 1
        if r.state in MONITORED and r.id in self.found and self.found[r.id] != self.baseline.get(key):
            self.new[key] += 1
        if r.state in MONITORED:
            for risk in r.assessment.get("risk_types", []):
                if risk in self.params.risk_types_watched:
                    self.risks[key][risk] += 1

    def _scale(self) -> list[Alert]:
        """规模性返贫 (plan 六(四)): per village and per town, households newly found in the period above a share
        of its own households and at least a minimum count; or one watched risk type in ≥ N monitored
        households of a village. A village's first file is its baseline: what it already lists is not newly
        found."""
        share, minimum, period = self.params.new_share, self.params.min_households, self.params.period_days

        def surge(n: int, total: int) -> bool:
            return n >= minimum and total > 0 and Decimal(n) / total > share

        out = []
        for key, n in sorted(self.new.items()):
            if surge(n, self.on_file[key]):
                out.append(Alert("规模性返贫风险", key[0], key[1], TEXT["alert.scale_new_village"].format(
                    period=period, n=n, total=self.on_file[key], ratio=n / self.on_file[key], share=share,
                    minimum=minimum)))
        towns_new: Counter[str] = Counter()
        towns_all: Counter[str] = Counter()
        for (town, _), n in self.new.items():
            towns_new[town] += n
        for (town, _), n in self.on_file.items():
            towns_all[town] += n
        for town, n in sorted(towns_new.items()):
            if surge(n, towns_all[town]):
                out.append(Alert("规模性返贫风险", town, TEXT["alert.whole_town"], TEXT["alert.scale_new_town"].format(
                    period=period, n=n, total=towns_all[town], ratio=n / towns_all[town], share=share,
                    minimum=minimum)))
        for key, counter in sorted(self.risks.items()):
            for risk, n in sorted(counter.items()):
                if n >= self.params.risk_type_households:
                    out.append(Alert("规模性返贫风险", key[0], key[1], TEXT["alert.scale_risk"].format(
                        risk=risk, n=n, per_type=self.params.risk_type_households)))
        return out

    def _drop(self, r: HouseholdRow) -> None:
        """R-DROP without R-INCOME (plan 二, 三): a sharp fall that leaves the household above the range is a
        warning to verify in 预警, not a proposal."""
        results = r.assessment.get("results", {})
        if not (results.get("R-DROP") is True and results.get("R-INCOME") is False):
            return
        prev, now = r.data.get("prev_per_capita_income"), r.data.get("_per_capita_income")
        if not prev or now is None:
            return
        self.drops.append(Alert(TEXT["alert.kind.drop_verify"], r.town, r.village,
                                TEXT["alert.drop_verify"].format(now=show(now), prev=show(prev),
                                                                 ratio=f"{(prev - now) / prev:.2%}"),
                                r.household_no or "", r.head_name or ""))


def conflicts(store: Store, town: str | None = None) -> list[Alert]:
    out = []
    seen = set()
    for c in store.views.person_conflicts(town=town):
        key = (c.person_id, c.town, c.village)
        if key in seen:
            continue
        seen.add(key)
        out.append(Alert("跨村重复登记", c.town, c.village,
                         TEXT["alert.conflict"].format(name=c.name or "", tail=c.person_id[-4:],
                                                       other_town=c.other_town, other_village=c.other_village)))
    return out


@dataclass(frozen=True)
class Elimination:
    row: HouseholdRow
    verdict: str  # rules.ELIGIBLE / CONTINUE / HOLD / UNKNOWN
    reason: str

    @property
    def eligible(self) -> bool | None:
        return ELIMINATION_ELIGIBLE[self.verdict]


def elimination_candidates(store: Store, config: Config, rows: list[HouseholdRow], as_of: dt.date) -> list[Elimination]:
    """Every 帮扶中 household evaluated for risk elimination (plan 五(二)): eligible, not yet, or 暂不标注."""
    assessor = Assessor(config)
    out = []
    rows = [r for r in rows if r.state == ASSISTING and r.on_file]
    children = store.households.children(r.id for r in rows)
    for r in rows:
        hh = household_from_ledger(store, r, children[r.id])
        verdict, reason = assessor.elimination_verdict(hh, identified=r.identified_date, as_of=as_of)
        out.append(Elimination(r, verdict, reason))
    return out


def department_overdue(store: Store, as_of: dt.date, *, town: str | None = None) -> list[Alert]:
    """Department warnings (部门预警) still unverified after their deadline (plan 四(三): 及时核实)."""
    out = []
    for w in store.departments.overdue(as_of, town=town):
        out.append(Alert(TEXT["alert.kind.dept_overdue"], w.town, w.village,
                         TEXT["alert.dept_overdue"].format(department=w.department, name=w.name or "", fact=w.fact,
                                                           received=w.received_date.isoformat(),
                                                           deadline=w.deadline.isoformat(),
                                                           days=(as_of - w.deadline).days),
                         w.household_no or "", w.head_name or ""))
    return out


def all_alerts(store: Store, config: Config, as_of: dt.date, *, town: str | None = None,
               rows: Iterable[HouseholdRow] | None = None) -> list[Alert]:
    """Every 预警 of the district (or a town); `rows`: its households, when the caller reads them anyway
    (read once, in order; by default streamed from the ledger)."""
    households = HouseholdAlerts(store, config, as_of)
    for r in store.households.each(town=town) if rows is None else rows:
        households.see(r)
    return [*households.alerts(), *conflicts(store, town), *department_overdue(store, as_of, town=town)]
