"""Decisions typed into a decision workbook and refused, kept so the next copy of the workbook shows them again
(the person fixes only what is missing instead of typing the whole decision anew). Commands run inside the
caller's `store.atomic()`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, insert, select

from . import tables as t
from .db import Database, in_chunks
from .records import Draft

_D = t.decision_drafts


class Drafts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def clear(self, *, level: str, town: str | None) -> None:
        """Forget the level's drafts (of one town, or of all towns): a newer workbook of theirs was read."""
        q = delete(_D).where(_D.c.level == level)
        self.db.conn.execute(q if town is None else q.where(_D.c.town == town))

    def keep(self, *, level: str, household_id: int, town: str, version: int, decision: str | None,
             comment: str | None, person: str | None, decided_on: dt.date | None, flagged: Sequence[str],
             at: dt.datetime) -> None:
        conn = self.db.conn
        conn.execute(delete(_D).where(_D.c.level == level, _D.c.household_id == household_id))
        conn.execute(insert(_D).values(level=level, household_id=household_id, town=town, version=version,
                                       decision=decision, comment=comment, person=person, decided_on=decided_on,
                                       flagged=list(flagged), at=at))

    def forget(self, household_ids: Iterable[int]) -> None:
        """Forget these households' drafts at every level: what they were typed on has changed since."""
        for chunk in in_chunks(sorted(set(household_ids))):
            self.db.conn.execute(delete(_D).where(_D.c.household_id.in_(chunk)))

    def household_ids(self, *, town: str) -> set[int]:
        """The households of a town with a draft at any level."""
        return {r[0] for r in self.db.rows(select(_D.c.household_id).where(_D.c.town == town))}

    def of(self, level: str, household_ids: Iterable[int]) -> dict[int, Draft]:
        """household id → its draft at this level, for these households (whatever version it was typed at)."""
        ids = sorted(set(household_ids))
        out: dict[int, Draft] = {}
        for chunk in in_chunks(ids):
            q = select(_D).where(_D.c.level == level, _D.c.household_id.in_(chunk))
            out.update((r.household_id, Draft.of(r)) for r in self.db.rows(q))
        return out
