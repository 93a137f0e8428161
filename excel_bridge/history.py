"""A household's whole story from the audit log: every transition with when, who, where from and why."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .idcard import mask_id, normalize_id
from .messages import TEXT
from .store import HouseholdRow, Store

EVENT_WORDS = {"created": "登记", "transition": "状态变更", "removed": "移出", "restored": "恢复在册",
               "absent": "新报台账未列", "department": "部门预警核实", "imported": "国家系统导入",
               "member_left": "成员减少", "member_joined": "成员增加"}


@dataclass(frozen=True)
class Step:
    at: dt.datetime
    event: str
    from_state: str | None
    to_state: str | None
    level: str
    person: str | None
    comment: str | None
    source: str | None


@dataclass(frozen=True)
class Story:
    household: HouseholdRow
    steps: list[Step]
    member: str | None = None  # found by a member's 身份证号 other than the head's: that member's (masked) line


    @property
    def title(self) -> str:
        h = self.household
        return TEXT["history.title"].format(town=h.town, village=h.village, head=h.head_name or "",
                                            number=h.household_no or TEXT["history.no_number"],
                                            masked=mask_id(h.head_id), state=h.state,
                                            removed="" if h.on_file else TEXT["history.removed"])


def event_text(action: str | None, event: str, comment: str | None) -> str:
    """What a step says in history and the master's 变更记录: the action of a transition, then its comment."""
    if event in ("transition", "department") and action:
        return action + (f"：{comment}" if comment else "")
    return comment or ""


RECENT_CHANGES = 1000  # the master's 变更记录: this many latest transitions


@dataclass(frozen=True)
class Change:
    """One transition as the master's 变更记录 shows it, its text already said (event_text)."""

    at: dt.datetime
    town: str | None
    village: str | None
    household_no: str | None
    head_name: str | None
    from_state: str | None
    to_state: str | None
    level: str
    person: str | None
    text: str
    source_sha256: str | None


def recent_changes(store: Store, limit: int = RECENT_CHANGES) -> list[Change]:
    """The latest transitions of the district, newest first (the pipeline hands them to the master's writer)."""
    return [Change(at=e.at, town=e.town, village=e.village, household_no=e.household_no, head_name=e.head_name,
                   from_state=e.from_state, to_state=e.to_state, level=e.level, person=e.person,
                   text=event_text(e.action, e.event, e.comment), source_sha256=e.source_sha256)
            for e in store.events.recent_transitions(limit)]


def find_stories(store: Store, key: str) -> list[Story]:
    """By 户编号, 户主身份证号 or any member's 身份证号 (normalised), oldest event first."""
    person = normalize_id(key)
    rows = store.households.find(key.strip()) or store.households.find(person)
    by_member = not rows and bool(person)
    if by_member:
        rows = store.households.with_member(person)
    stories = []
    for row in rows:
        member = None
        if by_member:
            member = TEXT["history.by_member"].format(masked=mask_id(person),
                                                      name=store.households.member_name(row.id, person) or "")
        steps = [Step(at=e.at, event=EVENT_WORDS.get(e.event, e.event), from_state=e.from_state,
                      to_state=e.to_state, level=e.level, person=e.person,
                      comment=event_text(e.action, e.event, e.comment),
                      source=(e.source_sha256 or "")[:12] or None) for e in store.events.of(row.id)]
        stories.append(Story(row, steps, member))
    return stories
