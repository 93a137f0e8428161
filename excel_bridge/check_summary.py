"""What `check` prints of a file, as the child that read it sends it back: a module of its own, so that the
command, which only prints it, unpickles it without loading the checks or the settings' models (pydantic)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .issues import Issue


@dataclass(frozen=True)
class CheckSummary:
    """What `check` shows of a result, without the reading itself: the counts, the first `shown` issues (errors
    first, then by sheet and row), and with `with_json` the whole JSON report. Made in the child that read the file,
    it comes back in a few kilobytes where the full result (every cell read) is megabytes to pickle."""

    path: Path
    readable: bool
    sha256: str | None
    exit_code: int
    households: int
    members: int
    errors: int
    warnings: int
    issues: list[Issue]  # the first `shown`; an unreadable file's one issue
    more: int  # issues not among them
    proposed: int  # households the rules propose as leads
    parsed: bool = True  # False: read, but no village ledger (a national export: its one issue says what to do)
    json: dict[str, object] | None = None
