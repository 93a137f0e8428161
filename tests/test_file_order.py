"""README's `--dist loadfile` hands out the longest files first (tests/file_order.py, issue 23)."""

from __future__ import annotations

import json
import re

from file_order import file_seconds, longest_first, main


def test_files_start_longest_first_each_files_tests_together_and_in_order():
    ids = ["tests/test_a.py::one", "tests/test_a.py::two", "tests/test_b.py::one", "tests/test_c.py::one[x]",
           "tests/test_c.py::one[y]", "tests/test_c.py::two"]
    # b is measured longest; a and c are not in the table: each of their tests counts b's mean (30 s), c has 3
    assert longest_first(ids, {"test_b.py": 30.0}) == [
        "tests/test_c.py::one[x]", "tests/test_c.py::one[y]", "tests/test_c.py::two", "tests/test_a.py::one",
        "tests/test_a.py::two", "tests/test_b.py::one"]
    assert longest_first(ids, {"test_b.py": 100.0, "test_a.py": 1.0, "test_c.py": 2.0}) == [
        "tests/test_b.py::one", "tests/test_c.py::one[x]", "tests/test_c.py::one[y]", "tests/test_c.py::two",
        "tests/test_a.py::one", "tests/test_a.py::two"]
    # without a table: by number of tests (xdist's own order), ties as collected
    assert longest_first(ids, {}) == [ids[3], ids[4], ids[5], ids[0], ids[1], ids[2]]


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
