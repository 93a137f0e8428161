"""The workspace kept tidy around the passes: leftovers of a pass that was killed, files moved into the
current folder layout (an older workspace, on its next pass), and processed files taken out of the inbox."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from ..intake import Candidate, shown
from ..messages import TEXT
from ..workspace import (
    FEEDBACK,
    INBOX_NOTE,
    NOTICE_SUFFIX,
    RETURNED_SUFFIX,
    REVIEW_SUFFIX,
    TOWN_ONLY,
    UNREADABLE_SUFFIX,
    Workspace,
)
from ..writers.common import SPOOL_PREFIX, TEMP_PREFIX
from .context import Pass

log = logging.getLogger(__name__)
LAYOUT = "2"  # 反馈/<镇>/<村>/ for each village, 反馈/<镇>/镇级/ and 收件箱/<镇>/镇级/ for the town
STALE_TEMP_SECONDS = 3600


def clear_leftovers(ws: Workspace, *, writing: bool) -> None:
    """A pass killed while writing leaves `.~eb-*` temporaries beside its outputs and row spools in 系统/tmp
    (they hold ID numbers and health facts): removed — all of them when no writer is at work, else only
    those an hour old (a writer's own files are young)."""
    now = time.time()
    folders = [ws.temp_dir, ws.district_dir, ws.archive, ws.root / FEEDBACK]
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob(f"{TEMP_PREFIX}*"):
            _remove_stale(path, now, writing)
    if ws.temp_dir.is_dir() and not writing:
        for path in ws.temp_dir.glob(f"{SPOOL_PREFIX}*"):
            path.unlink(missing_ok=True)


def _remove_stale(path: Path, now: float, writing: bool) -> None:
    try:
        if not writing or now - path.stat().st_mtime > STALE_TEMP_SECONDS:
            path.unlink()
    except OSError:
        pass


def remove_if_unchanged(cand: Candidate) -> None:
    """Take a processed file out of the inbox — unless it was saved again meanwhile (then the next pass
    takes the new version)."""
    path = cand.path
    try:
        st = path.stat()
        if (st.st_size, st.st_mtime_ns) != (cand.size, cand.mtime_ns):
            log.info(TEXT["process.log.saved_again"], shown(path.name))
            return
        path.unlink()
    except FileNotFoundError:
        pass
    except OSError as exc:  # locked on Windows: the next pass sees the same content and only re-issues
        log.warning(TEXT["process.log.not_removed"], shown(path.name), exc)


def migrate_layout(ctx: Pass) -> None:
    """An older workspace, once: returned copies and 公示名单 into each village's folder, the town's review
    workbook and notes into 反馈/<镇>/镇级/, and the ledger's paths made workspace-relative (a copied
    workspace must never read the original's archive). Nothing is deleted; what cannot move stays."""
    store, ws = ctx.store, ctx.ws
    if store.meta.get("layout") == LAYOUT:
        return
    subs = store.submissions.all()
    with store.atomic():
        for sub in subs:
            archived = _relative(ws, sub.archived_path)
            feedback = _relative(ws, sub.feedback_path)
            if (archived, feedback) != (sub.archived_path, sub.feedback_path):
                store.submissions.set_paths(sub.id, archived_path=archived, feedback_path=feedback)
    by_copy = {s.feedback_path: s for s in store.submissions.all() if s.feedback_path}
    for town in ctx.config.settings.towns:
        folder = ws.town_feedback(town)
        if not folder.is_dir():
            continue
        for path in sorted(p for p in folder.iterdir() if p.is_file()):
            target = _new_place(ws, town, path, by_copy)
            if target is not None:
                _move(ctx, path, target, by_copy.get(ws.key(path)))
    with store.atomic():
        store.meta.set("layout", LAYOUT)


def _relative(ws: Workspace, stored: str | None) -> str | None:
    """A stored path made workspace-relative: one under this workspace, or one of a workspace this one was
    copied from whose file is in this workspace's archive (by its name); otherwise left as it was."""
    if not stored or not Path(stored).is_absolute():
        return stored
    path = Path(stored)
    key = ws.key(path)
    if not Path(key).is_absolute():
        return key
    for ours in (ws.archive / path.parent.name / path.name, ws.archive / path.name):
        if ours.exists():
            return ws.key(ours)
    return stored


def _new_place(ws: Workspace, town: str, path: Path, by_copy: dict) -> Path | None:
    name = path.name
    if name.startswith(f"{town}{REVIEW_SUFFIX}") or name == INBOX_NOTE or name.endswith(f"{UNREADABLE_SUFFIX}.txt"):
        return ws.town_private(town) / name
    if name.endswith(f"{NOTICE_SUFFIX}.xlsx"):
        return ws.notice_path(town, name.removesuffix(f"{NOTICE_SUFFIX}.xlsx"))
    if RETURNED_SUFFIX in name and name.endswith(".xlsx"):
        sub = by_copy.get(ws.key(path))
        village = sub.villages[0] if sub is not None and len(sub.villages) == 1 else None
        return ws.returned_copy_path(town, village, sub.file_name) if sub is not None else \
            ws.town_private(town) / name
    return None


def _move(ctx: Pass, path: Path, target: Path, sub) -> None:
    if target.exists() or target == path:
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        path.rename(target)
    except OSError as exc:
        log.warning(TEXT["process.log.not_moved"], shown(path.name), exc)
        return
    old, new = ctx.ws.key(path), ctx.ws.key(target)
    with ctx.store.atomic():
        ctx.store.outputs.rename(old, new)
        if sub is not None:
            ctx.store.submissions.set_paths(sub.id, archived_path=sub.archived_path, feedback_path=new)


__all__ = ["TOWN_ONLY", "clear_leftovers", "migrate_layout", "remove_if_unchanged"]
