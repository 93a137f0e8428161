"""Who left a household and who joined it since its last accepted file (issue 22; docs: a member leaving carries a
减少原因 — 死亡 / 婚嫁迁出 / 分户 / 其他 —, a new member an 增加原因 — 出生 / 婚嫁迁入 / 其他).

The clerk says it in 家庭成员 itself: a member who left keeps their row with 减少原因 (and 变动日期) filled — the row
is no longer counted in 家庭人口数 and may be deleted from the next file on —; a new member's row gets 增加原因.
Compared by 身份证号 with the members the ledger last accepted for the household: a member gone from the rows
without a 减少原因, or a new one without an 增加原因, is still recorded, and the returned copy marks it (a hint)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

LEFT: Literal["left"] = "left"
JOINED: Literal["joined"] = "joined"


@dataclass(frozen=True)
class MemberChange:
    kind: Literal["left", "joined"]
    person_id: str
    name: str
    reason: str | None  # None: not given (the returned copy marks it)
    day: dt.date | None  # 变动日期 when given
    sheet: str | None  # the row that says it (a joined member's own row; None for a member gone without a row)
    row: int | None


def member_changes(before: Mapping[str, str | None], members: Sequence[Mapping[str, Any]],
                   departed: Sequence[Mapping[str, Any]]) -> list[MemberChange]:
    """`before`: 身份证号 → 姓名 of the household's members as last accepted (empty: nothing to compare with — a
    new household, or one whose members were never accepted); `members`: the file's current rows; `departed`:
    its rows with a 减少原因. Changes in the file's order: those who left, then those who joined."""
    if not before:
        return []
    current = {m.get("person_id") for m in members}
    gone = {m.get("person_id"): m for m in departed if m.get("person_id")}
    out = []
    for pid, name in before.items():
        if pid in current:
            continue
        row = gone.get(pid)
        out.append(MemberChange(LEFT, pid, (row.get("name") if row else None) or name or "",
                                row.get("leave_reason") if row else None, _day(row), None, None))
    for m in members:
        new_id = m.get("person_id")
        if new_id and new_id not in before:
            out.append(MemberChange(JOINED, new_id, m.get("name") or "", m.get("join_reason"), _day(m),
                                    m.get("_sheet"), m.get("_row")))
    return out


def _day(row: Mapping[str, Any] | None) -> dt.date | None:
    value = row.get("change_date") if row else None
    return value if isinstance(value, dt.date) else None
