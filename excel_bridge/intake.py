"""What is in the inbox: which files to process, which to ignore, which are still being copied, and the
archive every original goes into (by SHA-256) before anything else happens to it."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .messages import TEXT
from .read import SPREADSHEET_SUFFIXES
from .settings import DistrictSettings
from .workspace import Workspace

LOCK_PREFIXES = ("~$", ".~lock", "~", ".")
TEMP_SUFFIXES = frozenset({".tmp", ".temp", ".crdownload", ".part", ".partial", ".download", ".bak", ".swp",
                           ".wbk", ".~tmp"})
INCOMPLETE_GRACE_SECONDS = 120  # a zip without its end record is "still copying" for this long
NOTE_NAME = "收件箱说明.txt"


@dataclass(frozen=True)
class Candidate:
    path: Path
    town: str
    size: int
    mtime_ns: int


@dataclass
class Scan:
    candidates: list[Candidate] = field(default_factory=list)
    notes: dict[str | None, list[str]] = field(default_factory=dict)  # town (None = inbox root) → lines

    def note(self, town: str | None, line: str) -> None:
        self.notes.setdefault(town, []).append(line)


def is_lock_or_temp(name: str) -> bool:
    """Office lock files, hidden files and half-downloaded temporaries: ignored without a word."""
    lower = name.lower()
    return name.startswith(LOCK_PREFIXES) or Path(lower).suffix in TEMP_SUFFIXES or lower.endswith("~")


def scan_inbox(ws: Workspace, settings: DistrictSettings) -> Scan:
    scan = Scan()
    if not ws.inbox.is_dir():
        return scan
    for entry in sorted(ws.inbox.iterdir()):
        if is_lock_or_temp(entry.name) or entry.name == NOTE_NAME:
            continue
        if entry.is_file():
            scan.note(None, TEXT["intake.loose_file"].format(name=entry.name))
            continue
        if entry.name not in settings.towns:
            scan.note(None, TEXT["intake.unknown_town"].format(name=entry.name))
            continue
        for path in sorted(p for p in entry.rglob("*") if p.is_file()):
            rel_parts = path.relative_to(entry).parts
            if any(is_lock_or_temp(part) for part in rel_parts):
                continue
            if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
                scan.note(entry.name, TEXT["intake.not_spreadsheet"].format(name="/".join(rel_parts)))
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            scan.candidates.append(Candidate(path, entry.name, st.st_size, st.st_mtime_ns))
    return scan


class Stability:
    """A file is complete once its size and mtime are unchanged over two polls and it can be opened."""

    def __init__(self) -> None:
        self.seen: dict[Path, tuple[int, int]] = {}

    def observe(self, candidates: list[Candidate]) -> list[Candidate]:
        """Record this poll; return the candidates unchanged since the previous poll."""
        stable = []
        current: dict[Path, tuple[int, int]] = {}
        for c in candidates:
            sig = (c.size, c.mtime_ns)
            current[c.path] = sig
            if self.seen.get(c.path) == sig and c.size > 0 and _can_open(c.path) and _looks_complete(c):
                stable.append(c)
        self.seen = current
        return stable


def _can_open(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:  # on Windows a file still being copied is locked
            fh.read(1)
        return True
    except OSError:
        return False


def _looks_complete(c: Candidate) -> bool:
    """A zip-based workbook without its end record is still being written — unless it has sat for a while."""
    age = dt.datetime.now().timestamp() - c.mtime_ns / 1e9
    if age > INCOMPLETE_GRACE_SECONDS:
        return True
    try:
        with open(c.path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    if head.startswith(b"PK"):
        return zipfile.is_zipfile(c.path)
    return True


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def archive(ws: Workspace, path: Path, sha: str, received: dt.datetime) -> Path:
    """Copy the original into 归档/<年-月>/<hash>_<name> (once per content) and return where it is."""
    folder = ws.archive / received.strftime("%Y-%m")
    folder.mkdir(parents=True, exist_ok=True)
    existing = list(ws.archive.glob(f"*/{sha[:16]}_*"))
    if existing:
        return existing[0]
    target = folder / f"{sha[:16]}_{path.name}"
    tmp = target.with_name(".~eb-" + target.name)
    shutil.copy2(path, tmp)
    os.replace(tmp, target)
    return target


def write_notes(ws: Workspace, settings: DistrictSettings, scan: Scan, extra: dict[str, list[str]]) -> None:
    """One note per town feedback folder listing what in its inbox was not processed (removed when none)."""
    for town in settings.towns:
        _write_note(ws.town_feedback(town) / NOTE_NAME, [*scan.notes.get(town, []), *extra.get(town, [])])
    _write_note(ws.inbox / NOTE_NAME, scan.notes.get(None, []))


def _write_note(note: Path, lines: list[str]) -> None:
    """Write the note only when what it says changes (a rewrite would wake a watcher for nothing)."""
    body = "\r\n".join(lines) + "\r\n"
    current = None
    try:
        with open(note, encoding="utf-8-sig", newline="") as fh:  # keep the \r\n the note was written with
            current = fh.read().split("\r\n", 1)[-1]
    except OSError:
        pass
    if not lines:
        if note.exists():
            note.unlink()
    elif body != current:
        note.parent.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
        note.write_text(TEXT["intake.note_title"].format(stamp=stamp) + "\r\n" + body, encoding="utf-8-sig",
                        newline="")
