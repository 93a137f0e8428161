"""The order pytest-xdist hands out test files under README's `--dist loadfile` (issue 23): the longest first.

xdist's own order is by number of tests, so a file of a few slow end-to-end tests (bench/crash.py in a subprocess,
a watcher, LibreOffice) could start last and leave one worker running it alone while the other idles. Here each
file's start is by its measured seconds, `file_seconds.json` beside this module; a file not in it (new, renamed)
counts its tests times the mean seconds of a test. The order changes when files start, never which tests run or
how: a stale table costs minutes, not a result.

Regenerate the table from a run of the whole suite with `--durations=0` (all tests, so every file has its sum):

    .venv/bin/python -m pytest -q -n 2 --dist loadfile --durations=0 > durations.log
    .venv/bin/python tests/file_order.py durations.log
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter, OrderedDict
from pathlib import Path
from typing import Any

import pytest

SECONDS = Path(__file__).with_name("file_seconds.json")
_DURATION = re.compile(r"^\s*([\d.]+)s (?:setup|call|teardown)\s+(?:\S+/)?(test_[^/\s]+\.py)::")


def file_seconds() -> dict[str, float]:
    """The measured seconds of each test file by its name (test_x.py), or nothing without the table."""
    try:
        return {str(k): float(v) for k, v in json.loads(SECONDS.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError):
        return {}


class LongestFirst(OrderedDict[str, dict[str, bool]]):
    """xdist's queue of work units (one per file under loadfile: its nodeids), handing out the longest expected first
    (ties: as queued): `popitem(last=False)` is how the scheduler takes the next unit. The units stay as xdist made
    them, so each file's tests run together and in order, on the worker's own collection."""

    def __init__(self, seconds: dict[str, float]) -> None:
        super().__init__()
        self.seconds = seconds

    def expected(self, scope: str) -> float:
        """A file's measured seconds, or its tests times the mean seconds of a test of the files measured."""
        name = Path(scope.split("::", 1)[0]).name
        if name in self.seconds:
            return self.seconds[name]
        known = [self.seconds[n] / len(ids) for n, ids in ((Path(k.split("::", 1)[0]).name, v) for k, v in self.items())
                 if n in self.seconds and ids]
        return (sum(known) / len(known) if known else 1.0) * len(self[scope])

    def popitem(self, last: bool = True) -> tuple[str, dict[str, bool]]:
        if last or not self:
            return super().popitem(last)
        scope = max(self, key=self.expected)  # (max keeps the first of equals)
        return scope, self.pop(scope)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under `--dist loadfile`, xdist's file scheduling with the files handed out longest first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    scheduler = LoadFileScheduling(config, log)
    scheduler.workqueue = LongestFirst(file_seconds())
    return scheduler


def main(log: Path) -> None:
    """Write file_seconds.json from a `--durations=0` log: each file's setup, call and teardown seconds summed."""
    total: Counter[str] = Counter()
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        if m := _DURATION.match(line):
            total[m.group(2)] += float(m.group(1))
    if not total:
        raise SystemExit(f"{log}: no --durations=0 lines")
    table = {name: round(s, 1) for name, s in sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))}
    SECONDS.write_text(json.dumps(table, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(f"{SECONDS}: {len(table)} files, {sum(table.values()):.0f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
