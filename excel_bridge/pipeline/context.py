"""What one pass carries from stage to stage, and what it reports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..intake import Candidate
from ..runner import Runner
from ..workspace import Workspace
from ..writers.common import Placed

if TYPE_CHECKING:
    from ..store import Store  # a worker importing pipeline.jobs loads no SQLAlchemy

Place = tuple[str, str]  # (town, village)


@dataclass
class FileOutcome:
    name: str
    town: str
    status: str  # applied / duplicate / refused / unreadable / failed / decisions / department
    message: str = ""
    errors: int = 0
    warnings: int = 0
    households: int = 0
    feedback: Path | None = None
    say_where: bool = False  # the terminal line names the returned copy's folder (a file not of one listed village)


@dataclass
class PassReport:
    files: list[FileOutcome] = field(default_factory=list)
    outputs: list[Placed] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # outputs that could not be written (retried next pass)
    skipped: list[str] = field(default_factory=list)  # what lies in an inbox and is not processed, every pass
    waiting: int = 0  # files still being copied; the next pass looks again
    writing: bool = False  # the town workbooks and the master are still being written in the background
    deferred: bool = False  # decision workbooks saved in place were not looked at (being rewritten): look again soon
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.files)


@dataclass
class Item:
    """A stable file taken from an inbox (or a decision workbook saved in place), archived."""

    cand: Candidate
    sha: str
    archived: Path
    received: dt.datetime
    in_place: bool = False  # a town's review workbook or the master, saved where the system wrote it

    @property
    def name(self) -> str:
        return self.cand.path.name

    @property
    def town(self) -> str:
        return self.cand.town


@dataclass
class Pass:
    ws: Workspace
    store: Store
    config: Config
    runner: Runner
    today: dt.date
    report: PassReport
    dirty: set[Place] = field(default_factory=set)  # villages whose returned copy must be written
    first: set[Place] = field(default_factory=set)  # of those, the villages whose files arrived now (first out)
    readings: dict[str, bytes] = field(default_factory=dict)  # archived path → the reading made this pass (packed)
    reissues: dict[Place, FileOutcome] = field(default_factory=dict)  # duplicates whose copy is re-issued
    homes: dict[str, str] = field(default_factory=dict)  # archived path → the village a file came from

    def now(self) -> dt.datetime:
        return dt.datetime.now().replace(microsecond=0)

    def key(self, path: Path) -> str:
        return self.ws.key(path)
