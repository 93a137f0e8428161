"""预警: overdue identification, scale warnings (规模性返贫, plan 六(四)), people in two villages, and
households ready for risk elimination — computed from the ledger for the town workbooks and the master."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass

from .config import Config
from .messages import TEXT
from .store import HouseholdRow, Store
from .stored import household_from_ledger
from .rules import ELIMINATION_ELIGIBLE, Assessor
from .workflow import ASSISTING, DISTRICT_CONFIRM, LEAD, MONITORED, TOWN_CHECK


@dataclass(frozen=True)
class Alert:
    kind: str
    town: str
    village: str
    message: str
    household_no: str = ""
    head_name: str = ""


def overdue(rows: list[HouseholdRow], config: Config, as_of: dt.date) -> list[Alert]:
    limit = config.rules.workflow.identification_deadline_days
    out = []
    for r in rows:
        if r.on_file and r.state in (LEAD, TOWN_CHECK, DISTRICT_CONFIRM) and r.lead_date:
            days = (as_of - r.lead_date).days
            if days > limit:
                out.append(Alert("识别超期", r.town, r.village,
                                 TEXT["alert.overdue"].format(lead_date=r.lead_date.isoformat(), days=days, limit=limit,
                                                              state=r.state),
                                 r.household_no or "", r.head_name or ""))
    return out


def scale(rows: list[HouseholdRow], config: Config, as_of: dt.date) -> list[Alert]:
    params = config.rules.rule("SCALE")
    share = float(params.param("new_share"))
    per_type = int(params.param("risk_type_households"))
    watched = set(params.param("risk_types_watched"))
    period = int((params.model_extra or {}).get("period_days", 30))
    since = as_of - dt.timedelta(days=period)
    on_file: Counter[tuple[str, str]] = Counter()
    new: Counter[tuple[str, str]] = Counter()
    risks: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for r in rows:
        if not r.on_file:
            continue
        key = (r.town, r.village)
        on_file[key] += 1
        if r.lead_date and r.lead_date >= since and r.state in MONITORED:
            new[key] += 1
        if r.state in MONITORED:
            for risk in r.assessment.get("risk_types", []):
                if risk in watched:
                    risks[key][risk] += 1
    out = []
    for key, n in sorted(new.items()):
        if on_file[key] and n / on_file[key] > share:
            out.append(Alert("规模性返贫风险", key[0], key[1],
                             TEXT["alert.scale_village"].format(period=period, n=n, total=on_file[key],
                                                                ratio=n / on_file[key], share=share)))
    towns_new: Counter[str] = Counter()
    towns_all: Counter[str] = Counter()
    for (town, _), n in new.items():
        towns_new[town] += n
    for (town, _), n in on_file.items():
        towns_all[town] += n
    for town, n in sorted(towns_new.items()):
        if towns_all[town] and n / towns_all[town] > share:
            out.append(Alert("规模性返贫风险", town, TEXT["alert.whole_town"],
                             TEXT["alert.scale_town"].format(period=period, n=n, total=towns_all[town],
                                                             ratio=n / towns_all[town], share=share)))
    for key, counter in sorted(risks.items()):
        for risk, n in sorted(counter.items()):
            if n >= per_type:
                out.append(Alert("规模性返贫风险", key[0], key[1],
                                 TEXT["alert.scale_risk"].format(risk=risk, n=n, per_type=per_type)))
    return out


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
    for r in rows:
        if r.state != ASSISTING or not r.on_file:
            continue
        hh = household_from_ledger(store, r)
        verdict, reason = assessor.elimination_verdict(hh, identified=r.identified_date, as_of=as_of)
        out.append(Elimination(r, verdict, reason))
    return out


def all_alerts(store: Store, config: Config, as_of: dt.date, *, town: str | None = None) -> list[Alert]:
    rows = store.households.list(town=town)
    return [*overdue(rows, config, as_of), *scale(rows, config, as_of), *conflicts(store, town)]
