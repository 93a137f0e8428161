"""`excel-bridge export 省系统 [--town T] [--since D]`, and the same after each pass that adds any: per town, the
households the district newly identified (新认定), whose risk it eliminated (风险消除), or whose data changed since
the town's last export (信息变更), one row per person in the national system's column layout (rules/import.yaml read
the other way: national_mapping.national_headers / national_row) — what the town copies into the provincial
system (DOMAIN.md "The provincial system").

The town's last export is the ledger's meta entry `provincial_export:<镇>`: when it was made, each household's
latest district decision it carried (a decision recorded while it was being made is in the next one: ids, not
times, say what was exported), and a digest of each identified household's rows (信息变更 is a household whose
rows differ from it; its 户编号 aside, which the town's own 省系统录入 answer changes). With each digest goes a
fingerprint of what its rows were made from (the household's values, members and measures as the mapping takes
them, the mapping rules, the mapping's code): a household whose fingerprint is unchanged keeps its digest without
its rows being made again — every district job looks at every identified household, and making their rows was
most of its export's time (0.25 s of CPU for 487 households, 2–3 s at a 200-village district)."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import pickle
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import UsageError
from ..messages import TEXT
from ..national.mapping import ImportRules, load_import_rules
from ..store import HouseholdRow, Store
from ..workflow import AGREE, DISTRICT, ELIMINATED, IDENTIFIED
from ..workspace import Workspace
from ..writers.common import Placed
from ..writers.provincial_export import write_provincial_export
from .entries import ENTER_INTO

TARGET = "省系统"  # export's positional argument for this export (beside the departments shared back)
NEW, ELIMINATED_REASON, CHANGED = "新认定", "风险消除", "信息变更"
REASON_OF = {ELIMINATED: ELIMINATED_REASON}
_KEY = "provincial_export:{town}"
_DIGEST = 16


@dataclass(frozen=True)
class ExportRow:
    reason: str
    household: HouseholdRow
    values: list[Any]  # the national columns, in order


@dataclass
class TownExport:
    town: str
    since: dt.datetime | None
    headers: list[str]
    rows: list[ExportRow] = field(default_factory=list)
    digests: dict[str, str] = field(default_factory=dict)  # every identified household's rows as exported now
    decisions: dict[str, int] = field(default_factory=dict)  # each household's latest decision, exported now
    inputs: dict[str, str] = field(default_factory=dict)  # what each household's digest was made from (fingerprint)

    @property
    def households(self) -> int:
        return len({r.household.id for r in self.rows})


@dataclass(frozen=True)
class LastExport:
    """The town's last export: when, each identified household's rows (digest) and the decision it carried."""

    at: dt.datetime | None = None
    rows: dict[str, str] = field(default_factory=dict)
    decisions: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # none in an export recorded before they were kept


def last_export(store: Store, town: str) -> LastExport:
    raw = store.meta.get(_KEY.format(town=town))
    if not raw:
        return LastExport()
    data = json.loads(raw)
    return LastExport(dt.datetime.fromisoformat(data["at"]), dict(data.get("rows") or {}),
                      {k: int(v) for k, v in (data.get("decisions") or {}).items()}, dict(data.get("inputs") or {}))


def town_export(store: Store, config: Config, rules: ImportRules, town: str, *,
                since: dt.datetime | None = None) -> TownExport:
    """What the town must enter: the district's decisions on or after `since` — without it, those not in its last
    export (all, before the first) — then the identified households whose rows changed since that export (and,
    with `since`, those a village file updated since, when that export did not hold them). Its reads share one
    snapshot."""
    with store.snapshot():
        return _town_export(store, config, rules, town, since=since)


def _town_export(store: Store, config: Config, rules: ImportRules, town: str, *,
                 since: dt.datetime | None) -> TownExport:
    last = last_export(store, town)
    export = TownExport(town, since if since is not None else last.at,
                        [*rules.national_headers(), TEXT["export.provincial_reason"]])
    latest = {d.household_id: d for d in store.provincial.decided_since(
        None, level=DISTRICT, action=AGREE, into=ENTER_INTO, town=town)}  # oldest first: the latest wins
    export.decisions = {str(hid): d.event_id for hid, d in latest.items()}
    states = (*IDENTIFIED, ELIMINATED)
    rows = store.households.list(town=town, on_file=True, states=states)
    children = store.households.children(h.id for h in rows)
    salt = _mapping_salt(rules)
    for hh in rows:
        key = str(hh.id)
        members, measures, _ = children[hh.id]
        household = _household(hh, measures, county=config.settings.district)
        made_from = _fingerprint(salt, household, members)
        values: list[list[Any]] | None = None
        if made_from is not None and last.inputs.get(key) == made_from and key in last.rows:
            digest = last.rows[key]  # made from the same as last time: the same rows
        else:
            values = _national_rows(rules, household, members)
            digest = _digest(values, rules)
        export.digests[key] = digest
        if made_from is not None:
            export.inputs[key] = made_from
        d = latest.get(hh.id)
        if d is not None and (d.at >= since if since is not None else last.decisions.get(key) != d.event_id):
            reason = REASON_OF.get(d.decided_into, NEW)
        elif key in last.rows and last.rows[key] != digest:
            reason = CHANGED
        elif since is not None and key not in last.rows and hh.updated_at >= since:
            reason = CHANGED
        else:
            continue
        if values is None:
            values = _national_rows(rules, household, members)
        export.rows.extend(ExportRow(reason, hh, v) for v in values)
    order = {NEW: 0, ELIMINATED_REASON: 1, CHANGED: 2}
    export.rows.sort(key=lambda r: (order[r.reason], r.household.village, r.household.id))
    return export


def _household(hh: HouseholdRow, measures: Sequence[dict[str, Any]], *, county: str) -> dict[str, Any]:
    """The household's values as national_row takes them: the village's values, with what the ledger holds (its
    户编号, dates and category; 人均纯收入 as computed when the village left it to us; the district as 县)."""
    income = hh.data.get("per_capita_income")
    return {**hh.data, "county": county, "household_no": hh.household_no, "town": hh.town, "village": hh.village,
            "per_capita_income": income if income is not None else hh.data.get("_per_capita_income"),
            "head_name": hh.head_name, "head_id": hh.head_id, "category": hh.category,
            "eliminated": "是" if hh.state == ELIMINATED else "否", "eliminated_date": hh.eliminated_date,
            "identified_date": hh.identified_date, "measures": list(measures)}


def _national_rows(rules: ImportRules, household: dict[str, Any], members: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """The household's rows in the national layout, one a member (one row of its own values without any)."""
    return [rules.national_row(household, _member(m)) for m in members] or [rules.national_row(household, {})]


def _member(m: dict[str, Any]) -> dict[str, Any]:
    """A member's values with a multiple choice (健康状况) as the text a cell holds (长期慢性病、残疾)."""
    return {k: "、".join(map(str, v)) if isinstance(v, (tuple, list)) else v for k, v in m.items()}


@functools.cache
def _mapping_code() -> bytes:
    """The source of the code that makes a household's rows (a new release may make them otherwise)."""
    from ..national import mapping

    try:
        return Path(mapping.__file__ or "").read_bytes() + Path(__file__).read_bytes()
    except OSError:  # no source beside the program (a frozen build): its version says which code it is
        from .. import __version__

        return __version__.encode()


def _mapping_salt(rules: ImportRules) -> bytes:
    """What every household's rows are made with besides its own values: the mapping rules and the code."""
    return hashlib.blake2b(rules.model_dump_json().encode() + _mapping_code(), digest_size=16).digest()


def _fingerprint(salt: bytes, household: dict[str, Any], members: Sequence[dict[str, Any]]) -> str | None:
    """What a household's rows are made from, as a short hash: its values as national_row takes them and its members'
    as the ledger holds them (pickled: a date and its text, 1 and 1.0 differ), with the rules and code (`salt`).
    None if they cannot be pickled (its rows are then always made)."""
    try:
        data = pickle.dumps((household, members), protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    return hashlib.blake2b(data, key=salt, digest_size=12).hexdigest()


def _digest(values: list[list[Any]], rules: ImportRules) -> str:
    """The household's rows without its 户编号 (the town's own 已录入 changes that) and 序号/数据日期."""
    skip = {i for i, c in enumerate(rules.columns[:len(values[0])]) if c.field in ("household_no", None)}
    kept = [[v for i, v in enumerate(row) if i not in skip] for row in values]
    text = json.dumps(kept, ensure_ascii=False, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST]


def remember(store: Store, export: TownExport, *, at: dt.datetime) -> None:
    """The town's export made: the next one lists what is decided or changed after it."""
    with store.atomic():
        store.meta.set(_KEY.format(town=export.town), json.dumps(
            {"at": at.isoformat(sep=" "), "rows": export.digests, "decisions": export.decisions,
             "inputs": export.inputs},
            ensure_ascii=False, separators=(",", ":")))


def towns_of(config: Config, town: str | None) -> list[str]:
    if town is None:
        return list(config.settings.towns)
    if town not in config.settings.towns:
        raise UsageError(TEXT["export.provincial_no_town"].format(town=town, towns="、".join(config.settings.towns)))
    return [town]


def export_provincial(store: Store, ws: Workspace, config: Config, *, town: str | None = None,
                      since: dt.date | None = None, out: Path | None = None,
                      now: dt.datetime | None = None) -> list[tuple[TownExport, Placed | None]]:
    """`excel-bridge export 省系统`: each town's (or one town's) file into its 反馈/<镇>/镇级/ (or `out`, for one
    town); a town with nothing to enter gets no file (None)."""
    towns = towns_of(config, town)
    if out is not None and (len(towns) != 1 or Path(out).suffix.lower() != ".xlsx"):
        raise UsageError(TEXT["export.provincial_out"].format(path=out))
    now = (now or dt.datetime.now()).replace(microsecond=0)
    rules = load_import_rules(ws.root / "rules", config.schemas)
    start = dt.datetime.combine(since, dt.time()) if since is not None else None
    done: list[tuple[TownExport, Placed | None]] = []
    for t in towns:
        export = town_export(store, config, rules, t, since=start)
        placed = None
        if export.rows:
            placed = write_provincial_export(
                Path(out) if out is not None else ws.provincial_export_path(t, now), district=config.settings.district,
                town=t, since=export.since, headers=export.headers,
                rows=[[*r.values, r.reason] for r in export.rows], households=export.households, at=now)
        remember(store, export, at=now)
        done.append((export, placed))
    return done


def pass_exports(store: Store, ws: Workspace, config: Config) -> list[Placed]:
    """After a pass: every town with something new to enter gets its file in 反馈/<镇>/镇级/."""
    return [placed for _, placed in export_provincial(store, ws, config) if placed is not None]
