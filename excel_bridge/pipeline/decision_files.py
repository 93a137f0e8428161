"""Decision workbooks: a town's 镇级核查表 and the district's 区级总台账, saved in place or dropped into the
town's own drop folder, read (in a worker) before anything is regenerated, checked and applied.

Folders are the boundary (docs/domain.md, "Who may decide"): a town's decisions count only from its own
folders (反馈/<镇>/镇级/ in place, 收件箱/<镇>/镇级/ dropped), the district's only from 区级/; a review
workbook dropped where villages drop their files counts for nothing, whatever its hidden sheet says.
"""

from __future__ import annotations

import logging

from ..decisions import apply_decisions, note_unreadable
from ..errors import StoreError
from ..intake import TOWN_ZONE, shown
from ..messages import TEXT
from ..provincial.entries import apply_entries
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
        return TEXT["process.review_elsewhere"].format(town=read.meta.get("镇") or TEXT["process.review_other_town"],
                                                       folder=item.town)
    return None


def take(ctx: Pass, item: Item, read: object) -> FileOutcome | None:
    """Apply the decisions of one saved workbook (or record why they do not count). A decision workbook has
    the same boundary as a village file: anything unexpected while reading or applying it is reported for that
    file (a note in the next copy of the workbook, the log) and the pass goes on with the other files."""
    if isinstance(read, Crashed) and not read.died:
        return _failed(ctx, item, read, read.error)
    try:
        return _take(ctx, item, read)
    except StoreError as exc:  # the ledger itself failed (rolled back): nothing recorded, the next pass reads it again
        log.error(TEXT["process.log.decisions_failed"], shown(item.name), exc)
        return FileOutcome(item.name, item.town or DISTRICT_NAME, "failed",
                           TEXT["process.decisions_failed"].format(error=exc))
    except Exception as exc:  # noqa: BLE001 - its transaction rolled back; report it and go on
        log.exception(TEXT["process.log.decisions_failed"], shown(item.name), exc)
        return _failed(ctx, item, read, f"{type(exc).__name__}: {exc}", logged=True)


def _failed(ctx: Pass, item: Item, read: object, error: str, *, logged: bool = False) -> FileOutcome:
    """A decision workbook that could not be read or applied: the town (or the district) is told in its next
    workbook, and the workbook saved in place is read once per version like any other (the ledger unchanged).
    When the ledger itself failed, nothing is recorded: the next pass reads the file again."""
    if not logged:
        log.error(TEXT["process.log.decisions_failed"], shown(item.name), error)
    level = DISTRICT if isinstance(read, DecisionsRead) and read.kind == MASTER or not item.town else TOWN
    try:
        with ctx.store.atomic():
            note_unreadable(ctx.store, level=level, town=None if level == DISTRICT else item.town, sha256=item.sha,
                            file_name=item.name, reason=TEXT["decision.failed"])
            _remember(ctx, item)
    except StoreError as exc:
        log.error(TEXT["process.log.decisions_failed"], shown(item.name), exc)
    return FileOutcome(item.name, item.town or DISTRICT_NAME, "failed",
                       TEXT["process.decisions_failed"].format(error=error))


def _take(ctx: Pass, item: Item, read: object) -> FileOutcome | None:
    where = item.town or DISTRICT_NAME
    level = DISTRICT if isinstance(read, DecisionsRead) and read.kind == MASTER else TOWN
    town = None if level == DISTRICT else item.town
    if isinstance(read, (Unreadable, Crashed)) or (isinstance(read, DecisionsRead) and read.problem):
        reason = ((read.problem or "") if isinstance(read, DecisionsRead) else
                  read.issue.message if isinstance(read, Unreadable) else TEXT["process.decisions_died"])
        with ctx.store.atomic():
            text = note_unreadable(ctx.store, level=level, town=town, sha256=item.sha, file_name=item.name,
                                   reason=reason)
            _remember(ctx, item)
        return FileOutcome(item.name, where, "decisions", text)
    assert isinstance(read, DecisionsRead)
    why = refusal(item, read)
    if why:
        with ctx.store.atomic():
            ctx.store.submissions.add(sha256=item.sha, kind=read.kind, status="refused", file_name=item.name,
                                      received_at=ctx.now(), town=item.town or None,
                                      archived_path=ctx.key(item.archived), message=why)
            if item.town:
                ctx.store.notes.add(at=ctx.now(), level=TOWN, town=item.town,
                                    message=TEXT["process.file_note"].format(name=shown(item.name), message=why))
            _remember(ctx, item)
        return FileOutcome(item.name, where, "refused", why)
    approvers = ctx.config.settings.approvers_of(town or DISTRICT_NAME)
    with ctx.store.atomic():  # the decisions and "read this version" together: a crash between them loses nothing
        result = apply_decisions(ctx.store, read.rows, level=level, town=town, sha256=item.sha,
                                 file_name=item.name, today=ctx.today, approvers=approvers)
        applied, not_applied = result.applied, len(result.refused)
        if town is not None and read.warning_rows:  # the town's verdicts on department warnings (部门预警)
            from ..departments.verdicts import apply_department_decisions  # loaded only for a town that has some

            verdicts = apply_department_decisions(ctx.store, read.warning_rows, town=town, sha256=item.sha,
                                                  file_name=item.name, config=ctx.config, today=ctx.today)
            ctx.dirty |= verdicts.villages
            applied, not_applied = applied + verdicts.applied, not_applied + len(verdicts.refused)
        if town is not None and read.entry_rows:  # the town's 省系统录入 answers (a 国家户编号 typed back)
            entries = apply_entries(ctx.store, read.entry_rows, town=town, sha256=item.sha, file_name=item.name,
                                    today=ctx.today)
            ctx.dirty |= entries.villages
            applied, not_applied = applied + entries.applied, not_applied + len(entries.refused)
        _remember(ctx, item)
    ctx.dirty |= result.villages
    log.info(TEXT["process.log.decisions"], shown(item.name), applied, not_applied)
    if not read.rows and not read.warning_rows and not read.entry_rows:
        return None
    refused_text = TEXT["process.decisions_refused"].format(n=not_applied) if not_applied else ""
    return FileOutcome(item.name, where, "decisions", TEXT["process.decisions"].format(applied=applied,
                                                                                     refused=refused_text))


def _remember(ctx: Pass, item: Item) -> None:
    """A workbook saved in place is read once per version: it is regenerated only after it was read."""
    if item.in_place:
        ctx.store.outputs.remember(ctx.key(item.cand.path), item.sha, "read", at=ctx.now())


__all__ = ["TOWN_REVIEW", "is_decisions", "refusal", "take"]
