"""evaluate: a department list joined with the ledger's people (pandas) → warnings routed to the towns of
the matched households, and the people a rule would warn about who are in no household on file
(未在台账中的人员), placed as well as an ID and the list allow. Rules are evaluated a column at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt
import string
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..messages import TEXT
from .config import BenefitRule, Department, DepartmentsConfig, DisabilityRule, ListedRule, ThresholdRule, ValuesRule
from .model import Counts, DepartmentList, DepartmentWarning, Evaluation, Unmatched, ledger_frame

FACT_JOIN = "；"
DISTRICT_WORD = "本区"  # an address_codes value meaning “this district, town unknown”


@dataclass(frozen=True)
class Area:
    """What the district knows about places: its address code, its towns, and extra codes (older county codes
    that are also this district, or a code that stands for one town)."""

    district_code: str
    towns: tuple[str, ...] = ()
    address_codes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, settings, config: DepartmentsConfig) -> "Area":  # settings: DistrictSettings
        return cls(settings.district_code, tuple(settings.towns), dict(config.address_codes))

    def canonical_town(self, text: object) -> str | None:
        """The district's town a list's town or address cell names: 马坝镇, 马坝, 马坝镇人民政府, or an address
        (参保地 曲江区马坝镇, 家庭住址 广东省韶关市曲江区马坝镇某村) naming exactly one of the towns."""
        if not isinstance(text, str) or not text:
            return None
        for candidate in (text, text + "镇", text.removesuffix("人民政府")):
            if candidate in self.towns:
                return candidate
        named = {t for t in self.towns if t in text}
        named = {t for t in named if not any(t != o and t in o for o in named)}  # 马坝镇 inside 新马坝镇: the longer
        return named.pop() if len(named) == 1 else None


def evaluate(dlist: DepartmentList, ledger_people: pd.DataFrame, *, received: dt.date, area: Area) -> Evaluation:
    """Every rule of the list's department on every row with a valid ID. A person in two households of the
    ledger (an error the village files report) gets a warning in each; several rows of one person firing one
    rule give one warning (the largest amount)."""
    dept = dlist.department
    rows = dlist.rows[dlist.rows["person_id"].notna()] if len(dlist.rows) else dlist.rows
    ledger = ledger_frame(ledger_people)
    on_file = ledger[ledger["on_file"]].drop(columns="on_file")
    joined = rows.merge(on_file, on="person_id", how="left", suffixes=("", "_ledger"), indicator=True)
    matched = (joined["_merge"] == "both").to_numpy()
    deadline = received + dt.timedelta(days=dept.verify_days or 15)
    warnings: list[DepartmentWarning] = []
    flagged: dict[str, list[tuple[str, str, int]]] = {}  # person → [(rule id, fact, position)] not on file
    for rule in dept.rules:
        fires = _fires(rule, joined, received)
        order = _strongest_first(rule, joined, fires)
        # one warning per person and household for each rule: a threshold keeps its largest amount; other rules
        # join what each row says (低保 and 特困 granted to one person are one D-MZ-GRANTED warning)
        index: dict[tuple[object, ...], int] = {}
        for i, record in zip(order, joined.iloc[order].to_dict("records"), strict=True):
            fact = sentence(rule, dept, record)
            if not matched[i]:
                hits = flagged.setdefault(record["person_id"], [])
                if not any(r == rule.id for r, _, _ in hits):
                    hits.append((rule.id, fact, i))
                continue
            key = (record["person_id"], record["household"])
            if key in index:
                earlier = warnings[index[key]]
                if not isinstance(rule, ThresholdRule) and fact not in earlier.fact.split(FACT_JOIN):
                    warnings[index[key]] = dataclasses.replace(earlier, fact=earlier.fact + FACT_JOIN + fact)
                continue
            index[key] = len(warnings)
            warnings.append(DepartmentWarning(
                department=dept.name, rule_id=rule.id, person_id=record["person_id"], name=_text(record["name"]),
                risk_type=rule.risk_type, guarantee=rule.guarantee, fact=fact, household=record["household"],
                town=record["town_ledger"], village=record["village"], received=received, deadline=deadline,
                sheet=_text(record["sheet"]) or None, row=int(record["row"]), lead_source=rule.lead_source,
                lead_date=_day(record.get(rule.lead_date_fact)) if rule.lead_date_fact else None))
    unmatched = _unmatched(dept, joined, flagged, ledger[~ledger["on_file"]], area)
    people = rows["person_id"].nunique() if len(rows) else 0
    matched_people = joined.loc[matched, "person_id"].nunique() if len(joined) else 0
    counts = Counts(rows=len(dlist.rows), invalid=int(dlist.rows["person_id"].isna().sum()) if len(dlist.rows) else 0,
                    people=people, matched=matched_people, warnings=len(warnings), unmatched=len(unmatched))
    return Evaluation(department=dept.name, warnings=tuple(warnings), unmatched=tuple(unmatched), counts=counts,
                      by_town=_by_town(joined[matched], warnings, area))


def _fires(rule, joined: pd.DataFrame, received: dt.date) -> np.ndarray:
    """Where the rule holds, as a boolean array over the joined rows (a missing fact never fires)."""
    n = len(joined)
    if n == 0:
        return np.zeros(0, dtype=bool)
    household_type = joined["household_type"]
    mask = np.ones(n, dtype=bool)
    if rule.only_household_types:
        mask &= household_type.isin(rule.only_household_types).to_numpy()
    if rule.except_household_types:
        mask &= ~household_type.isin(rule.except_household_types).to_numpy()
    day = pd.Timestamp(received)
    if isinstance(rule, ThresholdRule):
        mask &= (_col(joined, rule.fact) >= rule.at_least).fillna(False).to_numpy(dtype=bool)
    elif isinstance(rule, ValuesRule):
        mask &= _col(joined, rule.fact).isin(rule.values).to_numpy()
        if rule.date_fact and rule.within_days is not None:  # (config: both or neither)
            when = _col(joined, rule.date_fact)  # no date: the department gives no reason to think it old
            mask &= (when.isna() | (when > day - pd.Timedelta(days=rule.within_days))).to_numpy()
    elif isinstance(rule, DisabilityRule):
        kind, grade = _col(joined, rule.type_fact), _col(joined, rule.grade_fact)
        qualifies = grade.isin(rule.severe_grades) | (kind.isin(rule.mild_types) & grade.isin(rule.mild_grades))
        on_ledger = (joined["disability_grade"] == grade) & ((joined["disability_type"] == kind)
                                                              | (joined["disability_type"] == "多重"))
        mask &= (qualifies & ~on_ledger.fillna(False)).to_numpy(dtype=bool)
    elif isinstance(rule, BenefitRule):
        category = _col(joined, rule.category_fact)
        recorded = pd.Series(False, index=joined.index)
        for value, flag in rule.ledger_flags.items():
            recorded |= (category == value) & joined[flag].map(_yes)
        stopped = pd.Series(False, index=joined.index)
        if rule.status_fact:
            stopped |= _col(joined, rule.status_fact).isin(rule.stopped_values)
        if rule.end_fact:
            stopped |= (_col(joined, rule.end_fact) <= day).fillna(False)
        in_scope = category.isin(list(rule.ledger_flags))
        holds = (in_scope & ~stopped & ~recorded) if rule.kind == "benefit_granted" else (in_scope & stopped & recorded)
        mask &= holds.to_numpy(dtype=bool)
    elif not isinstance(rule, ListedRule):
        raise TypeError(rule)
    return mask


def _col(joined: pd.DataFrame, fact: str) -> pd.Series:
    """A fact's column; an absent optional fact is an empty column (never fires, never appears)."""
    return joined[fact] if fact in joined.columns else pd.Series(np.nan, index=joined.index, dtype=object)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _day(value: object) -> dt.date | None:
    """A date fact of a row (a Timestamp, or nothing)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    try:
        return pd.Timestamp(value).date()  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _yes(value: object) -> bool:
    return value is True or value in ("是", 1, "1")


def _strongest_first(rule, joined: pd.DataFrame, fires: np.ndarray) -> list[int]:
    positions = np.flatnonzero(fires)
    if isinstance(rule, ThresholdRule) and len(positions):
        values = joined[rule.fact].to_numpy(dtype=float)[positions]
        positions = positions[np.argsort(-values, kind="stable")]
    return positions.tolist()


def sentence(rule, dept: Department, record: Mapping[Hashable, object]) -> str:
    """The fact as the town reads it: the first template whose fields the row has, e.g.
    “2021年合规自付医疗费用 23,400 元”."""
    values = {key: shown(dept.facts[key].type, record.get(key)) for key in dept.facts}
    values["部门"] = dept.name
    if isinstance(rule, ThresholdRule):
        values["阈值"] = shown("money", rule.at_least)
    for template in rule.sentence:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        if all(values.get(f) for f in fields):
            return template.format_map(values)
    return string.Formatter().vformat(rule.sentence[-1], (), _Blank(values))


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def shown(kind: str, value: object) -> str:
    """A fact value in a sentence: 23,400 / 23,400.50 元, 2021, 2021-10-08, the choice's canonical text."""
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if kind in ("money", "number"):
        number = float(value)  # type: ignore[arg-type]
        if number.is_integer():
            return f"{int(number):,}"
        return f"{number:,.2f}" if kind == "money" else f"{number:,.2f}".rstrip("0").rstrip(".")
    if kind == "year":
        return str(int(float(value)))  # type: ignore[arg-type]
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()  # type: ignore[arg-type]
    return str(value)


def _unmatched(dept: Department, joined: pd.DataFrame, flagged: dict[str, list[tuple[str, str, int]]],
               removed: pd.DataFrame, area: Area) -> list[Unmatched]:
    last_seen = removed.drop_duplicates("person_id").set_index("person_id") if len(removed) else None
    out = []
    for person, hits in flagged.items():
        first = joined.iloc[hits[0][2]]
        town, place, basis = _place(person, first["town"], last_seen, area)
        out.append(Unmatched(department=dept.name, person_id=person, name=_text(first["name"]),
                             rule_ids=tuple(r for r, _, _ in hits), facts=tuple(dict.fromkeys(f for _, f, _ in hits)),
                             town=town, place=place, basis=basis, sheet=_text(first["sheet"]) or None, row=int(first["row"])))
    return out


def _place(person: str, list_town: object, last_seen: pd.DataFrame | None,
           area: Area) -> tuple[str | None, str, str]:
    """(town or None, what the district reads, basis): the list's own town column first, then a household the
    ledger once had the person in, then the ID's address code (county level: a town only if configured)."""
    town = area.canonical_town(list_town)
    if town:
        return town, TEXT["dept.place_list"].format(town=town), "list"
    if last_seen is not None and person in last_seen.index:
        row = last_seen.loc[person]
        return str(row["town"]), TEXT["dept.place_removed"].format(town=row["town"], village=row["village"]), \
            "removed_household"
    code = person[:6]
    mapped = area.address_codes.get(code)
    if mapped and mapped != DISTRICT_WORD:
        return mapped, TEXT["dept.place_code"].format(town=mapped, code=code), "address_code"
    if code == area.district_code or mapped == DISTRICT_WORD:
        return None, TEXT["dept.place_district"].format(code=code), "district"
    return None, TEXT["dept.place_outside"].format(code=code), "outside"


def _by_town(matched: pd.DataFrame, warnings: list[DepartmentWarning], area: Area) -> pd.DataFrame:
    people = matched.groupby("town_ledger")["person_id"].nunique() if len(matched) else pd.Series(dtype="int64")
    counted = pd.Series([w.town for w in warnings], dtype=object).value_counts()
    towns = list(dict.fromkeys([*area.towns, *people.index, *counted.index]))
    return pd.DataFrame({"town": towns,
                         "matched": [int(people.get(t, 0)) for t in towns],
                         "warnings": [int(counted.get(t, 0)) for t in towns]})
