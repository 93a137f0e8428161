"""Every village's pre-filled 村级监测台账 (预填台账), written from the ledger into 反馈/<镇>/<村>/.

The entry point after a national import (`write_prefilled`) and for the yearly 回头看 (yearly_round.py): town by
town, one read per table of the ledger (store.views.village_ledgers: never a query per household or village,
one town's records in memory at a time), then one workbook per village, each written and placed atomically in
a worker of the process pool (runner.Runner, like the returned copies) while the next town is read. Households
已移出 are left out; those not monitored, or whose risk was eliminated, are kept (a worsening must be seen).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .config import Config
from .messages import TEXT
from .runner import Runner
from .store import LedgerHousehold, Store
from .workflow import REMOVED
from .workspace import Workspace
from .writers.common import Placed, place_atomically
from .writers.prefilled import PrefillPlan, write_prefilled_workbook


@dataclass
class Prefilled:
    """What one run wrote (or left alone), village by village."""

    written: list[tuple[str, str, Placed]] = field(default_factory=list)  # (town, village, where it went)
    kept: list[tuple[str, str, Path]] = field(default_factory=list)  # already there, not rewritten
    skipped: list[tuple[str, str]] = field(default_factory=list)  # left out by the caller (e.g. already returned)
    households: int = 0  # in the workbooks written
    members: int = 0


def all_villages(config: Config, ledgers: Iterable[tuple[str, str]], *, town: str) -> list[tuple[str, str]]:
    """Every village of `town` the district registers (in its order), then every other the ledger holds
    households of."""
    places = [(town, village) for village in config.settings.towns.get(town, [])]
    return places + sorted(set(ledgers).difference(places))


@dataclass(frozen=True)
class PrefillJob:
    """One village's workbook to write (it pickles: the configuration is small, ~30 KB)."""

    path: Path
    config: Config
    town: str
    village: str
    households: list[LedgerHousehold]
    plan: PrefillPlan
    created: dt.datetime


def prefill_job(job: PrefillJob) -> Placed:
    """In a worker (or in this process without a runner): one village's workbook, placed atomically."""

    def write(tmp: Path) -> Path:
        return write_prefilled_workbook(tmp, job.config, job.town, job.village, job.households, job.plan,
                                        created=job.created)

    return place_atomically(job.path, write)


def prefill_villages(ws: Workspace, store: Store, config: Config, villages: Iterable[tuple[str, str]] | None,
                     *, plan: PrefillPlan, now: dt.datetime | None = None, keep_existing: bool = False,
                     skip: Callable[[str, str], bool] | None = None, runner: Runner | None = None) -> Prefilled:
    """Write the pre-filled workbook of each village (all of them when `villages` is None). `keep_existing`: a
    workbook already at its place is not rewritten (the clerk may be filling it in); `skip(town, village)`
    True leaves a village out. With a `runner` the workbooks are written in its workers (the ledger read here
    meanwhile); a workbook that cannot be written raises its error, as without one."""
    wanted = None if villages is None else set(villages)
    out = Prefilled()
    created = now or dt.datetime.now()
    with store.snapshot():
        on_file = store.views.towns_on_file()
    registered = list(config.settings.towns)
    towns = registered + sorted((on_file | {t for t, _ in wanted or ()}).difference(registered))
    if wanted is not None:
        towns = [town for town in towns if any(t == town for t, _ in wanted)]
    sent: list[PrefillJob] = []

    def jobs() -> Iterator[PrefillJob]:  # made while the workers write the workbooks before them
        for town in towns:  # one town's records in memory at a time
            with store.snapshot():
                ledgers = store.views.village_ledgers(wanted, left_out=(REMOVED,), town=town) \
                    if town in on_file else {}
            if wanted is None:
                places = all_villages(config, ledgers, town=town)
            else:
                places = sorted(p for p in wanted if p[0] == town)
            for place in places:
                if skip is not None and skip(*place):
                    out.skipped.append(place)
                    continue
                path = ws.prefilled_path(*place, plan.year)
                if keep_existing and path.exists():
                    out.kept.append((*place, path))
                    continue
                job = PrefillJob(path, config, *place, ledgers.get(place, []), plan, created)
                sent.append(job)
                yield job

    results = map(prefill_job, jobs()) if runner is None else runner.imap(prefill_job, jobs())
    for i, placed in enumerate(results):
        if isinstance(placed, BaseException):
            raise placed
        job = sent[i]
        out.written.append((job.town, job.village, placed))
        out.households += len(job.households)
        out.members += sum(len(hh.members) for hh in job.households)
    return out


def write_prefilled(ws: Workspace, store: Store, config: Config, villages: Iterable[tuple[str, str]] | None = None,
                    *, year: int | None = None, now: dt.datetime | None = None,
                    runner: Runner | None = None) -> list[Path]:
    """After a national import: every village's (or these villages') 村级监测台账 pre-filled from the ledger,
    in 反馈/<镇>/<村>/ (workspace.prefilled_path). `year` set: the income year it asks for (a round).
    Returns where each workbook went; with a `runner`, written in its workers."""
    purpose = TEXT["prefill.purpose_import"] if year is None else TEXT["prefill.purpose_round"].format(year=year)
    done = prefill_villages(ws, store, config, villages, plan=PrefillPlan(purpose=purpose, year=year), now=now,
                            runner=runner)
    return [placed.path for _, _, placed in done.written]
