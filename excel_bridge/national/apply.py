"""A national export, read by a worker (reading.py), taken into the ledger in one transaction (DOMAIN.md "The
national system's exports"):

- a household the ledger does not have is recorded: 帮扶中 when its 监测对象类型 is filled (风险已消除 when 风险是否消除
  is 是, on its 风险消除时间), with its national 户编号, category and 识别 date; otherwise (a 脱贫户 not monitored)
  未纳入, so that its village's pre-filled workbook lists it. One event each (`imported`) names the file; nothing
  is replayed through the chain;
- a household the ledger has (by 户编号, else by the head's ID) gets what the national system owns (户编号 replacing a
  provisional one, 识别/消除 dates, category); its values are replaced only while the import still owns them (no
  village file since); where a village's accepted data differs, the difference is listed (the note, the master's
  导入差异), never written over;
- a person already in another household of the ledger, a 户编号 the ledger holds in another village, or one
  whose head is another household's: a conflict, listed, nothing of that household recorded.

The same content imported again changes nothing."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..config import Config
from ..idcard import mask_id
from ..messages import TEXT
from ..store import ImportDifference, ImportDifferences, LedgerKey, Store
from ..workflow import ASSISTING, DISTRICT, ELIMINATED, IDENTIFIED, NOT_INCLUDED
from .reading import NATIONAL_KEY, NationalExport, NationalHousehold, Unused

IMPORTED = "imported"  # the event of a household recorded or updated by an import
NATIONAL_KIND = "national"
NO_TOWN = "（镇不详）"
# the values of a household compared with the village's accepted data (the national system does not own them)
COMPARED_HOUSEHOLD = ("head_name", "group", "phone", "household_type", "size", "per_capita_income", "housing_secure",
                      "water_secure")
COMPARED_MEMBER = ("name", "relation", "education", "schooling", "health", "labour", "work_months", "medical_insurance",
                   "dibao", "tekun")


@dataclass
class TownCount:
    households: int = 0
    persons: int = 0
    identified: int = 0  # 帮扶中 in the export
    eliminated: int = 0  # 风险已消除 in the export
    unused: int = 0  # rows not used
    reasons: Counter[str] = field(default_factory=Counter)


@dataclass
class Conflict:
    town: str
    village: str
    number: str
    reason: str
    rows: list[int]


@dataclass
class ImportResult:
    """What an import did; `touched` are the villages whose ledger changed (their pre-filled workbooks are due)."""

    file_name: str
    sha256: str
    status: str  # applied / duplicate
    export: NationalExport | None = None
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    towns: dict[str, TownCount] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    differences: list[ImportDifference] = field(default_factory=list)
    touched: set[tuple[str, str]] = field(default_factory=set)
    submission_id: int | None = None
    note: Path | None = None  # 反馈/导入/<文件>_导入说明.txt, once written
    prefilled: list[Path] = field(default_factory=list)  # the touched villages' pre-filled 村级监测台账


def state_of(hh: NationalHousehold) -> str:
    if not hh.category:
        return NOT_INCLUDED
    return ELIMINATED if hh.eliminated else ASSISTING


def apply_export(store: Store, config: Config, export: NationalExport, *, received_at: dt.datetime,
                 archived_path: str, as_of: dt.date) -> ImportResult:
    """Take one read export into the ledger, in one transaction; the same content again changes nothing."""
    at = received_at.replace(microsecond=0)
    result = ImportResult(export.file_name, export.sha256, "applied", export)
    with store.atomic():
        store.submissions.claim(export.sha256, None)
        previous = store.submissions.applied(export.sha256)
        if previous is not None and previous.kind == NATIONAL_KIND:
            result.status = "duplicate"
            result.submission_id = previous.id
            return result
        sub_id = store.submissions.add(sha256=export.sha256, kind=NATIONAL_KIND, status="applied",
                                       file_name=export.file_name, received_at=at, archived_path=archived_path)
        result.submission_id = sub_id
        _Apply(store, config, export, result, sub_id, at, as_of).run()
        store.submissions.set_counts(sub_id, errors=len(result.conflicts), warnings=len(result.differences),
                                     households=len(export.households), members=export.persons)
        store.imports.set_differences(ImportDifferences(export.file_name, at.strftime("%Y-%m-%d %H:%M"),
                                                        result.differences))
    return result


class _Apply:
    def __init__(self, store: Store, config: Config, export: NationalExport, result: ImportResult, sub_id: int,
                 at: dt.datetime, as_of: dt.date) -> None:
        self.store, self.config, self.export, self.result = store, config, export, result
        self.sub_id, self.at, self.as_of = sub_id, at, as_of
        self.member_headers = {c.key: c.header for c in config.schemas.member.columns}
        self.household_headers = {c.key: c.header for c in config.schemas.household.columns}
        self.by_id: dict[int, LedgerKey] = {}

    def run(self) -> None:
        settings = self.config.settings
        keys = self.store.imports.keys()
        self.by_id = {k.id: k for k in keys}
        by_number = {k.household_no: k for k in keys if k.household_no}
        by_head = {k.head_id: k for k in keys if k.head_id and k.on_file}
        people = self.store.imports.people()
        for unused in self.export.unused:
            self._unused(unused)
        new: list[NationalHousehold] = []
        matched: list[tuple[NationalHousehold, LedgerKey]] = []
        for hh in self.export.households:
            town = settings.canonical_town(hh.town or "") if hh.town else None
            if town is None:
                self._refuse(hh, TEXT["import.town_unknown"].format(town=hh.town or "", towns="、".join(settings.towns)))
                continue
            hh.town = hh.data["town"] = town
            listed = settings.towns.get(town, [])
            if not hh.village or (listed and hh.village not in listed):
                self._refuse(hh, TEXT["import.village_unknown"].format(town=town, village=hh.village or ""))
                continue
            match, reason = self._match(hh, by_number, by_head, people)
            if reason is not None:
                self._refuse(hh, reason)
                continue
            self._count(hh)
            if match is None:
                new.append(hh)
            else:
                matched.append((hh, match))
        self._create(new)
        self._update(matched)

    # --- matching ---
    def _match(self, hh: NationalHousehold, by_number: dict[str, LedgerKey], by_head: dict[str, LedgerKey],
               people: dict[str, int]) -> tuple[LedgerKey | None, str | None]:
        number, head = by_number.get(hh.number), by_head.get(hh.head_id)
        if number is not None and head is not None and number.id != head.id:
            return None, TEXT["import.conflict_head"].format(
                masked=mask_id(hh.head_id), number=hh.number, place=f"{head.town}{head.village}",
                name=head.head_name or "", other=_number(head.household_no))
        match = number or head
        if match is not None and (match.town, match.village) != (hh.town, hh.village):
            return None, TEXT["import.conflict_village"].format(
                number=hh.number, ledger=f"{match.town}{match.village}", national=f"{hh.town}{hh.village}")
        for m in hh.members:
            hid = people.get(m["person_id"])
            if hid is not None and (match is None or hid != match.id):
                other = self.by_id[hid]
                return None, TEXT["import.conflict_person"].format(
                    masked=mask_id(m["person_id"]), name=m.get("name") or "", number=hh.number,
                    place=f"{other.town}{other.village}", head=other.head_name or "", other=_number(other.household_no))
        return match, None

    # --- new households ---
    def _create(self, new: list[NationalHousehold]) -> None:
        if not new:
            return
        ids = self.store.imports.create([dict(
            household_no=hh.number, provisional=False, head_id=hh.head_id, head_name=hh.head_name, town=hh.town or "",
            village=hh.village or "", state=state_of(hh), lead_date=None,
            identified_date=_identified(hh), eliminated_date=_eliminated(hh),
            submission_id=self.sub_id, row=hh.row, data=_values(hh), assessment={}, errors=0, warnings=0,
            at=self.at, category=hh.category if state_of(hh) != NOT_INCLUDED else None) for hh in new])
        created = [(ids[hh.number], hh) for hh in new]
        self.store.imports.add_children([(hid, hh.town or "", hh.village or "", hh.members, hh.measures)
                                         for hid, hh in created])
        self.result.touched.update((hh.town or "", hh.village or "") for hh in new)
        self.store.events.record_many([dict(
            household_id=hid, event=IMPORTED, to_state=state_of(hh), level=DISTRICT, at=self.at,
            source_sha256=self.export.sha256, comment=self._created_comment(hh), effective_date=self.as_of)
            for hid, hh in created])
        self.result.created += len(created)

    def _created_comment(self, hh: NationalHousehold) -> str:
        state = state_of(hh)
        if state == NOT_INCLUDED:
            return TEXT["import.event_not_monitored"].format(file=self.export.file_name)
        return TEXT["import.event_identified"].format(
            file=self.export.file_name, state=state, category=hh.category or "",
            date=_text(_identified(hh)) or TEXT["import.no_date"])

    # --- households the ledger has ---
    def _update(self, matched: list[tuple[NationalHousehold, LedgerKey]]) -> None:
        if not matched:
            return
        ids = [k.id for _, k in matched]
        rows = {r.id: r for r in self.store.households.list(ids=ids)}
        children = self.store.households.children(ids)
        owned_children: dict[tuple[str, str], list[tuple[int, list, list, list]]] = defaultdict(list)
        events = []
        for hh, key in matched:
            row = rows[key.id]
            changes: list[str] = []
            number, provisional = row.household_no, row.provisional
            if row.household_no != hh.number:
                changes.append(TEXT["import.change"].format(item="户编号", old=row.household_no or "", new=hh.number))
                number, provisional = hh.number, False
            elif row.provisional:
                provisional = False
            national_state = state_of(hh)
            identified, eliminated, category = row.identified_date, row.eliminated_date, row.category
            if row.state in (*IDENTIFIED, ELIMINATED) and national_state != NOT_INCLUDED:
                for item, old, new in (("识别纳入日期", row.identified_date, _identified(hh) or row.identified_date),
                                       ("认定类别", row.category, hh.category)):
                    if new != old:
                        changes.append(TEXT["import.change"].format(item=item, old=_text(old), new=_text(new)))
                identified, category = _identified(hh) or row.identified_date, hh.category
                if row.state == ELIMINATED and national_state == ELIMINATED and _eliminated(hh) != row.eliminated_date:
                    changes.append(TEXT["import.change"].format(item="风险消除日期", old=_text(row.eliminated_date),
                                                                new=_text(_eliminated(hh))))
                    eliminated = _eliminated(hh) or row.eliminated_date
            if _state_group(row.state) != national_state:
                self._differ(row, number, TEXT["import.item_state"], row.state, national_state)
            if changes or provisional != row.provisional:
                self.store.imports.set_national(row.id, household_no=number, provisional=provisional,
                                                identified_date=identified, eliminated_date=eliminated,
                                                category=category, at=self.at)
            members, measures, reviews = children[row.id]
            if key.source_kind == NATIONAL_KIND:  # still the import's own values: a later export replaces them
                data = _values(hh)
                if _json(data) != _json(row.data) or _json(hh.members) != _json(members) \
                        or _json(hh.measures) != _json(measures):
                    self.store.imports.replace_values(row.id, head_id=hh.head_id, head_name=hh.head_name, data=data,
                                                      submission_id=self.sub_id, at=self.at)
                    owned_children[(row.town, row.village)].append((row.id, hh.members, hh.measures, reviews))
                    changes.append(TEXT["import.values_replaced"])
            else:
                self._compare(row, number, hh, members)
            if changes:
                self.result.updated += 1
                self.result.touched.add((row.town, row.village))
                events.append(dict(household_id=row.id, event=IMPORTED, level=DISTRICT, at=self.at,
                                   source_sha256=self.export.sha256, effective_date=self.as_of,
                                   comment=TEXT["import.event_updated"].format(file=self.export.file_name,
                                                                               changes="；".join(changes))))
            else:
                self.result.unchanged += 1
        for (town, village), kids in owned_children.items():
            self.store.households.replace_children_of(town=town, village=village, children=kids)
        self.store.events.record_many(events)

    def _compare(self, row: Any, number: str | None, hh: NationalHousehold, members: list[dict[str, Any]]) -> None:
        """List each value the village's accepted data gives otherwise (the national value kept aside)."""
        for key in COMPARED_HOUSEHOLD:
            national = hh.data.get(key)
            if national is not None and _text(national) != _text(row.data.get(key)):
                self._differ(row, number, self.household_headers.get(key, key), row.data.get(key), national)
        ours = {m.get("person_id"): m for m in members}
        for m in hh.members:
            mine = ours.get(m["person_id"])
            who = TEXT["import.item_member"].format(name=m.get("name") or "", masked=mask_id(m["person_id"]))
            if mine is None:
                self._differ(row, number, who, TEXT["import.absent_ledger"], TEXT["import.listed"])
                continue
            for key in COMPARED_MEMBER:
                national = m.get(key)
                if national is not None and _text(national) != _text(mine.get(key)):
                    self._differ(row, number, f"{who}·{self.member_headers.get(key, key)}", mine.get(key), national)
        listed = {m["person_id"] for m in hh.members}
        for pid, mine in ours.items():
            if pid and pid not in listed:
                who = TEXT["import.item_member"].format(name=mine.get("name") or "", masked=mask_id(pid))
                self._differ(row, number, who, TEXT["import.listed"], TEXT["import.absent_national"])

    def _differ(self, row: Any, number: str | None, item: str, ledger: Any, national: Any) -> None:
        self.result.differences.append(ImportDifference(
            town=row.town, village=row.village, household_no=number, head_name=row.head_name, item=item,
            ledger=_text(ledger), national=_text(national)))

    # --- counting ---
    def _town(self, town: str | None) -> TownCount:
        return self.result.towns.setdefault(town or NO_TOWN, TownCount())

    def _count(self, hh: NationalHousehold) -> None:
        count = self._town(hh.town)
        count.households += 1
        count.persons += len(hh.members)
        state = state_of(hh)
        count.identified += state == ASSISTING
        count.eliminated += state == ELIMINATED

    def _unused(self, unused: Unused) -> None:
        town = self.config.settings.canonical_town(unused.town or "") if unused.town else None
        count = self._town(town or unused.town)
        count.unused += 1
        count.reasons[unused.reason] += 1

    def _refuse(self, hh: NationalHousehold, reason: str) -> None:
        rows = [int(m.get("_row") or 0) for m in hh.members]
        self.result.conflicts.append(Conflict(hh.town or NO_TOWN, hh.village or "", hh.number, reason, rows))
        count = self._town(hh.town)
        count.unused += len(rows)
        count.reasons[reason] += len(rows)


def _number(number: str | None) -> str:
    return TEXT["import.number_shown"].format(number=number) if number else ""


def _state_group(state: str) -> str:
    """A ledger state as the national system would show it: identified, eliminated, or not monitored."""
    if state in IDENTIFIED:
        return ASSISTING
    if state == ELIMINATED:
        return ELIMINATED
    return NOT_INCLUDED


def _identified(hh: NationalHousehold) -> dt.date | None:
    value = hh.national.get("identified_date")
    return value if isinstance(value, dt.date) and hh.category else None


def _eliminated(hh: NationalHousehold) -> dt.date | None:
    value = hh.national.get("eliminated_date")
    return value if isinstance(value, dt.date) and hh.category and hh.eliminated else None


def _values(hh: NationalHousehold) -> dict[str, Any]:
    """The household's values as the ledger keeps them: our keys, and the national facts under _national."""
    national = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in hh.national.items()}
    return {**hh.data, NATIONAL_KEY: national}


def _text(value: Any) -> str:
    """A value as the note and the 导入差异 sheet show it (dates ISO, several answers joined by 、)."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=_text)
