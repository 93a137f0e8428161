"""README's `--dist loadfile` hands out the longest files first (tests/file_order.py, issue 23)."""

from __future__ import annotations

import json
import re

from file_order import LongestFirst, file_seconds, main


def order(units: dict[str, int], seconds: dict[str, float]) -> list[str]:
    """The files in the order xdist's scheduler takes them from the queue (popitem(last=False), as it does)."""
    queue = LongestFirst(seconds)
    for scope, tests in units.items():  # as xdist fills it: each file's nodeids, none done yet
        queue[scope] = {f"{scope}::test_{i}": False for i in range(tests)}
    taken = []
    while queue:
        scope, unit = queue.popitem(last=False)
        assert list(unit) == [f"{scope}::test_{i}" for i in range(units[scope])]  # the unit as queued, in order
        taken.append(scope)
    return taken


def test_files_are_taken_longest_first_each_as_queued():
    units = {"tests/test_a.py": 2, "tests/test_b.py": 1, "tests/test_c.py": 3}
    # b is measured (30 s a test); a and c are not: each of their tests counts the measured mean, c has 3
    assert order(units, {"test_b.py": 30.0}) == ["tests/test_c.py", "tests/test_a.py", "tests/test_b.py"]
    assert order(units, {"test_b.py": 100.0, "test_a.py": 1.0, "test_c.py": 2.0}) == [
        "tests/test_b.py", "tests/test_c.py", "tests/test_a.py"]
    # without a table: by number of tests (xdist's own order), ties as queued
    assert order(units | {"tests/test_d.py": 2}, {}) == [
        "tests/test_c.py", "tests/test_a.py", "tests/test_d.py", "tests/test_b.py"]
    # taking from the end (last=True) is untouched
    queue = LongestFirst({})
    queue["x"], queue["y"] = {"x::t": False}, {"y::t": False, "y::u": False}
    assert queue.popitem() == ("y", {"y::t": False, "y::u": False})


def test_the_table_is_written_from_a_durations_log_and_covers_this_checkout(tmp_path, monkeypatch):
    table = file_seconds()
    assert table and all(re.fullmatch(r"test_\w+\.py", name) and seconds >= 0 for name, seconds in table.items())
    assert "test_file_order.py" in table or len(table) > 50  # (a file not in it yet counts its tests instead)

    log = tmp_path / "durations.log"
    log.write_text("============ slowest durations ============\n"
                   "12.50s call     tests/test_b.py::test_one[sqlite]\n"
                   "0.50s setup    tests/test_b.py::test_one[sqlite]\n"
                   "3.00s teardown tests/test_a.py::test_two\n"
                   "(1 durations < 0.005s hidden.  Use -vv to show these durations.)\n", encoding="utf-8")
    written = tmp_path / "file_seconds.json"
    monkeypatch.setattr("file_order.SECONDS", written)
    main(log)
    assert json.loads(written.read_text(encoding="utf-8")) == {"test_b.py": 13.0, "test_a.py": 3.0}
