"""What a pass writes for the villages, as soon as their files are applied: each village's returned copy
(in a worker: it patches the clerk's own file) and its 公示名单. Each output fails alone, is reported in
Chinese and is retried on the next pass (the ledger keeps what is due); the district's workbooks (town
review workbooks, the master) are written in the background by `district`, off this critical path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from ..ingest import LEDGER_CODES
from ..intake import sha256_of
from ..messages import TEXT, os_problem
from ..returned import Status
from ..status import conflict_issues, statuses
from ..store import Conflict, Submission
from ..workspace import RETURNED_SUFFIX
from ..writers.common import TEMP_PREFIX, Placed, office_lock
from ..writers.notice import notice_villages, write_notice
from .context import Pass, Place
from .jobs import CopyJob, copy_job

log = logging.getLogger(__name__)
COPY, NOTICE = "copy", "notice"


def returned_copies(ctx: Pass, *, meanwhile: Callable[[], None] = lambda: None) -> None:
    """The returned copy of every village whose data (or whose neighbours' data) changed, the villages whose
    files arrived this pass first; copies that failed before are retried. `meanwhile`: work of the main
    process (the notices) done once the first copy is back, while the workers write the next ones, instead
    of alone after the last (a first copy is never kept waiting for it)."""
    store = ctx.store
    places = set(ctx.dirty) | store.pending.of(COPY)
    conflicts: dict[Place, list[Conflict]] = {place: [] for place in places}  # one read for them all
    for c in store.views.person_conflicts(places=places):
        conflicts[(c.town, c.village)].append(c)
    for found in list(conflicts.values()):  # a person newly in two villages: the other village's copy says so too
        places.update((c.other_town, c.other_village) for c in found)
    latest = store.submissions.latest_for_villages(places)  # one read for them all, not one a village
    subs: list[tuple[Submission, set[Place]]] = []
    seen: dict[int, set[Place]] = {}

    def jobs() -> Iterator[CopyJob]:  # made while the workers write the copies before it
        for town, village in sorted(places, key=lambda p: (p not in ctx.first, p)):
            sub = latest.get((town, village))
            if sub is None or not sub.archived_path:
                with store.atomic():
                    store.pending.done(COPY, [(town, village)])
                continue
            if sub.id in seen:
                seen[sub.id].add((town, village))
                continue
            seen[sub.id] = {(town, village)}
            subs.append((sub, seen[sub.id]))
            yield _copy_job(ctx, sub, conflicts)
        # every copy asked for: the ledger's log folded in while the workers write them (not in a pass with no
        # copy to write: an idle watcher's pass wrote nothing to fold in)
        if subs:
            store.checkpoint()

    done_meanwhile = False
    for i, placed in enumerate(ctx.runner.imap(copy_job, jobs())):
        sub, covered = subs[i]
        covered |= {(sub.town or "", v) for v in sub.villages}
        if isinstance(placed, Placed):
            _placed(ctx, sub, covered, placed)
        else:
            _failed(ctx, sub, covered, placed)
        if not done_meanwhile:
            done_meanwhile = True
            meanwhile()
    if not done_meanwhile:  # no copy due
        meanwhile()


def _copy_job(ctx: Pass, sub: Submission, conflicts: dict[Place, list[Conflict]]) -> CopyJob:
    """`conflicts`: person_conflicts() of the villages already looked at this stage. Its reads share one snapshot
    (PostgreSQL: one connection and transaction for the village's half-dozen reads, not one each)."""
    town = sub.town or ""
    keep = LEDGER_CODES - {"PERSON_OTHER_VILLAGE"}
    merged: dict[str, Status] = {}
    with ctx.store.snapshot():
        extra = [i for i in ctx.store.submissions.issues_of(sub.id) if i.code in keep]
        for v in sub.villages:
            extra += conflict_issues(ctx.store, town=town, village=v, conflicts=conflicts.get((town, v)))
            merged.update(statuses(ctx.store, ctx.config, town=town, village=v, as_of=ctx.today))
    village = sub.villages[0] if len(sub.villages) == 1 else _home(ctx, sub)
    out = ctx.ws.returned_copy_path(town, village, sub.file_name)
    assert sub.archived_path is not None
    return CopyJob(root=str(ctx.ws.root), archived=str(ctx.ws.path_of(sub.archived_path)), out=str(out), town=town,
                   file_name=sub.file_name, received=sub.received_at.strftime("%Y-%m-%d %H:%M:%S"),
                   statuses=merged, extra=extra, as_of=ctx.today, reading=ctx.readings.pop(sub.archived_path, None))


def _home(ctx: Pass, sub: Submission) -> str | None:
    """The village a file of several villages came from (its folder this pass, or where its copy went before);
    None for a file nobody can place in one village (a town's own merged file: the town's folder)."""
    home = ctx.homes.get(sub.archived_path or "")
    if home is None and sub.feedback_path:
        folder = ctx.ws.path_of(sub.feedback_path).parent
        if folder.parent == ctx.ws.town_feedback(sub.town or "") and folder != ctx.ws.town_private(sub.town or ""):
            home = folder.name
    return home


def _placed(ctx: Pass, sub: Submission, covered: set[Place], placed: Placed) -> None:
    ctx.report.outputs.append(placed)
    key = ctx.key(placed.path)
    with ctx.store.atomic():
        ctx.store.submissions.set_feedback(sub.id, key)
        ctx.store.outputs.remember(key, sha256_of(placed.path), "feedback", at=ctx.now())
        ctx.store.pending.done(COPY, covered)
    _drop_superseded_copies(ctx, placed.path)
    for place in covered:
        outcome = ctx.reissues.pop(place, None)
        if outcome is not None and not outcome.message.endswith(TEXT["process.reissued"]):
            outcome.message += TEXT["process.reissued"]
            outcome.feedback = placed.path
    for outcome in ctx.report.files:
        if outcome.feedback is None and outcome.status == "applied" and outcome.town == (sub.town or "") \
                and outcome.name == sub.file_name:
            outcome.feedback = placed.path


def _failed(ctx: Pass, sub: Submission, covered: set[Place], error: object) -> None:
    log.error(TEXT["process.log.feedback_failed"], sub.id,
              os_problem(error) if isinstance(error, OSError) else repr(error))
    reason = os_problem(error) if isinstance(error, OSError) else str(error) or type(error).__name__
    ctx.report.problems.append(TEXT["process.copy_failed"].format(
        town=sub.town or "", villages="、".join(sub.villages), name=sub.file_name, reason=reason))
    with ctx.store.atomic():
        ctx.store.pending.add(COPY, covered, at=ctx.now())
    for place in covered:
        outcome = ctx.reissues.pop(place, None)
        if outcome is not None:
            outcome.message += TEXT["process.reissue_failed"]


def _drop_superseded_copies(ctx: Pass, current: Path) -> None:
    """One returned copy per village file: an earlier copy of this village under another name, that nobody
    changed since we wrote it, goes (an edited one stays: it is the clerk's)."""
    for other in current.parent.glob(f"*{RETURNED_SUFFIX}*.xlsx"):
        if other == current or other.name.startswith((TEMP_PREFIX, "~$")) or office_lock(other) is not None:
            continue  # ours in the making, a lock file, or open in an office program: never taken away
        key = ctx.key(other)
        try:
            if ctx.store.outputs.sha_of(key) == sha256_of(other):
                other.unlink()
                with ctx.store.atomic():
                    ctx.store.outputs.forget(key)
        except OSError:
            continue


def notices(ctx: Pass, *, new_day: bool) -> None:
    """公示名单 change with a village's data, and with the date (a notice starts or ends)."""
    places = set(ctx.dirty) | ctx.store.pending.of(NOTICE)
    if new_day:
        places |= notice_villages(ctx.ws, ctx.store, ctx.today)
    written: list[Place] = []
    for town, village in sorted(places):
        try:
            placed = write_notice(ctx.ws, ctx.store, ctx.config, town, village, as_of=ctx.today)
        except OSError as exc:
            ctx.report.problems.append(TEXT["process.notice_failed"].format(town=town, village=village,
                                                                            reason=os_problem(exc)))
            with ctx.store.atomic():
                ctx.store.pending.add(NOTICE, [(town, village)], at=ctx.now())
            continue
        written.append((town, village))
        if placed is not None:
            ctx.report.outputs.append(placed)
    if written:  # one statement, one commit (a pass stopped before it writes them again: the same notices)
        with ctx.store.atomic():
            ctx.store.pending.done(NOTICE, written)
