"""A returned copy written from the reading made this pass (issue 23): the reading's verdict (its issues and
研判) is used as it is, unless the ledger knows a 识别纳入日期 of one of the file's households, which the reading
did not know; then the file is judged again. Either way the copy is the one a new check would give."""

from __future__ import annotations

import datetime as dt

from factory import AS_OF, HEAD_A, HEAD_B, TOWN, base_rows, write
from python_calamine import CalamineWorkbook
from xlsx_helpers import cell_values

from excel_bridge.check import check_file
from excel_bridge.pipeline.jobs import CopyJob, Reading, ReadJob, VillageRead, copy_job, read_job
from excel_bridge.returned import Status

RECEIVED = "2021-12-20 09:00:00"


def _reading(src, config) -> Reading:
    """What a pass's worker keeps of its reading of a dropped file (it knows no 识别纳入日期)."""
    r = check_file(src, config, as_of=AS_OF, expected_town=TOWN)
    assert r.parsed is not None
    return Reading(r.parsed, list(r.issues), list(r.assessments))


def _copy(ws, src, out, *, statuses, reading: Reading | None):
    packed = reading.pack() if reading is not None else None  # as a pass hands it on: packed by the reading worker
    return copy_job(CopyJob(root=str(ws.root), archived=str(src), out=str(out), town=TOWN, file_name=src.name,
                            received=RECEIVED, statuses=statuses, extra=[], as_of=AS_OF, reading=packed)).path


def _written(path) -> dict[str, dict[str, object]]:
    """cell_values, the copy's own 处理时间 (回执, and each household's last-updated column on 户信息) shown as
    "<处理时间>": two copies written a second apart on a loaded machine are the same copy. Only there: 系统信息's
    生成时间 is the source's, and equals a copy's 处理时间 when the copy is written in the second the source was (a
    loaded machine once made one copy so and the other a second later)."""
    values = cell_values(path)
    receipt = values["回执"]
    [stamp] = [receipt[f"B{k[1:]}"] for k, v in receipt.items() if k.startswith("A") and v == "处理时间"]
    return {sheet: {k: "<处理时间>" if v == stamp and sheet in ("回执", "户信息") else v for k, v in cells.items()}
            for sheet, cells in values.items()}


def _problems(path) -> list[tuple[object, ...]]:
    """问题清单's rows: 严重程度, 工作表, 行号, 列名, 填写内容, 问题说明."""
    return [tuple(r[1:7]) for r in CalamineWorkbook.from_path(str(path)).get_sheet_by_name("问题清单").to_python()[1:]]


def _with_a_mistake():
    rows = base_rows()
    rows["household"][0]["per_capita_income"] = 100  # a stated income that does not add up: a problem to mark
    return rows


def test_a_copy_from_the_reading_is_the_copy_a_new_check_writes(ws, config, tmp_path):
    src = write(tmp_path / "石塘村.xlsx", config, _with_a_mistake())
    statuses = {HEAD_A: Status("线索"), HEAD_B: Status("线索")}
    reading = _reading(src, config)
    assert reading.issues  # something to mark
    from_reading = _copy(ws, src, tmp_path / "a" / "石塘村_反馈.xlsx", statuses=statuses, reading=reading)
    checked_again = _copy(ws, src, tmp_path / "b" / "石塘村_反馈.xlsx", statuses=statuses, reading=None)
    assert _written(from_reading) == _written(checked_again)
    assert _problems(from_reading) == _problems(checked_again) != []


def test_the_readings_verdict_is_used_as_it_is(ws, config, tmp_path):
    """No household of the file is identified: the copy is written from the reading's verdict, not judged again
    (a verdict emptied on purpose comes out empty)."""
    src = write(tmp_path / "石塘村.xlsx", config, _with_a_mistake())
    reading = _reading(src, config)
    assert reading.issues
    unmarked = Reading(reading.parsed, [], reading.assessments)
    out = _copy(ws, src, tmp_path / "石塘村_反馈.xlsx", statuses={HEAD_A: Status("线索")}, reading=unmarked)
    assert _problems(out) == [("", "", "", "", "", "本文件未发现问题。")]


def test_a_household_the_ledger_knows_as_identified_is_judged_again(ws, config, tmp_path):
    """The ledger's 识别纳入日期 (2021-05-01, seven months before AS_OF, no development measure): C-DEV-MEASURE,
    which the reading could not know, is in the copy."""
    src = write(tmp_path / "石塘村.xlsx", config, base_rows())
    reading = _reading(src, config)
    assert "C-DEV-MEASURE" not in {i.code for i in reading.issues}
    statuses = {HEAD_A: Status("帮扶中", identified=dt.date(2021, 5, 1))}
    out = _copy(ws, src, tmp_path / "石塘村_反馈.xlsx", statuses=statuses, reading=reading)
    checked_again = _copy(ws, src, tmp_path / "b" / "石塘村_反馈.xlsx", statuses=statuses, reading=None)
    said = [p for p in _problems(out) if p[3] == "识别纳入日期"]
    assert said == [("提示", "户信息", 2.0, "识别纳入日期", "7",
                     "本户有劳动力，纳入监测已满 7 个月，但还没有开发式帮扶措施。")]
    assert _written(out) == _written(checked_again)


def test_a_read_job_hands_back_its_reading_packed_only_when_asked(ws, config, tmp_path):
    """The reading travels packed (the pass hands the bytes on unopened): unpacked, it is the file's reading with
    the verdict a check gives; a read job not asked to keep it hands back none."""
    src = write(tmp_path / "石塘村.xlsx", config, _with_a_mistake())
    kept = read_job(ReadJob(str(ws.root), str(src), TOWN, src.name, AS_OF, keep_parsed=True))
    plain = read_job(ReadJob(str(ws.root), str(src), TOWN, src.name, AS_OF))
    assert isinstance(kept, VillageRead) and isinstance(plain, VillageRead)
    assert plain.reading is None and isinstance(kept.reading, bytes)
    reading, checked = Reading.unpack(kept.reading), _reading(src, config)
    assert reading.parsed.data.sha256 == checked.parsed.data.sha256 == kept.payload.sha256
    assert [(i.code, i.sheet, i.row) for i in reading.issues] == [(i.code, i.sheet, i.row) for i in checked.issues] != []
    assert len(reading.assessments) == len(checked.assessments) == len(kept.payload.households)
