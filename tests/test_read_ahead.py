"""`check` reads the file before it knows how to judge it: its child starts a ReadAhead on the file, then loads the
settings and the checks while the file is read (issue 23: the CLI's wait). A reading taken from a ReadAhead must be
the reading read_workbook makes on its own, file for file, error for error; and the child that serves it (Child)
answers each call, raises what the call raised, and is Died when it dies or hangs."""

from __future__ import annotations

import datetime as dt
import os
import random
import threading
import time
from pathlib import Path

import openpyxl
import pytest
from conftest import CORPUS, DATA
from factory import AS_OF, plain_village, write_plain

from excel_bridge import read
from excel_bridge.check import check_file, isolated_summary, summarize
from excel_bridge.isolate import Child, Died
from excel_bridge.read import ReadAhead, read_workbook


def _verdict(result) -> tuple:
    """Everything a check says of a file: readable, its digest, and each issue with its place and words."""
    return (result.readable, result.sha256, len(result.households),
            [(i.code, i.severity, i.sheet, i.row, i.column, i.value, i.message) for i in result.issues])


def _checked(path: Path, config, **kw) -> tuple:
    return _verdict(check_file(path, config, as_of=AS_OF, district=True, **kw))


@pytest.fixture(scope="module")
def large_village(tmp_path_factory, config) -> Path:
    from excel_bridge.demo import IdPool, generate_village
    from excel_bridge.writers.template import write_village_workbook

    village = generate_village(random.Random(11), config, IdPool("440205"), town="马坝镇", village="石塘村",
                               households=300, as_of=AS_OF, mistakes=10)
    path = tmp_path_factory.mktemp("ahead") / "大村.xlsx"
    write_village_workbook(path, config, town="马坝镇", village="石塘村", rows=village.rows,
                           created=dt.datetime(2021, 12, 20, 9, 0))
    return path


FILES = sorted(p for p in CORPUS.iterdir() if p.is_file()) + sorted(p for p in DATA.iterdir() if p.suffix != ".py")


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_corpus_file_checks_the_same_read_ahead_or_not(path, config):
    assert _checked(path, config, ahead=ReadAhead.start(path)) == _checked(path, config)


def test_a_village_read_ahead_is_the_village_read_here(large_village, config):
    plain = _checked(large_village, config)
    assert plain[0] is True and plain[2] == 300 and len(plain[3]) >= 10
    assert _checked(large_village, config, ahead=ReadAhead.start(large_village)) == plain
    finished = ReadAhead.start(large_village)  # every sheet read before it is asked for
    assert finished is not None
    finished._thread.join()
    assert _checked(large_village, config, ahead=finished) == plain


def test_a_sheet_the_thread_has_not_begun_is_read_by_the_asker(large_village, config, monkeypatch):
    """The thread is held inside 填表说明 (a sheet no check needs, before 户信息 in the workbook): the reading
    does not wait for it, it reads the village sheets from its own handle, and gets the same."""
    plain = read_workbook(large_village, config.schemas)
    assert plain.sheet_names.index("填表说明") < plain.sheet_names.index("户信息")
    held, release = threading.Event(), threading.Event()
    waited_out: list[bool] = []
    sheet = ReadAhead._sheet

    def slow(self, book, name):
        if threading.current_thread() is self._thread and name == "填表说明":
            held.set()
            waited_out.append(not release.wait(60))  # True only if the reading had waited for this thread
        return sheet(self, book, name)

    monkeypatch.setattr(ReadAhead, "_sheet", slow)
    ahead = ReadAhead.start(large_village)
    assert ahead is not None and held.wait(60)
    try:
        data = read_workbook(large_village, config.schemas, ahead=ahead)
    finally:
        release.set()
    ahead._thread.join()
    assert waited_out == [False]
    assert {k: (s.name, s.header_row, s.columns, s.rows) for k, s in data.sheets.items()} == \
        {k: (s.name, s.header_row, s.columns, s.rows) for k, s in plain.sheets.items()}
    assert (data.meta, data.sha256, data.missing) == (plain.meta, plain.sha256, plain.missing)


def test_errors_read_ahead_are_the_errors_read_here(tmp_path, config):
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    text = tmp_path / "名单.txt"
    text.write_text("not a workbook", encoding="utf-8")
    truncated = tmp_path / "半截.xlsx"
    whole = write_plain(tmp_path / "whole.xlsx", plain_village(config)).read_bytes()
    truncated.write_bytes(whole[: len(whole) // 2])
    stray = write_plain(tmp_path / "stray.xlsx", plain_village(config))
    wb = openpyxl.load_workbook(stray)
    wb["家庭成员"]["A1048576"] = "x"  # 家庭成员 declares a million rows: refused by name, before calamine reads it
    wb.save(stray)
    missing = tmp_path / "不在了.xlsx"
    codes = {}
    for path in (empty, text, truncated, stray, missing):
        ahead = ReadAhead.start(path)
        codes[path.name] = [i.code for i in check_file(path, config, as_of=AS_OF, ahead=ahead).issues]
        assert codes[path.name] == [i.code for i in check_file(path, config, as_of=AS_OF).issues]
        assert ahead is not None and ahead.meta() == {}
    assert codes == {"空.xlsx": ["FILE_EMPTY"], "名单.txt": ["FILE_FORMAT"], "半截.xlsx": ["FILE_CORRUPT"],
                     "stray.xlsx": ["FILE_TOO_MANY_CELLS"], "不在了.xlsx": ["FILE_NOT_FOUND"]}


def test_a_file_over_the_settings_limit_is_refused_by_that_limit_not_read_ahead(large_village, config):
    ahead = ReadAhead.start(large_village)
    assert ahead is not None and ahead.size == large_village.stat().st_size
    limit = ahead.size - 1
    assert not ahead.serves(large_village, max_bytes=limit, max_cells=read.MAX_SHEET_CELLS)
    result = check_file(large_village, config, as_of=AS_OF, max_bytes=limit, ahead=ahead)
    assert [i.code for i in result.issues] == ["FILE_TOO_LARGE"]


def test_the_hidden_sheet_is_said_from_the_reading(large_village, config):
    ahead = ReadAhead.start(large_village)
    assert ahead is not None
    assert ahead.meta() == read.peek_meta(large_village)
    assert (ahead.meta()["区"], ahead.meta()["村"]) == ("曲江区", "石塘村")
    # read_workbook asks for the hidden sheet again, and finds it
    assert read_workbook(large_village, config.schemas, ahead=ahead).meta == read_workbook(large_village,
                                                                                          config.schemas).meta


def test_a_reading_child_checks_the_file_it_reads(large_village, config):
    summary = isolated_summary(large_village, config, as_of=AS_OF, shown=20)
    assert summary == summarize(check_file(large_village, config, as_of=AS_OF, district=True), shown=20)


# --- the child --------------------------------------------------------------------------------------------


def _prepared(word: str) -> str:
    return word + "!"


def _echo(prepared: str, *args: object) -> tuple:
    return (prepared, *args)


def _refuse(prepared: str, why: str) -> None:
    raise ValueError(why)


def _die(prepared: str) -> None:
    os._exit(7)


def _hang(prepared: str) -> None:
    time.sleep(600)


def test_a_child_answers_each_call_with_what_it_prepared():
    with Child(_prepared, "读") as child:
        assert child.call(_echo, 1, "二") == ("读!", 1, "二")
        with pytest.raises(ValueError, match="不对"):
            child.call(_refuse, "不对")
        assert child.call(_echo) == ("读!",)  # an exception ends the call, not the child


def test_a_child_that_dies_is_died_now_and_after():
    child = Child(_prepared, "读")
    with pytest.raises(Died) as died:
        child.call(_die)
    assert str(died.value) == "子进程异常退出（7）"
    with pytest.raises(Died):
        child.call(_echo)
    child.close()


def test_a_child_that_takes_too_long_is_died_and_ended():
    started = time.monotonic()
    child = Child(_prepared, "读", timeout=1.0)
    with pytest.raises(Died, match="超过 1 秒"):
        child.call(_hang)
    assert not child._proc.is_alive() and time.monotonic() - started < 60
    child.close()
