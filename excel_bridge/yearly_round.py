"""The yearly 回头看 (plan 四(一), 避免重复填表 七(三)): `excel-bridge round <workspace> 2022 [--until D]`.

Starting a round for an income year records it in the ledger (meta: year, started, until) and gives every
village its 村级监测台账 for that year, pre-filled from the ledger (prefill.prefill_villages: last year's 人均纯收入
moved into 上年人均纯收入, the year's income cells emptied and marked). A village that already dropped a file
for that year before the round gets its workbook built from that file (the ledger's latest accepted). Running
it again for the same year rewrites nothing: a workbook already written stays (the clerk may be filling it in),
a village that returned its file since the round started is left alone; only what is missing is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .config import Config
from .errors import ConfigError
from .messages import TEXT
from .prefill import Prefilled, prefill_villages
from .round_progress import ROUND_KEY, Round, recorded_round
from .store import Store
from .workspace import FEEDBACK, Workspace
from .writers.prefilled import PrefillPlan


@dataclass(frozen=True)
class RoundResult:
    round: Round
    again: bool  # the round had been started before
    until_changed: bool
    done: Prefilled


def start_round(ws: Workspace, store: Store, config: Config, year: int, *, until: dt.date | None = None,
                now: dt.datetime | None = None) -> RoundResult:
    """Start (or run again) the round of income year `year`; ConfigError, nothing written, when its monitoring
    line is not configured."""
    if not config.rules.has_line(year):
        raise ConfigError(TEXT["round.no_line"].format(year=year, path=ws.root / "rules" / "monitoring_line.yaml"))
    now = (now or dt.datetime.now()).replace(microsecond=0)
    with store.atomic():
        before = recorded_round(store, year)
        current = before or Round(year=year, started=now, until=until,
                                  after_submission=store.views.last_submission_id())
        until_changed = before is not None and until is not None and until != before.until
        if until_changed:
            current = Round(year=year, started=current.started, until=until,
                            after_submission=current.after_submission)
        if before is None or until_changed:
            store.meta.set(ROUND_KEY.format(year=year), current.to_text())
    returned: set[tuple[str, str]] = set()
    if before is not None:
        returned = store.views.village_files_since(before.started, after_submission=before.after_submission)
    plan = PrefillPlan(purpose=TEXT["prefill.purpose_round"].format(year=year), year=year)
    done = prefill_villages(ws, store, config, None, plan=plan, now=now, keep_existing=True,
                            skip=lambda town, village: (town, village) in returned)
    return RoundResult(round=current, again=before is not None, until_changed=until_changed, done=done)


def round_lines(result: RoundResult, root: Path) -> list[str]:
    """What `round` prints: the round, then what it wrote and what it left alone (Chinese)."""
    r, done = result.round, result.done
    until = TEXT["round.until"].format(until=r.until.isoformat()) if r.until else ""
    said = TEXT["round.again"] if result.again else TEXT["round.started"]
    lines = [said.format(year=r.year, started=f"{r.started:%Y-%m-%d %H:%M}", until=until)]
    if result.until_changed:
        lines.append(TEXT["round.until_changed"].format(until=r.until.isoformat() if r.until else ""))
    lines.append(TEXT["round.written"].format(n=len(done.written), year=r.year, households=done.households,
                                              members=done.members, folder=root / FEEDBACK))
    for _, _, placed in done.written:
        if placed.locked:
            lines.append(TEXT["round.locked"].format(path=placed.path))
    if done.kept:
        lines.append(TEXT["round.kept"].format(n=len(done.kept), villages=_names((t, v) for t, v, _ in done.kept)))
    if done.skipped:
        lines.append(TEXT["round.returned"].format(n=len(done.skipped), villages=_names(done.skipped)))
    return lines


def _names(places: Iterable[tuple[str, str]]) -> str:
    names = [f"{town}{village}" for town, village in places]
    shown = "、".join(names[:10])
    return shown + (TEXT["round.more"].format(n=len(names) - 10) if len(names) > 10 else "")
