"""One village workbook end to end without a ledger: read → validate → assess → a CheckResult."""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .check_summary import CheckSummary
from .config import Config
from .consistency import consistency_issues
from .errors import UnreadableFile
from .isolate import Child, Died
from .issues import Issue, make_issue
from .messages import TEXT, render
from .read import ReadAhead, read_workbook
from .review_checks import review_issues
from .rules import Assessment, Assessor
from .validate import Household, Parsed, validate

if TYPE_CHECKING:
    from .national.reading import Found


@dataclass
class CheckResult:
    path: Path
    readable: bool
    sha256: str | None
    checked_at: dt.datetime
    issues: list[Issue]
    parsed: Parsed | None = None
    assessments: list[Assessment | None] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for i in self.issues if i.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for i in self.issues if i.severity == "warning")

    @property
    def valid(self) -> bool:
        return self.readable and self.errors == 0

    @property
    def exit_code(self) -> int:
        return 2 if not self.readable else (1 if self.errors else 0)

    @property
    def households(self) -> list[Household]:
        return self.parsed.households if self.parsed else []

    def pairs(self) -> list[tuple[Household, Assessment | None]]:
        return list(zip(self.households, self.assessments, strict=True))

    def counts_by_household(self) -> dict[int, tuple[int, int]]:
        """户信息 row → (errors, warnings) over the household's own row and its members, measures, reviews."""
        owner: dict[tuple[str, int], int] = {}
        for hh in self.households:
            owner[(hh.sheet, hh.row)] = hh.row
            for rec in (*hh.members, *hh.measures, *hh.reviews):
                owner[(rec.sheet, rec.row)] = hh.row
        counts: dict[int, list[int]] = {}
        for issue in self.issues:
            row = owner.get((issue.sheet or "", issue.row or 0))
            if row is not None:
                counts.setdefault(row, [0, 0])[0 if issue.severity == "error" else 1] += 1
        return {r: (c[0], c[1]) for r, c in counts.items()}

    def to_json(self) -> dict[str, object]:
        return {
            "file": str(self.path),
            "readable": self.readable,
            "valid": self.valid,
            "issues": [i.to_json() for i in self.issues],
            "households": [household_json(h, a) for h, a in self.pairs()],
        }


def household_json(hh: Household, a: Assessment | None) -> dict[str, object]:
    return {
        "head_id": hh.head_id,
        "household_id": hh.get("household_no"),
        "town": hh.get("town"),
        "village": hh.get("village"),
        "size": hh.get("size"),
        "per_capita_income": hh.per_capita_income,
        "line": hh.line,
        "rules": a.holds if a else [],
        "proposed": a.proposed if a else None,
        "category": a.category if a else None,
        "risk_types": a.risk_types if a else [],
        "priority": a.priority if a else False,
        "assistance": a.assistance if a else None,
        "scope": a.scope if a else None,
    }


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def unreadable_result(path: Path, exc: UnreadableFile, *, now: dt.datetime | None = None) -> CheckResult:
    issue = Issue(code=exc.code, severity="error", sheet=None, row=None, column=None, value=None,
                  message=str(exc), hint=exc.hint)
    return CheckResult(path=Path(path), readable=False, sha256=_sha256(path), checked_at=now or dt.datetime.now(),
                       issues=[issue])


def national_result(path: Path, config: Config, *, now: dt.datetime, max_bytes: int) -> CheckResult | None:
    """The national system's person-level export (issue 21): readable, one error saying what it is and that the
    district imports it (`excel-bridge import`); None when the file is no such export."""
    from .national.mapping import load_import_rules  # only for a file that is no village ledger:
    from .national.reading import look_at  # `check` of a village file does not pay for their import

    try:
        found, _ = look_at(path, load_import_rules(), config.schemas, max_bytes=max_bytes)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - read once already; whatever a second look meets, the first answer stands
        return None
    if found is None:
        return None
    return _national(path, found, now)


def _national(path: Path, found: Found, now: dt.datetime) -> CheckResult:
    where = TEXT["import.where_sheet" if found.sheet else "import.where_text"].format(sheet=found.sheet,
                                                                                      row=found.header_row)
    issue = make_issue("NATIONAL_EXPORT", sheet=found.sheet, row=found.header_row, where=where)
    return CheckResult(path=path, readable=True, sha256=_sha256(path), checked_at=now, issues=[issue])


def neither_result(path: Path, exc: UnreadableFile, config: Config, *, now: dt.datetime) -> CheckResult:
    """No village sheet found: a national export (readable, see national_result), else unreadable, the message
    naming the sheets, the likeliest header row of each and the template's columns in it."""
    from .national.mapping import load_import_rules
    from .national.reading import look_at

    try:
        found, looks = look_at(path, load_import_rules(), config.schemas)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException:  # noqa: BLE001 - a calamine panic included: the first answer stands
        return unreadable_result(path, exc, now=now)
    if found is None and exc.code == "FILE_FORMAT":
        return unreadable_result(path, exc, now=now)
    if found is not None:
        return _national(path, found, now)
    parts = [TEXT["check.look_fits"].format(sheet=look.sheet or TEXT["check.look_text"], row=look.header_row,
                                            columns="、".join(f"“{c}”" for c in look.fitting))
             if look.header_row else TEXT["check.look_none"].format(sheet=look.sheet or TEXT["check.look_text"])
             for look in looks]
    found_text = TEXT["check.look"].format(sheets="；".join(parts)) if parts else ""
    return unreadable_result(path, UnreadableFile(exc.code, str(exc) + found_text, exc.hint), now=now)


def folder_town_issues(parsed: Parsed, expected_town: str, config: Config) -> list[Issue]:
    """镇 typed in the file must match the town folder it was dropped into."""
    out: list[Issue] = []
    column = config.schemas.household.column("town").header
    for hh in parsed.households:
        town = hh.get("town")
        if town is not None and town != expected_town:
            out.append(make_issue("TOWN_FOLDER", sheet=hh.sheet, row=hh.row, column=column, value=town,
                                  expected=expected_town))
            hh.invalid.add("town")
    return out


def other_district_issues(parsed: Parsed, config: Config) -> list[Issue]:
    """A workbook whose hidden sheet names another district than the settings it is checked with."""
    theirs, ours = parsed.data.meta.get("区", ""), config.settings.district
    if not theirs or not ours or theirs == ours:
        return []
    return [make_issue("FILE_OTHER_DISTRICT", sheet=None, row=None, column=None, value=theirs, district=ours)]


def check_file(path: Path, config: Config, *, as_of: dt.date | None = None, expected_town: str | None = None,
               identified: dict[str, dt.date] | None = None, max_bytes: int | None = None,
               district: bool = False, ahead: ReadAhead | None = None) -> CheckResult:
    """Check one workbook. Never raises for bad input: an unusable file is a result with readable=False.
    `district`: a file from another district (its hidden sheet says) is an error naming both (`check`).
    `ahead`: the file being read already (the `check` command's child starts reading before the settings load)."""
    now = dt.datetime.now()
    limit = max_bytes or config.settings.max_file_mb * 1024 * 1024
    with collector_paused():
        try:
            data = read_workbook(Path(path), config.schemas, max_bytes=limit, ahead=ahead)
        except UnreadableFile as exc:
            if exc.code == "FILE_NOT_MONITORING" or (exc.code == "FILE_FORMAT" and Path(path).suffix.lower() == ".csv"):
                return neither_result(Path(path), exc, config, now=now)  # a national export (csv too)?
            return unreadable_result(path, exc, now=now)
        if "household" not in data.sheets:  # a village ledger always has 户信息; a national export has none
            national = national_result(Path(path), config, now=now, max_bytes=limit)
            if national is not None:
                return national
        parsed = validate(data, config)
        if district:
            parsed.issues[:0] = other_district_issues(parsed, config)
        return check_parsed(parsed, config, path=Path(path), as_of=as_of,
                            expected_town=expected_town, identified=identified, now=now)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a file is checked. Checking a 1,000-household village
    makes some 100,000 objects (cells, records, issues) that hold no reference cycles and live until the
    result is used; a collection in the middle scans them all for nothing: 5 ms in small collections, and up
    to 30 ms when a full one falls inside (measured in bench/check_village.py's process). Objects are still
    freed by reference counting as usual; the collector runs again afterwards (unless it was off before)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def check_parsed(parsed: Parsed, config: Config, *, path: Path, as_of: dt.date | None = None,
                 expected_town: str | None = None, identified: dict[str, dt.date] | None = None,
                 now: dt.datetime | None = None) -> CheckResult:
    """The rules and every check that needs only the file, applied to a workbook already read and
    validated: `check` and the processing workers both come through here, so a file gets one verdict.
    (The returned copy of a file just ingested reuses the worker's reading instead of reading it again.)"""
    now = now or dt.datetime.now()
    as_of = as_of or now.date()
    issues = list(parsed.issues)
    if expected_town is not None:
        issues.extend(folder_town_issues(parsed, expected_town, config))
    assessor = Assessor(config)
    known = identified or {}
    assessments: list[Assessment | None] = []
    for hh in parsed.households:
        when = known.get(hh.head_id or "")
        a = assessor.assess(hh, identified=when, as_of=as_of)
        issues.extend(consistency_issues(assessor, hh, a, identified=when, as_of=as_of))
        if not hh.duplicate:
            issues.extend(review_issues(hh, config, as_of=as_of))
        assessments.append(a)
    return CheckResult(path=path, readable=True, sha256=parsed.data.sha256, checked_at=now, issues=issues,
                       parsed=parsed, assessments=assessments)


def _read_limit(path: Path) -> CheckResult:
    return unreadable_result(Path(path), UnreadableFile("FILE_READ_LIMIT", *render("FILE_READ_LIMIT")))


def read_limit_summary(path: Path, *, shown: int, with_json: bool = False) -> CheckSummary:
    """The summary of a file whose reading took its child down (the memory cap, a crash in the reader)."""
    return summarize(_read_limit(path), shown=shown, with_json=with_json)


def summarize(result: CheckResult, *, shown: int, with_json: bool = False) -> CheckSummary:
    """The summary of a result that `check` prints (`with_json`: with its whole JSON report)."""
    ordered = sorted(result.issues, key=lambda i: (i.severity != "error", i.sheet or "", i.row or 0))
    parsed = result.parsed
    return CheckSummary(
        path=result.path, readable=result.readable, sha256=result.sha256, exit_code=result.exit_code,
        households=len(parsed.households) if parsed else 0, members=len(parsed.members) if parsed else 0,
        errors=result.errors, warnings=result.warnings, issues=ordered[:shown], more=max(0, len(ordered) - shown),
        proposed=sum(1 for a in result.assessments if a and a.proposed), parsed=parsed is not None,
        json=result.to_json() if with_json else None)


def _summary_in_child(ahead: ReadAhead | None, path: Path, config: Config, as_of: dt.date | None, shown: int,
                     with_json: bool) -> CheckSummary:
    return summarize(check_file(path, config, as_of=as_of, district=True, ahead=ahead), shown=shown,
                     with_json=with_json)


def isolated_summary(path: Path, config: Config, *, as_of: dt.date | None = None, shown: int,
                     with_json: bool = False) -> CheckSummary:
    """What `check` prints of a file, checked in a memory-capped child that starts reading it at once (ReadAhead)
    and sends back only the summary, not the reading; a file that takes the child down (memory cap, a crash in the
    reader) is one FILE_READ_LIMIT issue. (The `check` command runs its own child, which finds the settings too.)"""
    try:
        with Child(ReadAhead.start, Path(path), imports=(__name__,)) as child:
            summary: CheckSummary = child.call(_summary_in_child, Path(path), config, as_of, shown, with_json)
    except Died:
        return read_limit_summary(path, shown=shown, with_json=with_json)
    return summary
