"""The ledger side of a workflow move (workflow.Ledger): the state change and its event, written in the
caller's transaction. The domain gets this repository handed in and imports no store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from .events import Events
from .households import Households


class Moves:
    def __init__(self, households: Households, events: Events) -> None:
        self.households = households
        self.events = events

    def set_state(self, household_id: int, *, state: str, version: int, at: dt.datetime, **fields: Any) -> None:
        self.households.set_state(household_id, state=state, version=version, at=at, **fields)

    def set_states(self, moves: Sequence[dict[str, Any]]) -> None:
        self.households.set_states(moves)

    def record(self, *, household_id: int, action: str, from_state: str, to_state: str, level: str,
               at: dt.datetime, person: str | None, source_sha256: str | None, comment: str | None,
               effective_date: dt.date) -> None:
        self.record_many([dict(household_id=household_id, event="transition", action=action, from_state=from_state,
                               to_state=to_state, level=level, at=at, person=person, source_sha256=source_sha256,
                               comment=comment, effective_date=effective_date)])

    def record_many(self, events: Sequence[dict[str, Any]]) -> None:
        """The moves' events (each as record()'s keywords, `event` "transition"), in one statement."""
        self.events.record_many(events)

    def entered_from(self, household_id: int, state: str) -> str | None:
        last = self.events.last_entry_into(household_id, state)
        return last.from_state if last is not None else None

    def last_action_day(self, household_id: int, actions: tuple[str, ...]) -> dt.date | None:
        return self.events.last_action_day(household_id, actions)

    def last_action_days(self, household_ids: Sequence[int], actions: tuple[str, ...]) -> dict[int, dt.date | None]:
        return self.events.last_action_days(household_ids, actions)
