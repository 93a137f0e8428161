"""A city's roll-up of its districts (issue 24): each district's numbers for a month exactly as the district counts
them (statistics.compute and town_checks over its ledger, read only, with what the district counts by as its last
pass kept it; a month reported or over as the district kept it — report.month_tables), or as its 通报 workbook
carries them; the city's totals summed from the districts' totals; and the people registered in households of two
districts. The roll-up never writes a district's ledger and takes no lock: a district's pass goes on meanwhile."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bulletin_numbers import BulletinNumbers, Refused, read_bulletin_numbers
from .city_settings import City, CityDistrict, CitySettings
from .config import load_config
from .errors import LedgerError
from .messages import TEXT
from .report import month_key, month_tables
from .statistics import MONTHLY, RISK, TOTAL, StatTable, read_facts
from .store import PersonPlace, Store, in_several_streamed, people_in_several, with_schema
from .town_checks import KINDS, kept_counting_scope, read_check_facts, town_checks

log = logging.getLogger(__name__)

CITY_TOTAL = "全市"
BY_TOWN = ("monitored", "eliminated", "under_way", "channel")  # tables with a row per town and the 全区 row
ONE_QUERY, STREAMED = "one_query", "streamed"
READERS = 4  # ledgers read at once (threads: each mostly waits on its database)


@dataclass(frozen=True)
class DistrictNumbers:
    """One district's month: its tables, 考核 by town, the day counted for, and where they came from."""

    district: str
    source: str  # in words: the schema, the ledger file or the 通报 workbook
    as_of: dt.date
    tables: tuple[StatTable, ...]
    checks: StatTable | None

    def table(self, key: str) -> StatTable:
        return next(t for t in self.tables if t.key == key)


@dataclass
class Rollup:
    city: str
    year: int
    month: int
    districts: list[DistrictNumbers] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # what the city has no numbers of, said in words
    refused: list[Refused] = field(default_factory=list)
    duplicates: list[PersonPlace] = field(default_factory=list)
    matched_by: str = STREAMED
    seconds_match: float = 0.0

    @property
    def totals(self) -> tuple[StatTable, ...]:
        return city_tables(self.districts)

    @property
    def checks(self) -> StatTable:
        return checks_by_district(self.districts)


def ledger_numbers(store: Store, district: str, source: str, *, year: int, month: int,
                   today: dt.date) -> DistrictNumbers:
    """A district's month from its ledger, counted as its own 统计 and 通报 count it — in one read snapshot."""
    with store.snapshot():
        kept = store.snapshots.of(month_key(year, month))
        kept_scope = kept_counting_scope(store)
        # the households that count nothing left in the ledger (a ledger never counted yet: its towns from them all)
        facts = read_facts(store, counting_only=kept_scope is not None)
        scope = kept_scope or _scope_without_pass(facts)
        counted = {k: scope[k] for k in ("district", "towns", "risk_types", "channels")}
        tables, as_of, _ = month_tables(kept, facts, counted, year=year, month=month, today=today)
        checks = town_checks(facts, read_check_facts(store, as_of), as_of=as_of, towns=scope["towns"],
                             registered=scope["registered"], limit_days=scope["limit_days"]).table
    return DistrictNumbers(district=district, source=source, as_of=as_of, tables=tables, checks=checks)


def _scope_without_pass(facts: Any) -> dict[str, Any]:
    """A ledger no pass of this release has counted yet: its towns as its households name them, the program's own
    lists and deadline."""
    config = load_config()
    return {"district": "", "towns": sorted({h.town for h in facts.households}), "risk_types": [], "channels": [],
            "registered": {}, "limit_days": config.rules.workflow.identification_deadline_days}


def bulletin_numbers(b: BulletinNumbers, source: str) -> DistrictNumbers:
    return DistrictNumbers(district=b.district, source=source, as_of=dt.date.fromisoformat(b.as_of), tables=b.tables,
                           checks=b.checks)


def ledger_target(settings: CitySettings, d: CityDistrict) -> str:
    """Where a district's ledger is, as Store.open_read takes it: its schema on the city's server, or its own."""
    return with_schema(settings.server, d.ledger_schema) if d.ledger_schema and settings.server else str(d.database)


def present_in(settings: CitySettings) -> Callable[[list[str]], dict[str, set[str]]]:
    """district → which of these IDs its ledger has in households on file (districts sending a 通报: none)."""
    def present(ids: list[str]) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for d in settings.districts:
            if d.bulletin:
                continue
            try:
                with Store.open_read(ledger_target(settings, d)) as store:
                    out[d.name] = store.present_among(ids)
            except LedgerError:
                continue  # said by the roll-up; its rows then go by county code
        return out
    return present


def _counted(settings: CitySettings, d: CityDistrict, *, year: int, month: int,
             today: dt.date) -> tuple[Store, DistrictNumbers] | str:
    """One district's ledger opened and its month counted (in a reader thread), or what went wrong, in words."""
    source = TEXT["city.source_schema"].format(schema=d.ledger_schema) if d.ledger_schema \
        else TEXT["city.source_ledger"].format(database=d.database)
    try:
        store = Store.open_read(ledger_target(settings, d))
    except LedgerError as exc:
        return TEXT["city.ledger_failed"].format(district=d.name, error=exc)
    try:
        return store, ledger_numbers(store, d.name, source, year=year, month=month, today=today)
    except LedgerError as exc:
        store.close()
        return TEXT["city.ledger_failed"].format(district=d.name, error=exc)
    except BaseException:
        store.close()
        raise


def roll_up(city: City, settings: CitySettings, *, year: int, month: int, today: dt.date,
            read_files: Callable[[list[str]], list[BulletinNumbers | Refused]]) -> Rollup:
    """Every district's month, the city's, and the people in two districts. `read_files` reads 通报 workbooks (a
    worker pool: their bytes are dropped files'). The ledgers are read by READERS threads at once: each waits on
    its database most of the time, so one ledger's wait is another's counting."""
    out = Rollup(city=settings.city, year=year, month=month)
    ledgers = [d for d in settings.districts if not d.bulletin]
    with ExitStack() as stack:
        stores: dict[str, Store] = {}
        with ThreadPoolExecutor(max_workers=max(1, min(READERS, len(ledgers)))) as pool:
            futures = [pool.submit(_counted, settings, d, year=year, month=month, today=today) for d in ledgers]
        failed: BaseException | None = None
        for d, future in zip(ledgers, futures, strict=True):
            try:
                got = future.result()
            except BaseException as exc:  # noqa: BLE001 - raised below, once every open store is closed
                failed = failed or exc
                continue
            if isinstance(got, str):
                out.missing.append(got)
                continue
            store, numbers = got
            stores[d.name] = stack.enter_context(store)
            out.districts.append(numbers)
        if failed is not None:
            raise failed
        started = dt.datetime.now()
        on_server = {d.name: d.ledger_schema for d in ledgers if d.ledger_schema and d.name in stores}
        if settings.server is not None and len(on_server) == len(stores):
            out.duplicates, out.matched_by = people_in_several(settings.server, on_server), ONE_QUERY
        else:
            streams: list[Iterator[PersonPlace]] = [s.people_by_id(name) for name, s in stores.items()]
            out.duplicates, out.matched_by = list(in_several_streamed(streams)), STREAMED
        out.seconds_match = (dt.datetime.now() - started).total_seconds()
    _from_bulletins(out, city, settings, read_files)
    order = {d.name: i for i, d in enumerate(settings.districts)}
    out.districts.sort(key=lambda n: order.get(n.district, len(order)))
    return out


def _from_bulletins(out: Rollup, city: City, settings: CitySettings,
                    read_files: Callable[[list[str]], list[BulletinNumbers | Refused]]) -> None:
    """The districts that send their 通报: the newest workbook of the month of each, from the city's inbox."""
    wanted = {d.name for d in settings.districts if d.bulletin}
    if not wanted:
        return
    files = sorted(str(p) for p in city.inbox.rglob("*.xlsx") if p.is_file() and not p.name.startswith("~$")) \
        if city.inbox.is_dir() else []
    key = month_key(out.year, out.month)
    best: dict[str, BulletinNumbers] = {}
    for got in read_files(files) if files else []:
        if isinstance(got, Refused):
            out.refused.append(got)
        elif got.district not in wanted:
            out.refused.append(Refused(got.path, TEXT["city.bulletin_not_expected"].format(district=got.district)))
        elif got.month == key and (got.district not in best or got.made_at > best[got.district].made_at):
            best[got.district] = got
    for name in sorted(wanted, key=[d.name for d in settings.districts].index):
        if name in best:
            rel = Path(best[name].path).relative_to(city.root).as_posix()
            out.districts.append(bulletin_numbers(best[name], TEXT["city.source_bulletin"].format(path=rel)))
        else:
            out.missing.append(TEXT["city.no_bulletin"].format(district=name, year=out.year, month=out.month,
                                                               inbox=city.inbox))


# --- the city's tables: sums of the districts' ---

def total_row(table: StatTable) -> dict[str, int]:
    """A district's 全区 row by header (a ledger with no town yet has only its label: every count 0)."""
    row = next((r for r in table.rows if r[0] == TOTAL), (TOTAL,))
    return {h: int(row[i]) if i < len(row) else 0 for i, h in enumerate(table.header) if i > 0}


def _by_district(tables: Sequence[tuple[str, StatTable]], key: str) -> StatTable:
    """A by-town table of the district as one row per district (its 全区 row), and the city's total row."""
    first = tables[0][1]
    numbers: list[str] = []
    for _, t in tables:
        numbers += [h for h in t.header[1:] if h not in numbers]
    numbers = [h for h in numbers if not h.startswith("合计")] + [h for h in numbers if h.startswith("合计")]
    rows: list[tuple[str | int, ...]] = []
    for district, t in tables:
        row = total_row(t)
        rows.append((district, *(row.get(h, 0) for h in numbers)))
    rows.append((CITY_TOTAL, *(sum(int(r[i]) for r in rows) for i in range(1, len(numbers) + 1))))
    return StatTable(key, first.title.replace("按镇", "按区"), ("区", *numbers), tuple(rows), first.note)


def _summed(tables: Sequence[StatTable], key: str) -> StatTable:
    """A table whose rows are labels (风险类型, months): each label's numbers summed over the districts; the last
    row (the total) stays last."""
    first = tables[0]
    order: list[str] = []
    sums: dict[str, list[int]] = {}
    width = len(first.header) - 1
    for t in tables:
        for row in t.rows[:-1]:
            label = str(row[0])
            if label not in sums:
                order.append(label)
                sums[label] = [0] * width
            sums[label] = [a + int(b) for a, b in zip(sums[label], row[1:], strict=True)]
    total = [sum(int(t.rows[-1][i]) for t in tables) for i in range(1, width + 1)]
    rows: list[tuple[str | int, ...]] = [(label, *sums[label]) for label in order]
    rows.append((first.rows[-1][0], *total))
    return StatTable(key, first.title, first.header, tuple(rows), first.note)


def city_tables(districts: Sequence[DistrictNumbers]) -> tuple[StatTable, ...]:
    """The city's total of every table: by district where the district's is by town, summed where by label."""
    if not districts:
        return ()
    out = []
    for t in districts[0].tables:
        if t.key in (RISK, MONTHLY):
            out.append(_summed([d.table(t.key) for d in districts], t.key))
        else:
            out.append(_by_district([(d.district, d.table(t.key)) for d in districts], t.key))
    return tuple(out)


def checks_by_district(districts: Sequence[DistrictNumbers]) -> StatTable:
    """考核 by district: each district's 全区 row, and the city's."""
    rows: list[tuple[str | int, ...]] = []
    for d in districts:
        if d.checks is None:
            continue
        row = total_row(d.checks)
        rows.append((d.district, *(row.get(k, 0) for k in KINDS), row.get("合计", 0)))
    rows.append((CITY_TOTAL, *(sum(int(r[i]) for r in rows) for i in range(1, len(KINDS) + 2))))
    return StatTable("kaohe", TEXT["city.checks_title"], ("区", *KINDS, "合计"), tuple(rows), TEXT["checks.note"])


def read_in(runner: Any) -> Callable[[list[str]], list[BulletinNumbers | Refused]]:
    """`read_files` for roll_up: each workbook read in a worker of `runner`; a worker lost is that file refused."""
    def read(files: list[str]) -> list[BulletinNumbers | Refused]:
        out: list[BulletinNumbers | Refused] = []
        for path, got in zip(files, runner.map(read_bulletin_numbers, files), strict=True):
            out.append(got if isinstance(got, (BulletinNumbers, Refused))
                       else Refused(path, TEXT["city.bulletin_unreadable"].format(reason=got)))
        return out
    return read
