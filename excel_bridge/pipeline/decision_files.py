"""Decision workbooks: a town's 镇级核查表 and the district's 区级总台账, saved in place or dropped into the
town's own drop folder, read (in a worker) before anything is regenerated, checked and applied.

Folders are the boundary (DOMAIN.md, "Who may decide"): a town's decisions count only from its own
folders (反馈/<镇>/镇级/ in place, 收件箱/<镇>/镇级/ dropped), the district's only from 区级/; a review
workbook dropped where villages drop their files counts for nothing, whatever its hidden sheet says.
"""

from __future__ import annotations

import logging

from ..decisions import apply_decisions, note_unreadable
from ..departments.verdicts import apply_department_decisions
from ..intake import TOWN_ZONE, shown
from ..messages import TEXT
from ..workflow import DISTRICT, TOWN
from .context import FileOutcome, Item, Pass
from .jobs import MASTER, TOWN_REVIEW, Crashed, DecisionsRead, Unreadable

log = logging.getLogger(__name__)
DISTRICT_NAME = "区级"


def is_decisions(read: object) -> bool:
    return isinstance(read, DecisionsRead)


def refusal(item: Item, read: DecisionsRead) -> str | None:
    """Why a decision workbook from this place does not count, or None when it does."""
    if read.kind == MASTER:
        return None if item.in_place and item.town == "" else TEXT["process.master_in_inbox"]
    if not item.in_place and item.cand.zone != TOWN_ZONE:
        return TEXT["process.review_from_villages"].format(town=item.town)
    if read.meta.get("镇") != item.town:
        return TEXT["process.review_elsewhere"].format(town=read.meta.get("镇") or TEXT["process.other_town"],
                                                       folder=item.town)
    return None


def take(ctx: Pass, item: Item, read: object) -> FileOutcome | None:
    """Apply the decisions of one saved workbook (or record why they do not count)."""
    where = item.town or DISTRICT_NAME
    level = DISTRICT if isinstance(read, DecisionsRead) and read.kind == MASTER else TOWN
    town = None if level == DISTRICT else item.town
    if isinstance(read, Crashed) and not read.died:
        log.error(TEXT["process.log.decisions_failed"], shown(item.name), read.error)
        return FileOutcome(item.name, where, "failed", TEXT["process.decisions_failed"].format(error=read.error))
    if isinstance(read, (Unreadable, Crashed)) or (isinstance(read, DecisionsRead) and read.problem):
        reason = (read.problem or "" if isinstance(read, DecisionsRead) else
                  read.issue.message if isinstance(read, Unreadable) else TEXT["process.decisions_died"])
        with ctx.store.atomic():
            text = note_unreadable(ctx.store, level=level, town=town, sha256=item.sha, file_name=item.name,
                                   reason=reason)
            _remember(ctx, item)
        return FileOutcome(item.name, where, "decisions", text)
    assert isinstance(read, DecisionsRead)
    refused = refusal(item, read)
    if refused:
        with ctx.store.atomic():
            ctx.store.submissions.add(sha256=item.sha, kind=read.kind, status="refused", file_name=item.name,
                                      received_at=ctx.now(), town=item.town or None,
                                      archived_path=ctx.key(item.archived), message=refused)
            if item.town:
                ctx.store.notes.add(at=ctx.now(), level=TOWN, town=item.town,
                                    message=TEXT["process.file_note"].format(name=shown(item.name), message=refused))
            _remember(ctx, item)
        return FileOutcome(item.name, where, "refused", refused)
    approvers = ctx.config.settings.approvers_of(town or DISTRICT_NAME)
    with ctx.store.atomic():  # the decisions and "read this version" together: a crash between them loses nothing
        result = apply_decisions(ctx.store, read.rows, level=level, town=town, sha256=item.sha,
                                 file_name=item.name, today=ctx.today, approvers=approvers)
        applied, not_applied = result.applied, len(result.refused)
        if town is not None and read.warning_rows:  # the town's verdicts on department warnings (部门预警)
            verdicts = apply_department_decisions(ctx.store, read.warning_rows, town=town, sha256=item.sha,
                                                  file_name=item.name, config=ctx.config, today=ctx.today)
            ctx.dirty |= verdicts.villages
            applied, not_applied = applied + verdicts.applied, not_applied + len(verdicts.refused)
        _remember(ctx, item)
    ctx.dirty |= result.villages
    log.info(TEXT["process.log.decisions"], shown(item.name), applied, not_applied)
    if not read.rows and not read.warning_rows:
        return None
    refused_text = TEXT["process.decisions_refused"].format(n=not_applied) if not_applied else ""
    return FileOutcome(item.name, where, "decisions", TEXT["process.decisions"].format(applied=applied,
                                                                                     refused=refused_text))


def _remember(ctx: Pass, item: Item) -> None:
    """A workbook saved in place is read once per version: it is regenerated only after it was read."""
    if item.in_place:
        ctx.store.outputs.remember(ctx.key(item.cand.path), item.sha, "read", at=ctx.now())


__all__ = ["TOWN_REVIEW", "is_decisions", "refusal", "take"]
