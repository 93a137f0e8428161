"""Village files: each one applied to the ledger in one transaction, or refused with a reason the town (and
the village) can read — never half of it.

A file is a duplicate only of its village's latest file (an older content sent again restores it); a
file whose households name another town than the folder it was dropped in is refused whole; a file with
no household at all (an empty template) is refused and the village's returned copy is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from ..errors import LedgerError, StoreError
from ..ingest import AlreadyApplied, FilePayload, apply_village_file, unplaced
from ..intake import shown
from ..issues import Issue
from ..ledger_tokens import household_digests
from ..messages import TEXT, os_problem
from ..store import Submission
from ..workflow import SYSTEM
from ..workspace import safe_component
from .context import FileOutcome, Item, Pass, Place
from .jobs import Crashed, Unreadable, VillageRead

log = logging.getLogger(__name__)


def duplicate_of(ctx: Pass, item: Item) -> Submission | None:
    """The applied submission this content repeats, if it is still the latest file of each of its villages
    (an older content dropped again is a new submission: it restores what a later file removed)."""
    return ctx.store.submissions.repeated(item.sha, town=item.town)


def take_duplicate(ctx: Pass, item: Item, previous: Submission | None, first: Item | None) -> FileOutcome:
    """Recorded as a duplicate; the original's verdict and counts are repeated, its copy re-issued."""
    same_as = (TEXT["process.same_submission"].format(id=previous.id) if previous is not None
               else TEXT["process.same_pass"].format(name=shown(first.name if first else "")))
    with ctx.store.atomic():
        ctx.store.submissions.add(sha256=item.sha, kind="village", status="duplicate", file_name=item.name,
                                  received_at=item.received.replace(microsecond=0), town=item.town,
                                  villages=previous.villages if previous else (), archived_path=ctx.key(item.archived),
                                  message=TEXT["process.same_content"].format(same_as=same_as))
    outcome = FileOutcome(item.name, item.town, "duplicate", TEXT["process.duplicate"])
    if previous is not None:
        outcome.errors, outcome.warnings, outcome.households = previous.errors, previous.warnings, previous.households
        outcome.message = TEXT["process.duplicate_counts"].format(households=previous.households,
                                                                  errors=previous.errors, warnings=previous.warnings)
        for village in previous.villages:
            ctx.dirty.add((item.town, village))
            ctx.reissues[(item.town, village)] = outcome
    return outcome


def take(ctx: Pass, item: Item, read: object) -> FileOutcome:
    """Apply (or refuse, or report) one village file already read in a worker."""
    if isinstance(read, Unreadable):
        return _unreadable(ctx, item, read, village=_village_of_drop(ctx, item, None))
    if isinstance(read, Crashed):
        return _failed(ctx, item, read.error, kind="Crashed")
    assert isinstance(read, VillageRead)
    payload = read.payload
    others = sorted({i.value for i in payload.issues if i.code == "TOWN_FOLDER" and i.value})
    if others:
        return _refused_other_town(ctx, item, payload, others)
    if not payload.households:
        return _refused_empty(ctx, item, payload)
    # villages in conflict with this one before it changes: their copies must drop a resolved conflict
    for village in {hp.village for hp in payload.households if hp.village}:
        for c in ctx.store.views.person_conflicts(town=item.town, village=village):
            ctx.dirty.add((c.other_town, c.other_village))
    if read.reading is not None:
        ctx.readings[ctx.key(item.archived)] = read.reading
    # the village the file came from: a file of several villages goes back to its inbox folder's or its hidden
    # sheet's village (never by a guess from its name: the copy shows every row); a file whose rows name no
    # listed village is still that village's (or the one its name names)
    own = next((safe for name in (item.cand.folder, payload.village_hint) if name and (safe := safe_component(name))),
               None)
    if own is not None:
        ctx.homes[ctx.key(item.archived)] = own
    home = _village_of_drop(ctx, item, payload.village_hint)
    payload.village_hint = home
    drafted = _drafted(ctx, item.town)
    try:
        applied = apply_village_file(ctx.store, payload, ctx.config, as_of=ctx.today, received_at=item.received,
                                     archived_path=ctx.key(item.archived))
    except AlreadyApplied as exc:  # another process applied this content meanwhile: nothing of it twice
        return take_duplicate(ctx, item, exc.previous, None)
    except StoreError as exc:  # the database refused this file's statements: the file is reported
        return _failed(ctx, item, str(exc), kind=exc.kind)
    except LedgerError:  # the ledger itself is gone (connection lost, disk full): not the file's fault, the pass
        raise            # stops and the file waits in the inbox for the next one
    except Exception as exc:  # noqa: BLE001 - the transaction rolled back; report and go on
        return _failed(ctx, item, str(exc), kind=getattr(exc, "kind", type(exc).__name__))
    _forget_changed_drafts(ctx, drafted)
    issues = [*payload.issues, *applied.issues]
    errors = sum(1 for i in issues if i.severity == "error")
    for place in applied.villages or ({(item.town, home)} if home else set()):
        ctx.dirty.add(place)
        ctx.first.add(place)
    ctx.dirty |= _moved_between_towns(ctx, item)
    message = TEXT["process.applied"].format(households=len(payload.households), errors=errors,
                                             warnings=len(issues) - errors)
    left_out = sum(1 for hp in payload.households if unplaced(hp))
    if left_out:
        message += TEXT["process.unplaced"].format(n=left_out)
    _tell_district_missing_lines(item, payload)
    return FileOutcome(item.name, item.town, "applied", message, errors=errors, warnings=len(issues) - errors,
                       households=len(payload.households), say_where=bool(left_out) or len(applied.villages) != 1)


def _tell_district_missing_lines(item: Item, payload: FilePayload) -> None:
    """An income year with no monitoring line is the district's to fix: the terminal and log say which year."""
    missing: dict[str, int] = {}
    for issue in payload.issues:
        if issue.code == "LINE_UNCONFIGURED" and issue.value:
            missing[issue.value] = missing.get(issue.value, 0) + 1
    for year, n in sorted(missing.items()):
        log.warning(TEXT["process.log.line_missing"], item.town, shown(item.name), year, n, year)


def _drafted(ctx: Pass, town: str) -> dict[int, str]:
    """The town's households with a refused decision kept as typed (a few), and the digest of what it was typed on."""
    ids = ctx.store.drafts.household_ids(town=town)
    return household_digests(ctx.store, ctx.store.households.list(ids=ids)) if ids else {}


def _forget_changed_drafts(ctx: Pass, before: dict[int, str]) -> None:
    """A refused decision typed on a household this file changed is not shown again as typed in its new row (its
    token is new too): whoever decides sees the new row empty and decides on it."""
    if not before:
        return
    after = household_digests(ctx.store, ctx.store.households.list(ids=before))
    changed = [hid for hid, digest in before.items() if after.get(hid) != digest]
    if changed:
        with ctx.store.atomic():
            ctx.store.drafts.forget(changed)


def _village_of_drop(ctx: Pass, item: Item, hint: str | None) -> str | None:
    """Which village's folder a note about this file belongs in: the village's own inbox sub-folder, the
    village its hidden sheet names, or a registered village named in the file name; else the town's."""
    for name in (item.cand.folder, hint):
        if name and (village := safe_component(name)):
            return village
    stem = Path(item.name).stem
    for village in sorted(ctx.config.settings.towns.get(item.town, []), key=len, reverse=True):
        if village and village in stem:
            return village
    return None


def _note(ctx: Pass, path: Path, text: str) -> Path | None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8-sig")
        return path
    except OSError as exc:
        ctx.report.problems.append(TEXT["process.note_failed"].format(path=ctx.key(path), reason=os_problem(exc)))
        return None


def _record(ctx: Pass, item: Item, status: str, message: str, issues: Sequence[Issue] = (), errors: int = 0,
            warnings: int = 0, households: int = 0) -> None:
    with ctx.store.atomic():
        sub = ctx.store.submissions.add(sha256=item.sha, kind="village", status=status, file_name=item.name,
                                        received_at=item.received.replace(microsecond=0), town=item.town,
                                        archived_path=ctx.key(item.archived), message=message)
        ctx.store.submissions.add_issues(sub, list(issues))
        ctx.store.submissions.set_counts(sub, errors=errors, warnings=warnings, households=households)


def _unreadable(ctx: Pass, item: Item, read: Unreadable, *, village: str | None) -> FileOutcome:
    issue = read.issue
    _record(ctx, item, "unreadable", issue.message, [issue], errors=1)
    note = _note(ctx, ctx.ws.unreadable_note_path(item.town, village, item.name),
                 TEXT["process.unreadable_note"].format(name=shown(item.name), message=issue.message, hint=issue.hint))
    return FileOutcome(item.name, item.town, "unreadable", issue.message, errors=1, feedback=note)


def _failed(ctx: Pass, item: Item, error: str, *, kind: str) -> FileOutcome:
    log.error(TEXT["process.log.failed"], shown(item.name), error)
    message = TEXT["process.failed"]
    try:
        _record(ctx, item, "failed", TEXT["process.failed_detail"].format(message=message, type=kind, error=error))
    except StoreError as exc:  # the ledger itself refused: the file stays archived, the next pass tries again
        log.error(TEXT["process.log.failed"], shown(item.name), exc)
    return FileOutcome(item.name, item.town, "failed", message, errors=1)


def _refused_other_town(ctx: Pass, item: Item, payload: FilePayload, others: list[str]) -> FileOutcome:
    """A file whose households name another town than its folder is refused whole: nothing of it is recorded
    under either town, both are told."""
    rows = sorted({i.row for i in payload.issues if i.code == "TOWN_FOLDER" and i.row})
    where = TEXT["process.rows"].format(rows="、".join(str(r) for r in rows[:10]) + ("…" if len(rows) > 10 else ""))
    towns = "、".join(others)
    message = TEXT["process.other_town"].format(towns=towns, folder=item.town, where=where)
    errors = sum(1 for i in payload.issues if i.severity == "error")
    _record(ctx, item, "refused", message, payload.issues, errors=errors,
            warnings=len(payload.issues) - errors, households=len(payload.households))
    text = TEXT["process.other_town_note"].format(name=shown(item.name), message=message, town=others[0])
    note = _note(ctx, ctx.ws.not_applied_note_path(item.town, _village_of_drop(ctx, item, payload.village_hint),
                                                   item.name), text)
    for town in others:
        if town in ctx.config.settings.towns:  # the town the households belong to is told too
            _note(ctx, ctx.ws.wrong_town_note_path(town, item.name),
                  TEXT["process.other_town_their_note"].format(name=shown(item.name), folder=item.town, town=town))
    return FileOutcome(item.name, item.town, "refused", message, errors=errors, warnings=len(payload.issues) - errors,
                       households=len(payload.households), feedback=note)


def _refused_empty(ctx: Pass, item: Item, payload: FilePayload) -> FileOutcome:
    message = TEXT["process.empty"]
    _record(ctx, item, "refused", message, [])
    village = _village_of_drop(ctx, item, payload.village_hint)
    note = _note(ctx, ctx.ws.not_applied_note_path(item.town, village, item.name),
                 TEXT["process.unreadable_note"].format(name=shown(item.name), message=message,
                                                        hint=TEXT["process.empty_hint"]))
    return FileOutcome(item.name, item.town, "refused", message, feedback=note)


def _moved_between_towns(ctx: Pass, item: Item) -> set[Place]:
    """The same file applied earlier from another town's folder (a file whose 镇 cells name no town, dropped
    in the wrong folder, then moved): what it put there is marked 已移出, the folder it is in now being right."""
    moved: set[Place] = set()
    at = ctx.now()
    with ctx.store.atomic():
        for sub in ctx.store.submissions.applied_elsewhere(item.sha, item.town):
            for hh in ctx.store.households.from_submission(sub.id):
                ctx.store.households.mark_removed(hh.id, at=at)
                ctx.store.events.record(household_id=hh.id, event="removed", level=SYSTEM, at=at,
                                        source_sha256=item.sha,
                                        comment=TEXT["process.moved_town"].format(town=item.town))
                moved.add((hh.town, hh.village))
    return moved
