"""Small, explicit village workbooks for tests, written through the project's own template writer."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

from excel_bridge.config import Config
from excel_bridge.decision_sheet import COLUMNS, SHEETS, TOKEN_HEADER
from excel_bridge.idcard import make_id
from excel_bridge.workflow import DISTRICT as DISTRICT_LEVEL
from excel_bridge.workflow import TOWN as TOWN_LEVEL
from excel_bridge.writers.template import write_village_workbook

AS_OF = dt.date(2021, 12, 20)

HEAD_A = make_id("440205", dt.date(1970, 3, 5), 11)     # male
WIFE_A = make_id("440205", dt.date(1972, 6, 1), 22)     # female
SON_A = make_id("440205", dt.date(2008, 9, 9), 33)      # male, a pupil
HEAD_B = make_id("440205", dt.date(1950, 1, 20), 44)    # female, lives alone


def household(head_id: str = HEAD_A, **over: Any) -> dict[str, Any]:
    row = {
        "household_no": None, "town": "马坝镇", "village": "石塘村", "group": "一组", "head_name": "陈伟",
        "head_id": head_id, "phone": "13800138000", "household_type": "普通农户", "size": 3,
        "lead_source": "入户走访", "income_year": 2021, "wage_income": 30000, "business_income": 6000,
        "property_income": 0, "transfer_income": 3000, "business_cost": 3000, "per_capita_income": None,
        "prev_per_capita_income": None, "medical_expense": 0, "other_rigid_expense": 0,
        "food_clothing": "是", "education_secure": "是", "medical_secure": "是", "housing_secure": "是",
        "water_secure": "是", "main_risk": None, "other_risk_1": None, "other_risk_2": None, "consent": "是",
        "contact_person": None, "contact_phone": None, "identified_date": None, "note": None,
    }
    row.update(over)
    return row


def member(head_id: str, person_id: str, relation: str, **over: Any) -> dict[str, Any]:
    row = {
        "head_id": head_id, "name": "陈伟", "person_id": person_id, "relation": relation, "sex": None,
        "birth_date": None, "education": "初中", "schooling": None, "health": "健康", "disability_type": None,
        "disability_grade": None, "labour": "普通劳动力", "work_months": 10, "medical_insurance": "是",
        "dibao": "否", "tekun": "否", "disabled_care": "否",
    }
    row.update(over)
    return row


def base_rows() -> dict[str, list[dict[str, Any]]]:
    """Two valid households: A (3 people, income 12000/person) and B (an old woman alone, income 8000)."""
    return copy.deepcopy({
        "household": [
            household(HEAD_A),
            household(HEAD_B, head_name="李秀英", size=1, household_type="脱贫户", wage_income=0,
                      business_income=2000, transfer_income=6500, business_cost=500, phone="0751-6669428"),
        ],
        "member": [
            member(HEAD_A, HEAD_A, "户主", name="陈伟", sex="男", birth_date=dt.date(1970, 3, 5)),
            member(HEAD_A, WIFE_A, "配偶", name="黄丽", sex="女"),
            member(HEAD_A, SON_A, "之子", name="陈强", education=None, schooling="初中", labour="无劳动力",
                   work_months=0),
            member(HEAD_B, HEAD_B, "户主", name="李秀英", sex="女", labour="弱劳动力或半劳动力", work_months=0),
        ],
        "measure": [],
        "review": [],
    })


# The workbooks the helpers below wrote, by what they were written from (issue 23: a profile of the whole suite put
# 19 s of its CPU in the template writer, ~20 ms a workbook, most of them the same few rows). A workbook written
# again from equal settings and the same town, village and rows gets the bytes written the first time — the same
# workbook but for the second its hidden sheet's 生成时间 says, as when two are written within one second.
_WRITTEN: list[tuple[Config, tuple[str, str, str], bytes]] = []
_KEPT = 32


def written(path: Path, config: Config, *, town: str, village: str, rows: dict[str, list[dict[str, Any]]]) -> Path:
    """write_village_workbook(path, config, town, village, rows, created 2021-12-20), or the bytes it wrote before
    from equal settings and the same rows."""
    key = (town, village, repr(rows))
    for i, (seen, seen_key, data) in enumerate(_WRITTEN):
        if seen_key == key and (seen is config or seen == config):
            path.write_bytes(data)
            _WRITTEN.append(_WRITTEN.pop(i))  # the most recent last
            return path
    write_village_workbook(path, config, town=town, village=village, rows=rows, created=dt.datetime(2021, 12, 20))
    _WRITTEN.append((config, key, path.read_bytes()))
    del _WRITTEN[:-_KEPT]
    return path


def write(path: Path, config: Config, rows: dict[str, list[dict[str, Any]]] | None = None) -> Path:
    return written(path, config, town="马坝镇", village="石塘村", rows=rows or base_rows())


# --- helpers added for test_validate / test_rules / test_schema_data (existing helpers above unchanged) ---

OTHER_ID = make_id("440205", dt.date(1980, 5, 5), 55)   # a valid ID of nobody in base_rows()
X_ID = make_id("440205", dt.date(1990, 4, 4), 9)        # a valid ID whose check character is X


def measure(head_id: str, category: str = "就业帮扶", **over: Any) -> dict[str, Any]:
    row = {"head_id": head_id, "category": category, "content": "推荐到县城工业园务工",
           "start_date": dt.date(2021, 7, 1), "responsible": "马坝镇人社所"}
    row.update(over)
    return row


def review(head_id: str, **over: Any) -> dict[str, Any]:
    row = {"head_id": head_id, "matter": "纳入监测", "review_date": dt.date(2021, 11, 1), "review_result": "通过",
           "notice_start": dt.date(2021, 11, 2), "notice_end": dt.date(2021, 11, 6), "objection": "无",
           "objection_result": None}
    row.update(over)
    return row


def check(tmp_path: Path, config: Config, rows: dict[str, list[dict[str, Any]]], *, name: str = "v.xlsx",
          **kw: Any) -> Any:
    """Write rows through the template writer, read the file back and check it."""
    from excel_bridge.check import check_file

    kw.setdefault("as_of", AS_OF)
    return check_file(write(tmp_path / name, config, rows), config, **kw)


def edit_headers(path: Path, sheet: str, *, rename: dict[str, str | None] | None = None,
                 append: tuple[str, ...] = ()) -> Path:
    """Change header cells of a written workbook the way a clerk would (openpyxl, saved in place)."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    headers = {ws.cell(1, c).value: c for c in range(1, ws.max_column + 1)}
    for old, new in (rename or {}).items():
        ws.cell(1, headers[old]).value = new
    last = max(headers.values())
    for i, new in enumerate(append, start=1):
        ws.cell(1, last + i).value = new
    wb.save(path)
    return path


def drop_sheet(path: Path, sheet: str) -> Path:
    import openpyxl

    wb = openpyxl.load_workbook(path)
    del wb[sheet]
    wb.save(path)
    return path


# --- helpers added for test_read / test_formats (plain layouts written with openpyxl) -----------------

def small_village_rows() -> dict[str, list[dict[str, Any]]]:
    """The rows of tests/data/village_small.*: base_rows plus one measure and one review, and ONE
    deliberate mistake: 黄丽 (WIFE_A, an even sequence digit → 女) is entered as 男 (SEX_MISMATCH,
    家庭成员 row 3, column 性别)."""
    rows = base_rows()
    rows["member"][1]["sex"] = "男"
    rows["measure"] = [{"head_id": HEAD_B, "category": "低保", "content": "纳入农村低保", "start_date":
                        dt.date(2021, 9, 1), "responsible": "马坝镇民政办"}]
    rows["review"] = [{"head_id": HEAD_B, "matter": "纳入监测", "review_date": dt.date(2021, 11, 2),
                       "review_result": "通过", "notice_start": dt.date(2021, 11, 3),
                       "notice_end": dt.date(2021, 11, 9), "objection": "无", "objection_result": None}]
    return rows


def table(config: Config, kind: str, rows: list[dict[str, Any]] | None = None, *,
          headers: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> list[list[Any]]:
    """A sheet as a list of rows: the canonical header row (a key may be renamed through ``headers``, or
    left out through ``drop``) followed by one row per record, values in schema order."""
    cols = [c for c in config.schemas[kind].columns if c.key not in drop]
    names = headers or {}
    out: list[list[Any]] = [[names.get(c.key, c.header) for c in cols]]
    for row in rows or []:
        out.append([row.get(c.key) for c in cols])
    return out


def write_plain(path: Path, sheets: dict[str, list[list[Any]]], *,
                merges: dict[str, list[str]] | None = None) -> Path:
    """Write sheets of raw rows with openpyxl (no template): for odd layouts a clerk might produce.

    Values go in as given: str stays text, int/float become numbers, dates become date cells. ``merges``
    maps a sheet name to ranges like "B2:B4" merged after writing (openpyxl keeps the top-left value)."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, (dt.date, dt.datetime)):
                    cell.number_format = "yyyy-mm-dd"
        for rng in (merges or {}).get(name, []):
            ws.merge_cells(rng)
    wb.save(path)
    return path


def plain_village(config: Config, rows: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, list[list[Any]]]:
    """The four sheets of a village workbook as raw tables (canonical names and headers)."""
    rows = rows or base_rows()
    return {config.schemas[k].sheet: table(config, k, rows[k]) for k in ("household", "member", "measure", "review")}


HEAD_C = make_id("440205", dt.date(1960, 5, 5), 55)     # male, lives alone (third household of merged_town)


def merged_town(config: Config) -> tuple[dict[str, list[list[Any]]], dict[str, list[str]]]:
    """Three households on 户信息 rows 2-4 whose 镇 (B2:B4) and 村 (C2:C4) are merged cells, as clerks
    often lay them out: the value is only in the top cell. Returns (sheets, merges) for write_plain."""
    rows = base_rows()
    rows["household"].append(household(HEAD_C, head_name="王五", size=1))
    rows["member"].append(member(HEAD_C, HEAD_C, "户主", name="王五"))
    sheets = plain_village(config, rows)
    for row in sheets["户信息"][2:]:
        row[1] = row[2] = None
    return sheets, {"户信息": ["B2:B4", "C2:C4"]}


# --- helpers added for test_ledger / test_intake / test_process / test_master / test_watch -----------

WS_AS_OF = AS_OF


def village_rows(town: str = "马坝镇", village: str = "石塘村",
                 rows: dict[str, list[dict[str, Any]]] | None = None) -> dict[str, list[dict[str, Any]]]:
    """A copy of rows (default base_rows()) whose households say this town and village."""
    out = copy.deepcopy(rows or base_rows())
    for hh in out["household"]:
        hh["town"], hh["village"] = town, village
    return out


def write_village(path: Path, config: Config, rows: dict[str, list[dict[str, Any]]] | None = None, *,
                  town: str = "马坝镇", village: str = "石塘村") -> Path:
    """A village workbook whose hidden meta and 户信息 rows both name this town and village."""
    path.parent.mkdir(parents=True, exist_ok=True)
    return written(path, config, town=town, village=village, rows=village_rows(town, village, rows))


def person(birth: dt.date, seq: int) -> str:
    """A valid Qujiang ID number (odd seq → male)."""
    return make_id("440205", birth, seq)


def lone_household(head_id: str, name: str, **over: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(household row, member row) of a one-person household with a working head."""
    hh = household(head_id, head_name=name, size=1, **over)
    return hh, member(head_id, head_id, "户主", name=name)


LEDGER_TABLES = ("households", "members", "measures", "reviews", "issues", "events", "counters")


def dump_tables(ws: Any, tables: tuple[str, ...] = LEDGER_TABLES) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the given ledger tables (in key order), read through a fresh connection to the
    workspace's ledger (SQLite or PostgreSQL)."""
    from sqlalchemy import select

    from excel_bridge.store import tables as t

    with ws.open_store() as store:
        out = {}
        for name in tables:
            table = t.metadata.tables[name]
            out[name] = [tuple(r) for r in store.db.rows(select(table).order_by(*table.primary_key.columns))]
        return out


def calamine_rows(path: Path, sheet: str) -> list[list[Any]]:
    """A sheet's cells as python_calamine reads them (strings stay str, numbers come back as float/int)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_name(sheet).to_python()


def calamine_sheet_names(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    return list(CalamineWorkbook.from_path(str(path)).sheet_names)


def calamine_records(path: Path, sheet: str, *, header_row: int = 0) -> list[dict[str, Any]]:
    """Rows below header_row as {header: value}; fully empty rows are dropped."""
    rows = calamine_rows(path, sheet)
    if len(rows) <= header_row:
        return []
    headers = [str(h) for h in rows[header_row]]
    out = []
    for row in rows[header_row + 1:]:
        if all(v in ("", None) for v in row):
            continue
        out.append(dict(zip(headers, row, strict=False)))
    return out


def wait_until(predicate: Any, timeout: float, interval: float = 0.1) -> bool:
    """Poll predicate() until it is true or timeout seconds have passed (never longer)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


# --- helpers added for test_workflow / test_approvals / test_notice / test_history (a workspace on disk) ---

TOWN = "马坝镇"
VILLAGE_FILE = "石塘村.xlsx"
NOTE_PREFIX = "上次提交中未生效的决定："
TOWN_SHEET, MASTER_SHEET = SHEETS[TOWN_LEVEL], SHEETS[DISTRICT_LEVEL]
TOWN_DECISION, MASTER_DECISION = COLUMNS[TOWN_LEVEL], COLUMNS[DISTRICT_LEVEL]


def drop(ws: Any, config: Config, rows: dict[str, list[dict[str, Any]]], *, name: str = VILLAGE_FILE,
         town: str = TOWN) -> Path:
    """Write a village workbook aside, then copy it whole into the town's inbox (as a clerk's copy lands)."""
    import shutil

    staging = Path(ws.root) / "_staging"
    staging.mkdir(exist_ok=True)
    src = write(staging / name, config, rows)
    target = ws.town_inbox(town) / name
    shutil.copy2(src, target)
    return target


def sheet_rows(path: Path, sheet: str) -> list[list[Any]]:
    """One sheet of a written workbook as calamine reads it (values only)."""
    import python_calamine as pc

    book = pc.CalamineWorkbook.from_path(str(path))
    return book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)


def all_cell_text(path: Path) -> list[str]:
    """Every non-empty cell of every sheet, as text."""
    import python_calamine as pc

    book = pc.CalamineWorkbook.from_path(str(path))
    out = []
    for name in book.sheet_names:
        for row in book.get_sheet_by_name(name).to_python(skip_empty_area=False):
            out.extend(str(v) for v in row if v not in ("", None))
    return out


def table_of(path: Path, sheet: str, marker: str) -> list[dict[str, Any]]:
    """Rows below the first row (of the top ten) that contains the header `marker`, as header → value."""
    rows = sheet_rows(path, sheet)
    for i, row in enumerate(rows[:10]):
        if marker in row:
            headers = [str(h) for h in row]
            return [dict(zip(headers, r, strict=False)) for r in rows[i + 1:] if any(v not in ("", None) for v in r)]
    raise AssertionError(f"{path.name}/{sheet}: no header row with {marker}")


def note_line(path: Path, sheet: str) -> str | None:
    """The line above a decision table that lists refused decisions (None when there is none)."""
    rows = sheet_rows(path, sheet)
    if len(rows) > 1 and rows[1] and str(rows[1][0]).startswith(NOTE_PREFIX):
        return str(rows[1][0])
    return None


def _decision_sheet(path: Path, sheet: str):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    for r in range(1, 11):
        values = [c.value for c in ws[r]]
        if TOKEN_HEADER in values:
            return wb, ws, r, {v: i + 1 for i, v in enumerate(values) if v is not None}
    raise AssertionError(f"{path.name}/{sheet}: no header row with {TOKEN_HEADER}")


def decide(path: Path, sheet: str, name: str, decision: str | None, comment: str | None = None,
           person: str | None = None, date: dt.date | None = None, *, save_to: Path | None = None) -> Path:
    """Choose a decision on the row of household head `name`, as a clerk would in Excel, and save
    (in place, or to `save_to`). Column names come from the sheet's own header row."""
    wb, ws, header, cols = _decision_sheet(path, sheet)
    heads = TOWN_DECISION if sheet == TOWN_SHEET else MASTER_DECISION
    for r in range(header + 1, ws.max_row + 1):
        if ws.cell(r, cols["户主姓名"]).value == name:
            for h, v in zip(heads, (decision, comment, person, date), strict=True):
                cell = ws.cell(r, cols[h])
                cell.value = v
                if isinstance(v, dt.date):
                    cell.number_format = "yyyy-mm-dd"
            break
    else:
        raise AssertionError(f"{path.name}/{sheet}: no row for {name}")
    out = save_to or path
    wb.save(out)
    return out


def add_decision_row(path: Path, sheet: str, values: dict[str, Any], *, save_to: Path | None = None) -> int:
    """Type a new row under the last filled row of a decision table (e.g. a row copied from another
    workbook) and save; returns the Excel row number typed into."""
    wb, ws, header, cols = _decision_sheet(path, sheet)
    r = header + 1
    while any(ws.cell(r, c).value not in (None, "") for c in cols.values()):
        r += 1
    for h, v in values.items():
        ws.cell(r, cols[h]).value = v
        if isinstance(v, dt.date):
            ws.cell(r, cols[h]).number_format = "yyyy-mm-dd"
    wb.save(save_to or path)
    return r


def ledger_row(ws: Any, head_id: str) -> Any:
    with ws.open_store() as store:
        rows = store.households.find(head_id)
    assert len(rows) == 1, rows
    return rows[0]


def transitions_of(ws: Any, head_id: str) -> list[Any]:
    with ws.open_store() as store:
        hid = store.households.find(head_id)[0].id
        return [e for e in store.events.of(hid) if e.event == "transition"]


def submissions_of(ws: Any) -> list[dict[str, Any]]:
    """Every submission as a dict (its villages joined with 、 under "village", as a clerk reads them)."""
    import dataclasses

    with ws.open_store() as store:
        return [{**dataclasses.asdict(s), "village": "、".join(s.villages) or None} for s in store.submissions.all()]


def member_count(ws: Any, **where: Any) -> int:
    from sqlalchemy import func, select

    from excel_bridge.store import tables as t

    with ws.open_store() as store:
        q = select(func.count()).select_from(t.members)
        for k, v in where.items():
            q = q.where(t.members.c[k] == v)
        return int(store.db.scalar(q))


# the towns of the tests' shared workspace (conftest's `ws`): the two of 曲江区 nearly every test uses; pydantic
# copies it into each workspace's settings
SHARED_TOWNS: dict[str, list[str]] = {"马坝镇": [], "大塘镇": []}


def workspace_on(root: Path, backend: str | None, **settings: Any) -> Any:
    """A fresh workspace at root whose ledger is on `backend` (None: its own SQLite file)."""
    from excel_bridge.settings import DistrictSettings
    from excel_bridge.workspace import Workspace

    Workspace.init(root, DistrictSettings(database=backend, **settings))
    return Workspace.open(root)


def said(event: Any) -> str:
    """What an event says, as history and the master's 变更记录 show it ("同意：情况属实")."""
    from excel_bridge.history import event_text

    return event_text(event.action, event.event, event.comment)


def sha256_file(path: Path) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def rows_of_their_own(i: int) -> dict[str, list[dict[str, Any]]]:
    """base_rows() with people of their own: village `i`'s IDs, distinct from every other village's."""
    rows = base_rows()
    ids: dict[str, str] = {}
    for hh in rows["household"]:
        ids[hh["head_id"]] = person(dt.date(1960 + i, 1 + len(ids), 1 + len(ids)), 10 * i + len(ids) + 1)
        hh["head_id"] = ids[hh["head_id"]]
    for j, m in enumerate(rows["member"]):
        m["head_id"] = ids[m["head_id"]]
        m["person_id"] = ids.get(m["person_id"]) or person(dt.date(1990 + i, 1 + j, 10), 10 * i + j + 5)
    return rows


def district_on(server: Any, root: Path, name: str, code: str, town: str, village: str, *, schema: str) -> Any:
    """`excel-bridge init DIR --from <settings naming the server and the schema>`: a new district on the server
    (issue 24; `server` is conftest's PostgreSQL server fixture)."""
    from cli_helpers import run_cli

    from excel_bridge.messages import TEXT
    from excel_bridge.settings import DistrictSettings, dump_settings
    from excel_bridge.workspace import Workspace

    settings = root.parent / f"{name}_设置.yaml"
    settings.write_text(dump_settings(DistrictSettings(
        district=name, district_code=code, supervision_phone="", policy_document="", towns={town: [village]},
        database=server.url, ledger_schema=schema)), encoding="utf-8")
    done = run_cli("init", root, "--from", settings)
    assert done.returncode == 0, done.stderr
    assert TEXT["init.schema"].format(schema=schema) in done.stdout
    return Workspace.open(root)


def drop_village(ws: Any, town: str, village: str, rows: dict[str, list[dict[str, Any]]]) -> Path:
    """A village workbook of this district's own settings (its hidden sheet names the district) in the town's inbox."""
    return written(ws.town_inbox(town) / f"{village}.xlsx", ws.config(), town=town, village=village,
                   rows=village_rows(town, village, rows))
