"""Following a household once it is identified (plan 五(二)): each one has a 监测联系人 with a phone, named by its
village (missing: an error on its row, judged against the ledger's state when the file is applied), and a household
in 帮扶中 whose row has not changed and who was not visited for N months is due a visit (定期信息采集, a warning in
预警). Domain code: the caller hands in the household's state and values."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Mapping
from typing import Any

from .config import Config
from .issues import Issue, make_issue
from .workflow import ASSISTING, IDENTIFIED

# the day (ISO text) a village file last changed the household's row (its clerk's values), kept in its values
CHANGED_ON = "_changed_on"
CONTACT_KEYS = ("contact_person", "contact_phone")
# what the system itself writes into a household's values (a key starting with "_"): never the clerk's change
SYSTEM_PREFIX = "_"


def contact_issues(config: Config, state: str, data: Mapping[str, Any], *, sheet: str | None,
                   row: int | None, still_to_fill: bool = False) -> list[Issue]:
    """CONTACT_MISSING on each empty 监测联系人 / 联系人电话 cell of a household from 帮扶中 on (a cell the file
    filled wrongly already has its own error). `still_to_fill`: a household of a pre-filled workbook the clerk has
    not filled in yet (PREFILL_TO_FILL on its row): one CONTACT_TO_FILL hint, not an error on cells we marked."""
    if state not in IDENTIFIED:
        return []
    invalid = set(data.get("_invalid", ()))
    spec = config.schemas.household
    missing = [spec.column(key).header for key in CONTACT_KEYS if not data.get(key) and key not in invalid]
    if still_to_fill and missing:
        return [make_issue("CONTACT_TO_FILL", sheet=sheet, row=row, column=missing[0], state=state,
                           columns="、".join(missing))]
    return [make_issue("CONTACT_MISSING", sheet=sheet, row=row, column=header, state=state) for header in missing]


def row_changed(before: Mapping[str, Any], after: Mapping[str, Any], ours: Mapping[str, object]) -> bool:
    """Whether a file changed what the clerk typed in a household's row (`ours`: what the system wrote back into
    the returned copy — the ledger's 户编号, 识别纳入日期 —, no change when the file holds just that)."""
    return _typed(before, ours) != _typed(after, ours)


def _typed(data: Mapping[str, Any], ours: Mapping[str, object]) -> dict[str, str]:
    return {k: str(v) for k, v in data.items() if not k.startswith(SYSTEM_PREFIX) and v is not None
            and not (k in ours and str(v) == str(ours[k]))}


def changed_on(data: Mapping[str, Any]) -> dt.date | None:
    value = data.get(CHANGED_ON)
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day `months` calendar months earlier (the month's last day when it has no such day)."""
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_due(state: str, data: Mapping[str, Any], *, identified: dt.date | None, fallback: dt.date,
                  as_of: dt.date, months: int) -> tuple[dt.date, dt.date | None] | None:
    """(last change, last visit) of a household in 帮扶中 neither changed nor visited for `months` months (its
    identification counts as a change), else None. `fallback`: the last change of a row recorded before the ledger
    kept the day (the household's last update: never an earlier day than the truth)."""
    if state != ASSISTING:
        return None
    limit = months_before(as_of, months)
    changed = changed_on(data) or fallback
    if identified is not None and identified > changed:
        changed = identified
    visit = data.get("visit_date")
    visit = visit if isinstance(visit, dt.date) else None
    if changed > limit or (visit is not None and visit > limit):
        return None
    return changed, visit
