"""The monthly 通报 (plan 一 研判及通报): the district's numbers for a month, frozen in the ledger the first time the
month is reported (report_snapshots) so the same report asked again gives the same numbers; corrections made
since show in the next month's report, which says so. The workbook is drawn by writers/bulletin.py."""

from __future__ import annotations

import calendar
import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Config
from .errors import UsageError
from .messages import TEXT
from .statistics import (
    ELIMINATED_KEY,
    MONITORED,
    MONTHLY,
    TOTAL,
    UNDER_WAY_KEY,
    Facts,
    StatTable,
    compute,
    read_facts,
    scope_of,
)
from .store import Store
from .store.snapshots import PASS, REPORT, Snapshot
from .town_checks import check_scope, keep_counting_scope, read_check_facts, town_checks
from .workflow import CATEGORIES
from .workspace import Workspace

BULLETIN_DIR = "通报"


@dataclass(frozen=True)
class Bulletin:
    """What the 通报 of a month shows: its tables, the day they were counted for, whether they come from the
    month's first report (frozen), and the corrections to the month before."""

    district: str
    year: int
    month: int
    as_of: dt.date
    tables: tuple[StatTable, ...]
    frozen_at: dt.datetime | None  # when the numbers were first reported (None: reported now, for the first time)
    corrections: tuple[str, ...]
    counted_late: dt.date | None = None  # a past month nothing was kept for: counted from the ledger of this day
    checks: StatTable | None = None  # 考核 by town, counted for as_of (carried in the hidden sheet for the city)

    def table(self, key: str) -> StatTable:
        return next(t for t in self.tables if t.key == key)


def parse_month(text: str) -> tuple[int, int]:
    """2021-12 → (2021, 12); anything else a UsageError in words."""
    m = re.fullmatch(r"\s*(\d{4})-(\d{1,2})\s*", text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise UsageError(TEXT["report.month_format"].format(text=text))
    return int(m.group(1)), int(m.group(2))


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def bulletin_path(ws: Workspace, district: str, year: int, month: int) -> Path:
    return ws.district_dir / BULLETIN_DIR / TEXT["report.file_name"].format(district=district, year=year, month=month)


def make_bulletin(store: Store, config: Config, *, year: int, month: int, today: dt.date,
                  now: dt.datetime | None = None) -> Bulletin:
    """The month's numbers: as first reported when the month has been; else counted now (for the month's last day,
    or today in the current month) and kept, frozen. A month that has not begun is refused."""
    if dt.date(year, month, 1) > today:
        raise UsageError(TEXT["report.future_month"].format(year=year, month=month))
    key = month_key(year, month)
    now = (now or dt.datetime.now()).replace(microsecond=0)
    kept = store.snapshots.of(key)
    facts = read_facts(store)
    scope = scope_of(config)
    tables, as_of, frozen_at = month_tables(kept, facts, scope, year=year, month=month, today=today)
    late = today if frozen_at is None and month_end(year, month) < today else None
    with store.atomic():
        if frozen_at is None or kept is None or kept.made_by != REPORT:  # from now on, as reported
            store.snapshots.keep(key, [t.to_json() for t in tables], made_by=REPORT, as_of=as_of,
                                 at=frozen_at or now)
        keep_counting_scope(store, config)
    checks = town_checks(facts, read_check_facts(store, as_of), as_of=as_of, **check_scope(config)).table
    return Bulletin(district=config.settings.district, year=year, month=month, as_of=as_of, tables=tables,
                    frozen_at=frozen_at, corrections=_corrections(store, facts, scope, year, month), counted_late=late,
                    checks=checks)


def month_tables(kept: Snapshot | None, facts: Facts, scope: dict[str, Any], *, year: int, month: int,
                 today: dt.date) -> tuple[tuple[StatTable, ...], dt.date, dt.datetime | None]:
    """A month's tables, the day they count for and when they were kept (None: counted now, not yet kept): as kept
    once the month was reported or is over, else counted from `facts` for the month's last day (today in the current
    month). Reads only: the 通报 keeps what it gets, the city's roll-up keeps nothing."""
    if kept is not None and (kept.made_by == REPORT or month_end(year, month) < today):
        return tuple(StatTable.from_json(doc) for doc in kept.tables.values()), kept.as_of, kept.made_at
    as_of = min(month_end(year, month), today)
    return compute(facts, as_of=as_of, **scope).tables, as_of, None


def _corrections(store: Store, facts: Facts, scope: dict[str, Any], year: int, month: int) -> tuple[str, ...]:
    """What changed in the months before since they were reported: each earlier month of the cycle's series
    whose numbers, counted again now, differ from the previous month's report."""
    prev_year, prev_month = (year, month - 1) if month > 1 else (year - 1, 12)
    kept = store.snapshots.of(month_key(prev_year, prev_month))
    if kept is None or MONTHLY not in kept.tables:
        return ()
    then = StatTable.from_json(kept.tables[MONTHLY])
    now = compute(facts, as_of=kept.as_of, **scope).table(MONTHLY)  # that report's months, counted again now
    counted_now = {r[0]: r for r in now.rows}
    out = []
    for row in then.rows[:-1]:  # the months, not the cycle's total
        again = counted_now.get(row[0])
        if again is None or tuple(again) == tuple(row):
            continue
        changes = "，".join(TEXT["report.correction_item"].format(what=head, before=a, after=b)
                           for head, a, b in zip(then.header[1:], row[1:], again[1:], strict=True) if a != b)
        out.append(TEXT["report.correction"].format(month=row[0], changes=changes))
    return tuple(out)


def key_figures(b: Bulletin) -> str:
    """The month's key figures in words (the first page of the 通报)."""
    monitored = b.table(MONITORED).row(TOTAL)
    eliminated = b.table(ELIMINATED_KEY).row(TOTAL)
    under_way = b.table(UNDER_WAY_KEY).row(TOTAL)
    this_month = b.table(MONTHLY).row(TEXT["stats.month"].format(year=b.year, month=b.month))
    cats = "、".join(TEXT["report.category_part"].format(category=c, households=monitored[f"{c}（户）"],
                                                         people=monitored[f"{c}（人）"]) for c in CATEGORIES)
    return TEXT["report.key_figures"].format(
        as_of=b.as_of, district=b.district, households=monitored["合计（户）"], people=monitored["合计（人）"],
        categories=cats, eliminated=eliminated["户数"], eliminated_people=eliminated["人数"],
        under_way=under_way["合计（户）"], under_way_people=under_way["合计（人）"], month=b.month,
        leads=this_month["收到线索"], identified=this_month["认定纳入"], eliminated_month=this_month["风险消除"],
        reduced=this_month["自然减少"])


def to_pdf(xlsx: Path, *, timeout: float = 180) -> Path | None:
    """The 通报 as PDF beside it, where LibreOffice is installed (None where it is not, or it failed): a private
    profile, so a LibreOffice the user has open does not take the job; its whole process group ended on a timeout."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    xlsx = xlsx.resolve()
    with tempfile.TemporaryDirectory(prefix="eb-lo-") as profile:
        try:
            proc = subprocess.Popen(
                [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless", "--norestore",
                 "--convert-to", "pdf", "--outdir", str(xlsx.parent), str(xlsx)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "HOME": profile},
                start_new_session=True)
        except OSError:
            return None
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            if hasattr(os, "killpg"):  # POSIX: the whole group (soffice starts soffice.bin)
                os.killpg(proc.pid, signal.SIGKILL)
            else:  # Windows: soffice.exe ends its soffice.bin with it
                proc.kill()
            proc.wait()
            return None
    pdf = xlsx.with_suffix(".pdf")
    return pdf if proc.returncode == 0 and pdf.is_file() else None


def keep_pass_snapshot(store: Store, as_of: dt.date, tables: tuple[StatTable, ...], config: Config | None = None) -> None:
    """Each pass keeps the current month's numbers until the month is reported (never over a report), and (config)
    what the district counts by, for the city's roll-up."""
    key = month_key(as_of.year, as_of.month)
    kept = store.snapshots.of(key)
    if config is not None:
        with store.atomic():
            keep_counting_scope(store, config)
    if kept is not None and kept.made_by == REPORT:
        return
    with store.atomic():
        store.snapshots.keep(key, [t.to_json() for t in tables], made_by=PASS, as_of=as_of,
                             at=dt.datetime.now().replace(microsecond=0))
