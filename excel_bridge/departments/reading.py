"""read_list: a department's list, in whatever shape its system exported, → one row per person line with a
normalised ID, the name and the department's facts (pandas), the problems of single rows as Issues, and a
fingerprint of the content. A list that cannot be used gets one note and no rows: nothing may change."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import UnreadableFile
from ..issues import Issue, make_issue
from ..messages import TEXT
from ..normalize import clean_text, is_blank, norm_header
from ..read import FOOTER_WORDS, TOTAL_WORDS
from .config import Department, DepartmentsConfig
from .facts import parse_fact
from .ids import normalize_ids
from .model import DepartmentList
from .tables import MAX_BYTES, MAX_CELLS, RawTables, load_tables

HEADER_SCAN_ROWS = 30
BASE_COLUMNS = ("sheet", "row", "person_id", "id_text", "name", "town")
_UNIT = re.compile(r"\([^()]*\)$")  # 合规自付医疗费用(元): a unit in brackets at the end of a header
_ID_HEADER = re.compile(r"(身份证|证件)(号|号码|编号)")  # 成员身份证号码 yes; 居民身份证 (a value) no
# the words a footer line starts with (制表人：张三, 填报单位（盖章）：, 打印日期：2021-12-01): with nothing after them,
# or a colon or bracket next, so that a value that merely begins alike (审核通过) is not taken for one
FOOTER_PREFIXES = ("制表人", "制表单位", "制表日期", "制表时间", "制表", "填表人", "填表单位", "填表日期", "填报人",
                   "填报单位", "填报日期", "报送单位", "报送日期", "审核人", "审批人", "审核", "负责人", "单位负责人",
                   "分管领导", "经办人", "联系人", "联系电话", "打印日期", "打印时间", "打印人", "导出日期", "导出时间")
_AFTER_FOOTER = re.compile(r"^(|[:：(（\s].*)$")
_ID_DIGITS = re.compile(r"[0-9]{15}")


@dataclass(frozen=True)
class _Headers:
    """Normalised header text → (role, priority): role is person_id, name, town or a fact's name."""

    table: dict[str, tuple[str, int]]

    @classmethod
    def of(cls, dept: Department) -> "_Headers":
        table: dict[str, tuple[str, int]] = {}
        groups = [("person_id", dept.id_headers), ("name", dept.name_headers), ("town", dept.town_headers)]
        groups += [(key, fact.headers) for key, fact in dept.facts.items()]
        for role, aliases in groups:
            for priority, alias in enumerate(aliases):
                table.setdefault(norm_header(alias), (role, priority))
        return cls(table)

    def role(self, cell: object) -> tuple[str, int] | None:
        text = norm_header(cell)
        if not text:
            return None
        return self.table.get(text) or self.table.get(_UNIT.sub("", text))


def _locate(rows: list[list[object]], headers: _Headers) -> tuple[int, dict[str, int], list[str]] | None:
    """(row index, role → column, header texts) of the header row: the first of the best-scoring rows that
    has an ID column. A blank cell takes the one above (two-level headers with a merged upper cell)."""
    best: tuple[int, dict[str, int], list[str]] | None = None
    best_score = 0
    for idx in range(min(HEADER_SCAN_ROWS, len(rows))):
        row, above = rows[idx], rows[idx - 1] if idx else []
        found: dict[str, tuple[int, int]] = {}
        texts = []
        for c, cell in enumerate(row):
            if is_blank(cell) and c < len(above):
                cell = above[c]
            texts.append(clean_text(cell))
            hit = headers.role(cell)
            if hit is not None and (hit[0] not in found or hit[1] < found[hit[0]][1]):
                found[hit[0]] = (c, hit[1])
        if "person_id" not in found:  # no alias: accept the one header that plainly says 身份证 / 证件号码
            guesses = [c for c, t in enumerate(texts) if _ID_HEADER.search(t) and "户主" not in t]
            if len(guesses) == 1:
                found["person_id"] = (guesses[0], 99)
        if "person_id" in found and len(found) > best_score:
            best, best_score = (idx, {role: c for role, (c, _) in found.items()}, texts), len(found)
    return best


def read_list(path: Path, department: Department, *, max_bytes: int = MAX_BYTES,
              max_cells: int = MAX_CELLS) -> DepartmentList:
    """Read one list dropped into 部门数据/<department.folder>/. Never raises for what is in the file: an
    unreadable file, no ID column, a missing required fact or no row with a usable ID becomes the list's note
    (which lists the headers found, never guesses another department)."""
    path = Path(path)
    try:
        raw = load_tables(path, max_bytes=max_bytes, max_cells=max_cells)
    except UnreadableFile as exc:
        note = Issue(code=exc.code, severity="error", sheet=None, row=None, column=None, value=path.name,
                     message=str(exc), hint=exc.hint)
        return _unusable(path, department, note, fmt=path.suffix.lower().lstrip("."), sha="")
    headers = _Headers.of(department)
    located = [(name, rows, _locate(rows, headers)) for name, rows in raw.sheets]
    used = [(name, rows, found) for name, rows, found in located if found is not None]
    if not used:
        seen = next((f"“{'、'.join(t for t in _first_texts(rows) if t)}”" for _, rows, _ in located if rows), "")
        note = make_issue("DEPT_NO_ID_COLUMN", value="、".join(department.id_headers[:4]), seen=seen or "（空）",
                          department=department.name)
        return _unusable(path, department, note, raw=raw)
    missing = _missing_required(department, used)
    if missing:
        fact = department.facts[missing]
        seen, unknown = _header_words(used, headers)
        note = make_issue("DEPT_FACT_MISSING", column=missing, value="、".join(fact.headers[:4]),
                          department=department.name, seen=seen, unknown=unknown)
        return _unusable(path, department, note, raw=raw)
    frames, issues = [], []
    columns: dict[str, str] = {}  # role → the header it was read from
    header_rows: dict[str, int] = {}
    for name, rows, (idx, roles, texts) in used:
        frame, sheet_issues = _sheet_frame(department, name, rows, idx, roles, texts, headers)
        frames.append(frame)
        issues += sheet_issues
        header_rows[name or ""] = idx + 1
        for role, c in roles.items():
            columns.setdefault(role, texts[c])
    rows_frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if not rows_frame["person_id"].notna().any():  # nobody to compare: using it would withdraw every open warning
        note = make_issue("DEPT_EMPTY", department=department.name) if not len(rows_frame) else \
            make_issue("DEPT_NO_VALID_ID", department=department.name, rows=len(rows_frame))
        return dataclasses.replace(_unusable(path, department, note, raw=raw), issues=tuple(issues))
    return DepartmentList(
        department=department, path=path, format=raw.format, sha256=raw.sha256,
        fingerprint=fingerprint(department, rows_frame), rows=rows_frame, columns=columns,
        sheets=tuple(n or "" for n, _, _ in used), header_rows=header_rows, issues=tuple(issues),
        encoding=raw.encoding)


def department_of(path: Path, root: Path, config: DepartmentsConfig) -> tuple[Department | None, Issue | None]:
    """(the department whose folder under 部门数据/ (`root`) holds the file, None) — or (None, the note) for a
    file in a folder no department is configured for, or loose in 部门数据/ itself."""
    try:
        parts = Path(path).resolve().relative_to(Path(root).resolve()).parts
    except ValueError:
        parts = ()
    folder = parts[0] if len(parts) > 1 else ""
    dept = config.by_folder(folder) if folder else None
    if dept is not None:
        return dept, None
    allowed = "、".join(f"{root.name}/{d.folder}/" for d in config.departments.values())
    return None, make_issue("DEPT_FOLDER_UNKNOWN", value=folder or Path(path).name, allowed=allowed)


def _first_texts(rows: list[list[object]]) -> list[str]:
    """The header-like row shown in a note: the fullest of the first rows."""
    head = rows[:HEADER_SCAN_ROWS]
    best = max(head, key=lambda r: sum(not is_blank(v) for v in r))
    return [clean_text(v) for v in best][:12]


def _missing_required(dept: Department, used: list) -> str | None:
    for key, fact in dept.facts.items():
        if not fact.required:
            continue
        for name, _, (_, roles, _) in used:
            if key not in roles and not (fact.from_sheet_name and _value_from_sheet(fact, name)):
                return key
    return None


def _header_words(used: list, headers: _Headers) -> tuple[str, str]:
    """(the header row as the list writes it, the headers no alias recognised) for a note: what the district can
    add to rules/departments.yaml. Never a guess at another department: the district reads the words itself."""
    texts = list(dict.fromkeys(t for _, _, (_, _, ts) in used for t in ts if t))
    unknown = [t for t in texts if headers.role(t) is None and norm_header(t) not in ("序号", "编号", "备注")]
    return "“" + "、".join(texts) + "”", ("“" + "、".join(unknown) + "”") if unknown else TEXT["dept.none_unknown"]


def _value_from_sheet(fact, sheet: str | None) -> str | None:
    """A choice fact a list carries in its sheet names (a 低保 sheet and a 特困 sheet): the value whose name or
    alias the sheet name contains, the longest such name winning."""
    if not sheet:
        return None
    name = norm_header(sheet)
    hits = [(len(norm_header(alias)), value) for value, aliases in fact.values.items()
            for alias in (value, *aliases) if norm_header(alias) and norm_header(alias) in name]
    return max(hits)[1] if hits else None


def _sheet_frame(dept: Department, sheet: str | None, rows: list[list[object]], idx: int, roles: dict[str, int],
                 texts: list[str], headers: _Headers) -> tuple[pd.DataFrame, list[Issue]]:
    data = rows[idx + 1:]
    first = idx + 2  # the Excel row (or the text file's line) of data[0]
    width = max(roles.values()) + 1
    if data and min(map(len, data)) < width:  # a text file's short lines: padded, so columns can be taken whole
        data = [r if len(r) >= width else [*r, *[None] * (width - len(r))] for r in data]

    def column(c: int, keep: Sequence[int] | None = None) -> list[object]:
        source = data if keep is None else [data[i] for i in keep]
        return list(map(itemgetter(c), source))

    id_col = normalize_ids(column(roles["person_id"]))
    id_header = texts[roles["person_id"]]
    name_c = roles.get("name")
    issues: list[Issue] = []
    kept = np.ones(len(data), dtype=bool)
    for i in sorted([*id_col.problems, *(i for i, b in enumerate(id_col.blank) if b)]):  # rows without a valid ID
        if _is_footer(data[i], roles["person_id"]):
            kept[i] = False  # a 合计 / 小计 row, a 制表人 / 审核人 / 打印日期 line: no ID, nobody to compare
            continue
        if id_col.blank[i]:
            if not _is_data_row(data[i], name_c):
                kept[i] = False  # a blank line, a 合计 row, a 制表人 line
                continue
            who = clean_text(data[i][name_c]) if name_c is not None and name_c < len(data[i]) else ""
            issues.append(make_issue("DEPT_ID_BLANK", sheet=sheet, row=first + i, column=id_header,
                                     name=TEXT["dept.blank_name"].format(name=who) if who else ""))
        elif _is_id_header(headers, data[i], roles["person_id"]):
            kept[i] = False  # the header repeated on every printed page
        else:
            p = id_col.problems[i]
            issues.append(make_issue(p.code, sheet=sheet, row=first + i, column=id_header, value=p.shown,
                                     expected=p.expected))
    keep = np.flatnonzero(kept).tolist()
    everything = len(keep) == len(data)
    picked = None if everything else keep
    ids = id_col.ids if everything else [id_col.ids[i] for i in keep]
    shown = {i: p.shown for i, p in id_col.problems.items()}
    frame: dict[str, object] = {
        "sheet": _objects([sheet] * len(ids)),
        "row": np.asarray(keep, dtype=np.int64) + first,
        "person_id": _objects(ids),
        "id_text": _objects(ids if not shown else [pid if pid is not None else shown.get(i, "")
                                                     for pid, i in zip(ids, keep, strict=True)]),
        "name": _objects(_names(column(name_c, picked)) if name_c is not None else [""] * len(ids)),
        "town": _objects([t or None for t in _names(column(roles["town"], picked))] if "town" in roles
                         else [None] * len(ids)),
    }
    for key, fact in dept.facts.items():
        if key in roles:
            values, fact_issues = parse_fact(fact, column(roles[key], picked), header=texts[roles[key]])
            rows_of = [first + i for i in keep]
            issues += [issue_at(issue, sheet, rows_of) for issue in fact_issues]
            frame[key] = _objects(values) if isinstance(values, list) else values
        elif fact.from_sheet_name and (value := _value_from_sheet(fact, sheet)):
            frame[key] = _objects([value] * len(ids))
    return pd.DataFrame(frame), issues


def issue_at(issue: tuple[str, list[int], dict], sheet: str | None, rows_of: list[int]) -> Issue:
    """A fact problem (code, positions among the kept rows, fields) → an Issue at its Excel row(s)."""
    code, positions, fields = issue
    rows = [rows_of[p] for p in positions]
    more = ""
    if len(rows) > 1:
        shown = "、".join(str(r) for r in rows[:5]) + ("……" if len(rows) > 5 else "")
        more = TEXT["dept.more_rows"].format(count=len(rows), rows=shown)
    return make_issue(code, sheet=sheet, row=rows[0], more=more, **fields)


def _is_id_header(headers: _Headers, row: list[object], c: int) -> bool:
    hit = headers.role(row[c]) if c < len(row) else None
    return hit is not None and hit[0] == "person_id"


def _is_footer(row: list[object], id_c: int) -> bool:
    """A total or sign-off line: no ID-like number in the ID cell, and a cell that says 合计/小计/总计/共计 or
    starts a sign-off (制表人：…, 审核人：…, 填报单位：…, 打印日期：…)."""
    if id_c < len(row) and _ID_DIGITS.search(clean_text(row[id_c])):
        return False
    for value in row:
        if is_blank(value) or type(value) is not str:
            continue
        text = clean_text(value).replace(" ", "")
        if text.startswith((*TOTAL_WORDS, "共计")):
            return True
        for prefix in FOOTER_PREFIXES:
            if text.startswith(prefix):
                if _AFTER_FOOTER.match(text[len(prefix):]):
                    return True
                break
    return False


def _is_data_row(row: list[object], name_c: int | None) -> bool:
    """A row with a blank ID that still names someone (reported), not a note, total or blank line (skipped)."""
    cells = [(c, clean_text(v)) for c, v in enumerate(row) if not is_blank(v)]
    if not cells:
        return False
    texts = [t for _, t in cells]
    if any(w in t for t in texts for w in TOTAL_WORDS) or texts[0].startswith(FOOTER_WORDS):
        return False
    if len(cells) == 1:
        return cells[0][0] == name_c  # a lone name is a person without an ID; a lone note line is not
    return True


def _objects(values: Sequence[object]) -> pd.Series:
    """Text as plain Python objects, missing as None (not pandas' string dtype, which turns None into NaN)."""
    return pd.Series(values, dtype=object)


def _names(values: list[object]) -> list[str]:
    return [v.strip() if type(v) is str else clean_text(v) for v in values]


def _unusable(path: Path, dept: Department, note: Issue, *, raw: RawTables | None = None, fmt: str = "",
              sha: str = "") -> DepartmentList:
    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in BASE_COLUMNS})
    return DepartmentList(department=dept, path=path, format=raw.format if raw else fmt,
                          sha256=raw.sha256 if raw else sha, fingerprint="", rows=empty, note=note,
                          encoding=raw.encoding if raw else None)


FINGERPRINT_VERSION = "dept-list-v1"


def fingerprint(dept: Department, rows: pd.DataFrame) -> str:
    """A hash of what the list says — each row's ID (as normalised, or as shown when invalid), name and facts —
    independent of row order, sheet layout, file format and re-saving, so the same list dropped twice (or
    exported once as xlsx and once as csv) is recognised."""
    columns = ["id_text", "name", *[k for k in dept.facts if k in rows.columns]]
    digest = hashlib.sha256(f"{FINGERPRINT_VERSION}|{dept.name}|{'|'.join(columns)}|".encode())
    if len(rows):
        hashed = pd.util.hash_pandas_object(rows[columns], index=False, categorize=False).to_numpy()
        digest.update(np.sort(hashed).tobytes())
    return digest.hexdigest()
