"""The numbers a monthly 通报 carries in its hidden 系统信息 sheet, for a city that rolls districts up from their
通报 workbooks (issue 24): written by writers/bulletin.py, read back (in a worker: the bytes are a dropped file's)
and checked like any workbook we read — our template's id and version, the district and month it names, the data
whole (its SHA-256 beside it) and shaped as the district's tables are."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import UnreadableFile
from .messages import TEXT
from .read import META_SHEET, sheet_rows
from .statistics import MONTHLY, RISK, TABLE_KEYS, TOTAL, StatTable

BULLETIN_KIND = "excel_bridge.bulletin"
NUMBERS_VERSION = "2"  # version 1 (before issue 24) carried no numbers
DATA, DIGEST = "数据", "数据校验"  # the rows 数据1, 数据2 … hold the JSON in pieces; 数据校验 its SHA-256
PIECE = 30_000  # characters per cell (Excel holds 32,767)


@dataclass(frozen=True)
class BulletinNumbers:
    """One district's month as its 通报 workbook carries it."""

    district: str
    month: str  # 2021-12
    as_of: str  # the day counted for (ISO)
    made_at: str  # 生成时间 of the workbook
    tables: tuple[StatTable, ...]
    checks: StatTable | None
    path: str


@dataclass(frozen=True)
class Refused:
    """A workbook in the city's inbox that cannot be used, and why (Chinese)."""

    path: str
    reason: str


def numbers_rows(tables: tuple[StatTable, ...], checks: StatTable | None) -> list[tuple[str, str]]:
    """The hidden sheet's rows that carry the numbers."""
    payload = json.dumps({"tables": [t.to_json() for t in tables], "checks": checks.to_json() if checks else None},
                         ensure_ascii=False, sort_keys=True)
    pieces = [payload[i:i + PIECE] for i in range(0, len(payload), PIECE)] or [""]
    return [*((f"{DATA}{n}", piece) for n, piece in enumerate(pieces, start=1)),
            (DIGEST, hashlib.sha256(payload.encode("utf-8")).hexdigest())]


def read_bulletin_numbers(path: str) -> BulletinNumbers | Refused:
    """In a worker: the numbers of one 通报 workbook, or why it cannot be used."""
    try:
        rows = sheet_rows(Path(path), META_SHEET)
    except UnreadableFile as exc:
        return Refused(path, TEXT["city.bulletin_unreadable"].format(reason=str(exc)))
    meta: dict[str, str] = {}
    for row in rows or ():
        if len(row) >= 2 and isinstance(row[0], str) and isinstance(row[1], str):
            meta[row[0].strip()] = row[1]
    if meta.get("模板编号") != BULLETIN_KIND:
        return Refused(path, TEXT["city.not_bulletin"])
    if meta.get("模板版本") != NUMBERS_VERSION:
        return Refused(path, TEXT["city.bulletin_old"].format(version=meta.get("模板版本", "")))
    district, month, as_of = meta.get("区", "").strip(), meta.get("月份", "").strip(), meta.get("截至", "").strip()
    if not district or not month or not as_of:
        return Refused(path, TEXT["city.bulletin_damaged"])
    payload = "".join(meta.get(f"{DATA}{n}", "") for n in range(1, len(meta) + 1) if f"{DATA}{n}" in meta)
    if hashlib.sha256(payload.encode("utf-8")).hexdigest() != meta.get(DIGEST, "").strip():
        return Refused(path, TEXT["city.bulletin_damaged"])
    try:
        doc = json.loads(payload)
        tables = tuple(_table(t) for t in doc["tables"])
        checks = _table(doc["checks"]) if doc.get("checks") else None
    except (ValueError, KeyError, TypeError):
        return Refused(path, TEXT["city.bulletin_damaged"])
    if tuple(t.key for t in tables) != TABLE_KEYS or any(TOTAL not in {r[0] for r in t.rows}
                                                   for t in tables if t.key not in (RISK, MONTHLY)):
        return Refused(path, TEXT["city.bulletin_damaged"])
    return BulletinNumbers(district=district, month=month, as_of=as_of, made_at=meta.get("生成时间", ""),
                           tables=tables, checks=checks, path=path)


def _table(doc: Any) -> StatTable:
    """A table from its JSON, every row as wide as its header, every count a whole number (else ValueError)."""
    table = StatTable.from_json(doc)
    for row in table.rows:
        if len(row) != len(table.header) or not isinstance(row[0], str) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in row[1:]):
            raise ValueError(table.key)
    return table

