"""A town's 镇级核查表 is written again only when it would differ (issue 23): its writer runs first against a
digest of what it asks of XlsxWriter (writers.digest), and the file in place is kept when the digests match."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from factory import AS_OF, write_village
from trust_helpers import TOWN

from excel_bridge.intake import sha256_of
from excel_bridge.pipeline.district import _digest_in_place
from excel_bridge.store import Store
from excel_bridge.writers.digest import Digest

pytestmark = pytest.mark.backends  # the digest's column, read and written on both backends

OTHER = "大塘镇"


def _content(wb, *, cell: object = "陈伟", colour: str = "#FFF2CC", sheet: str = "名单") -> None:
    fmt = wb.add_format({"bold": True, "bg_color": colour, "num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet(sheet)
    ws.set_column(0, 1, 12)
    ws.write_string(0, 0, "户主姓名", fmt)
    ws.write(1, 0, cell)
    ws.write_datetime(1, 1, dt.datetime(2021, 12, 20), fmt)
    ws.data_validation(1, 2, 9, 2, {"validate": "list", "source": ["同意", "退回"]})
    ws.conditional_format(1, 0, 9, 0, {"type": "cell", "criteria": "==", "value": '"退回"', "format": fmt})


def _dry(**content: object) -> str:
    digest = Digest()
    _content(digest.workbook, **content)
    return digest.hexdigest()


def test_a_dry_run_digests_what_a_real_build_writes(tmp_path):
    import xlsxwriter

    path = tmp_path / "真的.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    digest = Digest(wb)
    _content(digest.workbook)
    wb.close()
    assert digest.hexdigest() == _dry()  # the same calls, with and without a workbook behind them
    book = openpyxl.load_workbook(path)
    sheet = book["名单"]
    assert (sheet["A1"].value, sheet["A2"].value, sheet["B2"].value) == ("户主姓名", "陈伟", dt.datetime(2021, 12, 20))
    assert sheet["A1"].font.b and sheet["A1"].fill.fgColor.rgb == "FFFFF2CC"
    assert sheet.data_validations.dataValidation[0].formula1 == '"同意,退回"'
    assert sheet.column_dimensions["A"].width == pytest.approx(12.71, abs=0.01)


@pytest.mark.parametrize("change", [{"cell": "陈 伟"}, {"cell": 1}, {"colour": "#FFFFFF"}, {"sheet": "名单2"}])
def test_any_difference_in_a_cell_a_format_or_a_sheet_changes_the_digest(change):
    assert _dry(**change) != _dry()
    assert _dry(**change) == _dry(**change)


def test_a_value_the_digest_cannot_compare_is_refused():
    digest = Digest()
    sheet = digest.workbook.add_worksheet("名单")
    with pytest.raises(TypeError, match="cannot compare: object"):
        sheet.write(0, 0, object())
    with pytest.raises(AttributeError, match="not a public method"):
        sheet.no_such_method(0, 0)


def _stat(path):
    st = path.stat()
    return st.st_ino, st.st_mtime_ns


def _digests(ws) -> dict[str, str | None]:
    """Each town's recorded digest, if the record is of the file in place."""
    with Store.open(ws.database(None)) as store:
        records = {town: store.outputs.record_of(ws.key(ws.town_review_path(town))) for town in (TOWN, OTHER)}
    return {town: r.digest if r and r.sha256 == sha256_of(ws.town_review_path(town)) else None
            for town, r in records.items()}


def test_only_the_town_a_file_changed_is_written_again(ws, proc, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    first = proc.run_pass(wait=0.05)
    written = {p.path for p in first.outputs}
    assert {ws.town_review_path(TOWN), ws.town_review_path(OTHER)} <= written
    before = _digests(ws)
    assert all(before.values()), before  # each recorded with the file it was written as
    other = _stat(ws.town_review_path(OTHER))

    write_village(ws.town_inbox(TOWN) / "坪田村.xlsx", config, village="坪田村")
    second = proc.run_pass(wait=0.05)
    assert [f.status for f in second.files] == ["applied"]
    written = {p.path for p in second.outputs}
    assert ws.town_review_path(TOWN) in written  # its 村级提交情况 has a new row
    assert ws.town_review_path(OTHER) not in written  # nothing it shows changed: not reported, not touched
    assert _stat(ws.town_review_path(OTHER)) == other
    after = _digests(ws)
    assert after[OTHER] == before[OTHER] and after[TOWN] != before[TOWN]
    shown = openpyxl.load_workbook(ws.town_review_path(TOWN), read_only=True)["村级提交情况"]
    assert [r[:2] for r in shown.iter_rows(min_row=2, values_only=True)] == [("坪田村", "坪田村.xlsx"),
                                                                              ("石塘村", "石塘村.xlsx")]

    write_village(ws.town_inbox(OTHER) / "新村.xlsx", config, town=OTHER, village="新村")
    third = proc.run_pass(wait=0.05)
    assert ws.town_review_path(OTHER) in {p.path for p in third.outputs}
    assert _stat(ws.town_review_path(OTHER)) != other


def test_a_workbook_deleted_or_replaced_is_written_again(ws, proc, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    proc.run_pass(wait=0.05)
    ws.town_review_path(OTHER).unlink()
    report = proc.run_pass(wait=0.05, force_outputs=True)
    assert ws.town_review_path(OTHER) in {p.path for p in report.outputs}
    assert ws.town_review_path(OTHER).is_file()
    assert _digests(ws)[OTHER] is not None  # recorded with the new file


def test_a_town_with_a_file_received_since_is_written_without_a_dry_run(ws, proc, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    proc.run_pass(wait=0.05)
    target = ws.town_review_path(OTHER)
    with Store.open(ws.database(None)) as store:
        record = store.outputs.record_of(ws.key(target))
        assert record is not None and record.digest is not None
        assert _digest_in_place(store, ws, target, None) == record.digest
        assert _digest_in_place(store, ws, target, record.written_at - dt.timedelta(seconds=1)) == record.digest
        assert _digest_in_place(store, ws, target, record.written_at) is None  # the same second: no guess
        assert store.submissions.latest_by_town().keys() == {TOWN}
        target.write_bytes(target.read_bytes() + b"\0")  # not the file recorded
        assert _digest_in_place(store, ws, target, None) is None


def test_a_new_day_writes_every_town_again(ws, proc, config):
    write_village(ws.town_inbox(TOWN) / "石塘村.xlsx", config)
    proc.run_pass(wait=0.05)
    before = _digests(ws)
    proc.as_of = AS_OF + dt.timedelta(days=1)  # the day is in every workbook's titles and due dates
    report = proc.run_pass(wait=0.05)
    assert {ws.town_review_path(TOWN), ws.town_review_path(OTHER)} <= {p.path for p in report.outputs}
    after = _digests(ws)
    assert after[TOWN] != before[TOWN] and after[OTHER] != before[OTHER]
