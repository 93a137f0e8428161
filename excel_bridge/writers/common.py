"""Shared pieces of every workbook we write: colours, widths, the meta sheet, and atomic placement."""

from __future__ import annotations

import datetime as dt
import logging
import math
import os
import tempfile
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..messages import TEXT

log = logging.getLogger(__name__)

LIST_SHEET = "下拉选项"
TEMP_PREFIX = ".~eb-"  # our temporaries beside the file they become (never read, removed when left over)
SPOOL_PREFIX = "eb-rows-"  # the master's row spools in 系统/tmp (fastsheet)
ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFEB9C"
HEADER_FILL = "DDEBF7"
SYSTEM_FILL = "E7E6E6"
OK_FILL = "C6EFCE"
TO_FILL = "CCC0DA"  # a pre-filled workbook's cells left for the clerk to fill
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_INPUT_ROWS = 10000  # data validation and formats reach this far below the header


def display_width(text: object) -> int:
    """Width in Excel character units: CJK and full-width characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


LINE_HEIGHT = 14  # points a line of 10–11 pt text takes in a row


def text_lines(text: object, width: float) -> int:
    """Lines a text wraps onto in a column `width` character units wide."""
    if text is None or text == "":
        return 1
    room = max(1.0, width - 1.5)
    text = str(text)
    if len(text) * 2 <= room and "\n" not in text:  # fits whatever its characters (the common case: no scan)
        return 1
    return sum(max(1, math.ceil(display_width(part) / room)) for part in text.split("\n"))


def wrapped_height(values: Sequence[object], widths: Mapping[int, float]) -> float | None:
    """The height (points) a row needs to show the wrapped text of the columns in `widths` (index → width)
    whole, or None when one line is enough. Set explicitly, because LibreOffice does not grow a row for
    wrapped text when it opens an .xlsx, and a printed row would show the first line only."""
    lines = max((text_lines(values[c], w) for c, w in widths.items() if c < len(values)), default=1)
    return LINE_HEIGHT * lines + 3 if lines > 1 else None


class WrappedHeights:
    """wrapped_height for the many rows of one table: the lines of each (column, text) counted once and remembered
    (a district's 家庭成员 repeats a few dozen choices in its wrapped columns over hundreds of thousands of rows;
    at most `remember` texts are kept, so free text cannot make it grow without bound)."""

    def __init__(self, widths: Mapping[int, float], *, remember: int = 50_000) -> None:
        self.widths = sorted(widths.items())
        self.lines: dict[tuple[int, str], int] = {}
        self.remember = remember

    def __call__(self, values: Sequence[object]) -> float | None:
        most, known, count = 1, self.lines, len(values)
        for c, width in self.widths:
            if c >= count:
                continue
            value = values[c]
            if value is None or value == "":
                continue
            if type(value) is str:
                lines = known.get((c, value))
                if lines is None:
                    lines = text_lines(value, width)
                    if len(known) < self.remember:
                        known[(c, value)] = lines
            else:
                lines = text_lines(value, width)
            if lines > most:
                most = lines
        return LINE_HEIGHT * most + 3 if most > 1 else None


def fit_width(header: str, wanted: float, values: list[object] | None = None, *, cap: float = 40) -> float:
    longest = 0
    for value in values or ():
        if value is None:
            continue
        text = str(value)
        if 2 * len(text) > longest:  # else it cannot be wider than the widest so far: not measured
            longest = max(longest, display_width(text))
    return min(cap, max(wanted, display_width(header) + 2, longest + 1))


def meta_rows(kind: str, version: str, **fields: object) -> list[tuple[str, str]]:
    rows = [("模板编号", kind), ("模板版本", version)]
    rows += [(k, "" if v is None else str(v)) for k, v in fields.items()]
    rows.append(("生成时间", dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")))
    return rows


@dataclass(frozen=True)
class Placed:
    """Where a workbook ended up: the target, or a side file when the target was locked (`lock`: the office
    lock file that said it is open, when that was the reason). `kept`: nothing was written, the workbook in place
    being what it would have been; `digest`: what its writer asked of XlsxWriter (writers.digest), when known."""

    path: Path
    locked: bool = False
    lock: Path | None = None
    kept: bool = False
    digest: str | None = None


def office_lock_names(name: str) -> list[str]:
    """The lock files an office program keeps beside a workbook named `name` while it is open: LibreOffice's
    `.~lock.<name>#`; Excel's and WPS's `~$<name>` (Word-style owner files replace the first one or two
    characters of a longer name with `~$`, so those forms count too); WPS on Linux's `.~<name>`."""
    return list(dict.fromkeys([f".~lock.{name}#", f"~${name}", f"~${name[1:]}", f"~${name[2:]}", f".~{name}"]))


def office_lock(target: Path) -> Path | None:
    """The office lock file beside `target` saying someone has it open, if there is one."""
    for name in office_lock_names(Path(target).name):
        lock = Path(target).with_name(name)
        if lock.is_file():
            return lock
    return None


def os_error_in(exc: BaseException) -> OSError | None:
    """The OSError behind a failed write: the exception itself, or the one a library wrapped (XlsxWriter's
    FileCreateError carries it as its argument) or raised from."""
    seen: list[BaseException] = []
    todo: list[object] = [exc]
    while todo:
        e = todo.pop()
        if not isinstance(e, BaseException) or any(e is s for s in seen):
            continue
        if isinstance(e, OSError):
            return e
        seen.append(e)
        todo += [*e.args, e.__cause__, e.__context__]
    return None


def _release_quietly(exc: BaseException) -> None:
    """Drop what the failed writer's frames still hold (an open zip file, which would try to finish itself
    when collected and print a traceback about the full disk): closed now, its error only logged."""
    import sys
    import traceback

    def hook(unraisable: sys.UnraisableHookArgs) -> None:
        log.info(TEXT["place.log.unfinished"], unraisable.exc_value)

    previous, sys.unraisablehook = sys.unraisablehook, hook
    try:
        e: BaseException | None = exc
        while e is not None:
            if e.__traceback__ is not None:
                traceback.clear_frames(e.__traceback__)
            e = e.__context__
    finally:
        sys.unraisablehook = previous


def place_atomically(target: Path, write: Callable[[Path], object], *, now: dt.datetime | None = None,
                     only_if: Callable[[Path], bool] | None = None,
                     before_replace: Callable[[Path, Path], None] | None = None) -> Placed:
    """Write to a temporary file beside the target, then move it into place in one step.

    When the target is open — an office lock file beside it (LibreOffice, WPS, Excel: `office_lock`), or
    Excel on Windows making the move raise PermissionError — the new workbook is kept as
    “<name>(更新于HHMMSS).xlsx” beside it instead, and the caller reports that. Nothing is lost.
    `only_if(target)` False (a decision workbook someone saved after we read it) also keeps the target
    and writes the side file. `before_replace(tmp, final)` runs just before the finished file takes its
    name (the pass records what it wrote before anybody can see the file).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        try:
            write(tmp)
        except Exception as exc:
            if os_error_in(exc) is not None:  # a full disk: the writer's half-written zip is closed quietly
                _release_quietly(exc)
            raise
        # mkstemp makes the file private (0600); a shared folder needs it readable like any saved file
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        os.chmod(tmp, mode)
        lock = office_lock(target) if target.exists() else None
        if lock is None:
            try:
                if only_if is not None and target.exists() and not only_if(target):
                    raise PermissionError("target changed since it was read")
                if before_replace is not None:
                    before_replace(tmp, target)
                os.replace(tmp, target)
                return Placed(target)
            except PermissionError:
                pass
        stamp = (now or dt.datetime.now()).strftime("%H%M%S")
        side = target.with_name(f"{target.stem}(更新于{stamp}){target.suffix}")
        if before_replace is not None:
            before_replace(tmp, side)
        os.replace(tmp, side)
        if lock is None:
            log.warning(TEXT["place.log.side_copy"], side.name)
        else:
            log.warning(TEXT["place.log.side_copy_lock"], target.name, lock.name, side.name)
        return Placed(side, locked=True, lock=lock)
    finally:
        if tmp.exists():
            tmp.unlink()
