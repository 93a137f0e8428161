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

    def set_states(self, moves: Sequence[dict[str, Any]]) -> None:
        self.households.set_states(moves)

    def record_many(self, events: Sequence[dict[str, Any]]) -> None:
        """The moves' events (each as Events.record()'s keywords, `event` "transition"), in one statement."""
        self.events.record_many(events)

    def entered_from(self, household_id: int, state: str) -> str | None:
        last = self.events.last_entry_into(household_id, state)
        return last.from_state if last is not None else None

    def last_action_day(self, household_id: int, actions: tuple[str, ...]) -> dt.date | None:
        return self.events.last_action_day(household_id, actions)

    def last_action_days(self, household_ids: Sequence[int], actions: tuple[str, ...]) -> dict[int, dt.date | None]:
        return self.events.last_action_days(household_ids, actions)
