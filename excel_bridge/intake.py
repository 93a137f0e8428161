"""What is in the inbox: which files to process, which to ignore, which are still being copied, and the
archive every original goes into (by SHA-256) before anything else happens to it.

The inbox is untrusted: a link is never followed (a link to a workbook elsewhere would put that
workbook's data into the town's folder), a name may hold newlines or be too long to copy as it is, and
nothing here reads a file's contents beyond its first bytes (the reading happens in worker processes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import stat
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .messages import TEXT
from .read import SPREADSHEET_SUFFIXES
from .settings import DistrictSettings
from .workspace import INBOX_NOTE, NOTE_SUFFIX, TOWN_ONLY, Workspace, short_stem
from .writers.common import TEMP_PREFIX

LOCK_PREFIXES = ("~$", ".~lock", TEMP_PREFIX, "~", ".")
TEMP_SUFFIXES = frozenset({".tmp", ".temp", ".crdownload", ".part", ".partial", ".download", ".bak", ".swp",
                           ".wbk", ".~tmp"})
INCOMPLETE_GRACE_SECONDS = 120  # a zip without its end record is "still copying" for this long
DEPARTMENT_SUFFIXES = SPREADSHEET_SUFFIXES | {".csv", ".txt"}

# where a file was found: a village's drop (收件箱/<镇>/…), the town's own (收件箱/<镇>/镇级/), a department's list
VILLAGE_ZONE, TOWN_ZONE, DEPARTMENT_ZONE = "village", "town", "department"


@dataclass(frozen=True)
class Candidate:
    path: Path
    town: str  # the town folder it was found in ("" for the master, the department for a department list)
    size: int
    mtime_ns: int
    zone: str = VILLAGE_ZONE
    folder: str | None = None  # the first sub-folder under the town's inbox (a village's own folder), if any

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Scan:
    candidates: list[Candidate] = field(default_factory=list)
    notes: dict[str | None, list[str]] = field(default_factory=dict)  # town (None = inbox root) → lines

    def note(self, town: str | None, line: str) -> None:
        self.notes.setdefault(town, []).append(line)

    @property
    def skipped(self) -> list[tuple[str | None, str]]:
        """Everything noted, for the terminal: (town or None, line)."""
        return [(town, line) for town, lines in self.notes.items() for line in lines]


def is_lock_or_temp(name: str) -> bool:
    """Office lock files, hidden files and half-downloaded temporaries: ignored without a word."""
    lower = name.lower()
    return name.startswith(LOCK_PREFIXES) or Path(lower).suffix in TEMP_SUFFIXES or lower.endswith("~")


def shown(name: str) -> str:
    """A file name as it may appear in a line of text: control characters (a newline in a name would
    forge a line of the report) shown as "?"."""
    return "".join("?" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in name)


def _is_link(entry: os.DirEntry) -> bool:
    try:
        if entry.is_symlink():
            return True
        # a Windows junction or other reparse point is a link too
        attrs = getattr(entry.stat(follow_symlinks=False), "st_file_attributes", 0)
        return bool(attrs & getattr(stat, "FILE_ATTRIBUTE_REPARSE_POINT", 0))
    except OSError:
        return True


def _walk(folder: Path) -> list[tuple[Path, os.stat_result | None, bool]]:
    """(path, stat, is_link) of every file under folder, never following a link (a linked folder is
    reported as one entry, not entered)."""
    out: list[tuple[Path, os.stat_result | None, bool]] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return out
    for entry in entries:
        path = Path(entry.path)
        if _is_link(entry):
            out.append((path, None, True))
        elif entry.is_dir(follow_symlinks=False):
            out += _walk(path)
        elif entry.is_file(follow_symlinks=False):
            try:
                out.append((path, entry.stat(follow_symlinks=False), False))
            except OSError:
                continue
    return out


def scan_inbox(ws: Workspace, settings: DistrictSettings) -> Scan:
    scan = Scan()
    if ws.inbox.is_dir():
        for entry in sorted(os.scandir(ws.inbox), key=lambda e: e.name):
            if is_lock_or_temp(entry.name) or entry.name == INBOX_NOTE:
                continue
            if _is_link(entry):
                scan.note(None, TEXT["intake.link"].format(name=shown(entry.name)))
            elif entry.is_file(follow_symlinks=False):
                scan.note(None, TEXT["intake.loose_file"].format(name=shown(entry.name)))
            elif entry.name not in settings.towns:
                scan.note(None, TEXT["intake.unknown_town"].format(name=shown(entry.name)))
            else:
                _scan_town(ws, scan, entry.name)
    _scan_departments(ws, scan)
    return scan


def _scan_town(ws: Workspace, scan: Scan, town: str) -> None:
    base = ws.town_inbox(town)
    for path, st, link in _walk(base):
        rel_parts = path.relative_to(base).parts
        shown_rel = shown("/".join(rel_parts))
        if any(is_lock_or_temp(part) for part in rel_parts):
            continue
        if link:
            scan.note(town, TEXT["intake.link"].format(name=shown_rel))
            continue
        if path.suffix.lower() not in SPREADSHEET_SUFFIXES:
            scan.note(town, TEXT["intake.not_spreadsheet"].format(name=shown_rel))
            continue
        zone = TOWN_ZONE if rel_parts[0] == TOWN_ONLY and len(rel_parts) > 1 else VILLAGE_ZONE
        folder = rel_parts[0] if len(rel_parts) > 1 and zone == VILLAGE_ZONE else None
        assert st is not None
        scan.candidates.append(Candidate(path, town, st.st_size, st.st_mtime_ns, zone, folder))


def _scan_departments(ws: Workspace, scan: Scan) -> None:
    if not ws.departments.is_dir():
        return
    for path, st, link in _walk(ws.departments):
        rel_parts = path.relative_to(ws.departments).parts
        if any(is_lock_or_temp(part) for part in rel_parts) or path.name.endswith(f"{NOTE_SUFFIX}.txt"):
            continue
        department = rel_parts[0] if len(rel_parts) > 1 else ""
        if link:
            scan.note(None, TEXT["intake.link"].format(name=shown("部门数据/" + "/".join(rel_parts))))
            continue
        if path.suffix.lower() not in DEPARTMENT_SUFFIXES:
            continue
        assert st is not None
        scan.candidates.append(Candidate(path, department, st.st_size, st.st_mtime_ns, DEPARTMENT_ZONE))


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


def archive(ws: Workspace, path: Path, received: dt.datetime) -> tuple[str, Path]:
    """Copy the original into 归档/<年-月>/<hash>_<name> (once per content), hashing the copy, not the file
    (which may be saved again meanwhile); returns (sha256, the archived file)."""
    folder = ws.archive / received.strftime("%Y-%m")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".part", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with open(path, "rb") as src, open(tmp, "wb") as dst:  # a link is never followed here (scan refused it)
            shutil.copyfileobj(src, dst, 1 << 20)
        shutil.copystat(path, tmp)
        sha = sha256_of(tmp)
        existing = next(iter(ws.archive.glob(f"*/{sha[:16]}_*")), None)
        if existing is not None:
            return sha, existing
        target = folder / f"{sha[:16]}_{short_stem(path.stem)}{path.suffix}"
        os.replace(tmp, target)
        return sha, target
    finally:
        tmp.unlink(missing_ok=True)


def write_notes(ws: Workspace, settings: DistrictSettings, scan: Scan, extra: dict[str, list[str]]) -> None:
    """One note per town's own folder listing what in its inbox was not processed (removed when none)."""
    for town in settings.towns:
        _write_note(ws.inbox_note_path(town), [*scan.notes.get(town, []), *extra.get(town, [])])
    _write_note(ws.inbox_note_path(None), scan.notes.get(None, []))


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
