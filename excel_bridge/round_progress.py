"""A yearly 回头看's record and progress: per village, its file returned since the round started or not, and its
households re-surveyed (the latest accepted row gives the round's income year, with its income) or still to do;
past the round's end (--until), a warning per village not done.

The round itself is one named value of the ledger (meta "round:<year>": year, started, until), written by
yearly_round.start_round.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from .alerts import Alert
from .config import Config
from .messages import TEXT
from .store import Store
from .workflow import MONITORED, REMOVED

ROUND_KEY = "round:{year}"  # the ledger's meta key of a round
ROUND_PREFIX = "round:"


@dataclass(frozen=True)
class Round:
    year: int
    started: dt.datetime
    until: dt.date | None
    # the ledger's last submission when the round started: a file after it is returned for the round (a time to the
    # second cannot tell a file applied in the round's first second from one applied just before it)
    after_submission: int | None = None

    def to_text(self) -> str:
        return json.dumps({"year": self.year, "started": self.started.isoformat(timespec="seconds"),
                           "until": self.until.isoformat() if self.until else None,
                           "after_submission": self.after_submission})

    @classmethod
    def from_text(cls, text: str) -> "Round":
        raw = json.loads(text)
        return cls(year=int(raw["year"]), started=dt.datetime.fromisoformat(raw["started"]),
                   until=dt.date.fromisoformat(raw["until"]) if raw.get("until") else None,
                   after_submission=raw.get("after_submission"))


def recorded_round(store: Store, year: int) -> Round | None:
    text = store.meta.get(ROUND_KEY.format(year=year))
    return Round.from_text(text) if text else None


def latest_round(store: Store) -> Round | None:
    """The round of the latest income year started (None: no round yet)."""
    rounds = [Round.from_text(v) for v in store.meta.starting_with(ROUND_PREFIX).values()]
    return max(rounds, key=lambda r: r.year) if rounds else None


@dataclass(frozen=True)
class VillageProgress:
    town: str
    village: str
    returned: bool  # a file of the village applied since the round started
    households: int  # on file (已移出 left out)
    resurveyed: int

    @property
    def to_do(self) -> int:
        return self.households - self.resurveyed

    @property
    def done(self) -> bool:
        return self.to_do == 0 and (self.returned or self.households > 0)  # a village's file sent before counts


@dataclass(frozen=True)
class RoundProgress:
    round: Round
    villages: list[VillageProgress]

    def overdue(self, as_of: dt.date) -> bool:
        return self.round.until is not None and as_of > self.round.until


def round_progress(store: Store, config: Config, r: Round, *, town: str | None = None) -> RoundProgress:
    """Every village the district (or `town`) registers, in its order, then any other the ledger holds households
    of."""
    returned = store.views.village_files_since(r.started, after_submission=r.after_submission)
    counts = store.views.resurveyed(r.year, left_out=(REMOVED,), town=town)
    places = [(t, village) for t, villages in config.settings.towns.items() if town in (None, t)
              for village in villages]
    places += sorted(set(counts).difference(places))
    return RoundProgress(r, [VillageProgress(town, village, (town, village) in returned,
                                             *counts.get((town, village), (0, 0))) for town, village in places])


def round_alerts(store: Store, config: Config, as_of: dt.date) -> list[Alert]:
    """Past the latest round's end: a warning per village that has not returned its file, or whose households
    are not all re-surveyed, and one per household under monitoring not re-surveyed."""
    r = latest_round(store)
    if r is None or r.until is None or as_of <= r.until:
        return []
    out = []
    for v in round_progress(store, config, r).villages:
        if v.done:
            continue
        text = TEXT["alert.round_to_do"] if v.returned else TEXT["alert.round_not_returned"]
        out.append(Alert(TEXT["alert.kind.round"], v.town, v.village,
                         text.format(year=r.year, until=r.until.isoformat(), n=v.to_do, total=v.households)))
    for town, village, number, name in store.views.not_resurveyed(r.year, states=MONITORED):
        out.append(Alert(TEXT["alert.kind.round"], town, village,
                         TEXT["alert.round_household"].format(year=r.year, until=r.until.isoformat()),
                         number or "", name or ""))
    return out
