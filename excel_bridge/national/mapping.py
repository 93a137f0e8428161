"""rules/import.yaml as typed models: the national system's person-level export (全国防返贫监测信息系统 /
省防贫监测信息系统, DOMAIN.md "The national system's exports") mapped onto our schemas, both ways.

National → ours (`excel-bridge import`): `ImportRules.match_headers` finds the columns of a header row,
`NationalColumn.to_ours` maps one cell (values, prefixes, several values in a cell), `ImportRules.risk_type`
maps a national risk word to the plan's nine types (anything else → 其他, the word kept), `category_of` a
监测对象类型 word to our category, `parse_date` the national date forms (YYYY-MM, YYYYMM, dates).

Ours → national (`export 省系统`): `ImportRules.national_headers()` is the header row an export writes (the
first alias of each column, in the national order), `ImportRules.national_row(household, member)` one person's
row: each column filled from the household's values (the ledger's households.data plus the import fields
category / eliminated / eliminated_date / identified_date / risks) and the member's values (members.data), value
maps reversed (our value → the first national word listed for it).

A district's own copy (<workspace>/rules/import.yaml) overrides the bundled one; a typo is refused in Chinese
with its entry and line (config_files.invalid)."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from ..config import bundled_dir
from ..config_files import invalid, read_yaml
from ..errors import ConfigError
from ..messages import TEXT
from ..normalize import clean_text, norm_header
from ..schema import Schemas, load_schemas
from ..workflow import CATEGORIES

IMPORT_FILE = "import.yaml"
Level = Literal["household", "member"]
OTHER_RISK = "其他"
RISK_FIELDS = ("risk_1", "risk_2", "risk_3", "risk_4", "risk_5")
MEASURE_FIELD = "measure"
# the fields a national column may map to besides our schemas' keys (DOMAIN.md "The national system's exports")
IMPORT_FIELDS: dict[str, Level] = {
    "category": "household", "eliminated": "household", "eliminated_date": "household",
    "data_date": "household", "county": "household", "first_identified": "household",
    **{f: "household" for f in RISK_FIELDS}, MEASURE_FIELD: "household",
    "person_no": "member",
}
NATIONAL_COLUMNS = 32  # the person-level list's columns, before those of the wider exports (DOMAIN.md)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NationalColumn(_Strict):
    """One column of the national export: its header aliases (first = what an export writes), level, the field of
    ours it maps to (None: read past) and its value maps."""

    headers: list[str] = Field(min_length=1)
    level: Level
    field: str | None = None
    values: dict[str, list[str]] = Field(default_factory=dict)  # our value → national words (first: the export's)
    prefixes: dict[str, list[str]] = Field(default_factory=dict)  # our value → national words it starts with
    split: str = ""  # characters separating several values in one cell (健康状况)
    measure: str | None = None  # field: measure — the 措施类别 the column records

    @field_validator("headers")
    @classmethod
    def _headers_text(cls, v: list[str]) -> list[str]:
        if any(not norm_header(h) for h in v):
            raise ValueError("列名不能为空")
        return v

    @model_validator(mode="after")
    def _measure_named(self) -> "NationalColumn":
        if (self.field == MEASURE_FIELD) != (self.measure is not None):
            raise ValueError("field: measure 的列要写 measure（措施类别），其他列不写")
        return self

    @property
    def header(self) -> str:
        """The header a national export writes (and export 省系统 writes)."""
        return self.headers[0]

    @cached_property
    def _lookup(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for ours, words in self.values.items():
            out.setdefault(clean_text(ours), ours)
            for word in words:
                out[clean_text(word)] = ours
        return out

    @cached_property
    def _prefix_list(self) -> list[tuple[str, str]]:
        pairs = [(clean_text(word), ours) for ours, words in self.prefixes.items() for word in words]
        return sorted(pairs, key=lambda p: -len(p[0]))  # the longest prefix first (高职高专 before 高职)

    @cached_property
    def _reverse(self) -> dict[str, str]:
        return {ours: words[0] for ours, words in self.values.items() if words}

    def to_ours(self, value: object) -> str | None:
        """One cell as our value (values and prefixes applied; several values joined by 、); None when blank.
        A word no map names is returned as it is (the caller checks it against our allowed values)."""
        text = clean_text(value)
        if not text:
            return None
        if self.split:
            parts = [p.strip() for p in re.split("[" + re.escape(self.split) + "]", text) if p.strip()]
            if len(parts) > 1:
                return "、".join(dict.fromkeys(self._one(p) for p in parts))
        return self._one(text)

    def _one(self, text: str) -> str:
        hit = self._lookup.get(text)
        if hit is not None:
            return hit
        for prefix, ours in self._prefix_list:
            if text.startswith(prefix):
                return ours
        return text

    def to_national(self, value: object) -> str | None:
        """Our value as the national word (the reverse of `values`: the first word listed; else unchanged)."""
        text = clean_text(value)
        if not text:
            return None
        if self.split and "、" in text:
            return "、".join(self._reverse.get(p, p) for p in text.split("、"))
        return self._reverse.get(text, text)


class ImportRules(_Strict):
    clause: str
    household_key: str = Field(min_length=1)  # the header grouping persons into households (户编号)
    relation_head: str = Field(min_length=1)  # the 与户主关系 value (ours) of the household's head
    columns: list[NationalColumn] = Field(min_length=NATIONAL_COLUMNS)
    risk_words: dict[str, list[str]] = Field(min_length=1)  # our risk type → national words
    category_words: dict[str, list[str]] = Field(min_length=1)  # our category → national words
    date_formats: list[str] = Field(min_length=1)

    @field_validator("columns")
    @classmethod
    def _fields_known(cls, v: list[NationalColumn], info: ValidationInfo) -> list[NationalColumn]:
        keys = _schema_keys(info)
        seen: dict[str, str] = {}  # field → the header of the column mapping to it
        headers: dict[str, str] = {}  # normalised alias → the column's header
        for col in v:
            if col.field is not None and col.field != MEASURE_FIELD:
                known = keys[col.level] | {f for f, lv in IMPORT_FIELDS.items() if lv == col.level}
                if col.field not in known:
                    raise ValueError(TEXT["import.config_field"].format(
                        header=col.header, field=col.field, level=col.level))
                if col.field in seen:
                    raise ValueError(TEXT["import.config_twice"].format(
                        field=col.field, first=seen[col.field], second=col.header))
                seen[col.field] = col.header
            for header in col.headers:
                key = norm_header(header)
                if key in headers and headers[key] != col.header:
                    raise ValueError(TEXT["import.config_header_twice"].format(header=header))
                headers[key] = col.header
        return v

    @field_validator("risk_words")
    @classmethod
    def _risk_types_known(cls, v: dict[str, list[str]], info: ValidationInfo) -> dict[str, list[str]]:
        known = _risk_types(info)
        bad = [k for k in v if k not in known]
        if bad:
            raise ValueError(TEXT["dept.config_risk_type"].format(value="、".join(bad), known="、".join(known)))
        return v

    @field_validator("category_words")
    @classmethod
    def _categories_known(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        bad = [k for k in v if k not in CATEGORIES]
        if bad:
            raise ValueError(TEXT["import.config_category"].format(value="、".join(bad), known="、".join(CATEGORIES)))
        return v

    @field_validator("date_formats")
    @classmethod
    def _formats_work(cls, v: list[str]) -> list[str]:
        for fmt in v:
            try:
                dt.datetime.strptime(dt.date(2021, 3, 4).strftime(fmt), fmt)
            except ValueError as exc:
                raise ValueError(TEXT["import.config_date_format"].format(value=fmt)) from exc
        return v

    @model_validator(mode="after")
    def _key_columns(self) -> "ImportRules":
        for field in ("household_no", "person_id", "relation", "name"):
            if self.column_for(field) is None:
                raise ValueError(TEXT["import.config_needs"].format(field=field))
        key = self.column_for("household_no")
        if key is not None and norm_header(self.household_key) not in {norm_header(h) for h in key.headers}:
            raise ValueError(TEXT["import.config_needs"].format(field=self.household_key))
        return self

    # ---- national → ours -------------------------------------------------------------------------------------

    def column_for(self, field: str) -> NationalColumn | None:
        return next((c for c in self.columns if c.field == field), None)

    @cached_property
    def _header_index(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for i, col in enumerate(self.columns):
            for header in col.headers:
                out.setdefault(norm_header(header), i)
        return out

    def column_of_header(self, header: object) -> NationalColumn | None:
        """The national column a header names (after normalising width, spaces and brackets)."""
        i = self._header_index.get(norm_header(header))
        return None if i is None else self.columns[i]

    def match_headers(self, row: Sequence[object]) -> dict[int, NationalColumn]:
        """Position in `row` → the national column its header names; the first of two cells naming one
        column wins (the export's own header before an alias)."""
        out: dict[int, NationalColumn] = {}
        taken: set[int] = set()
        for pos, cell in enumerate(row):
            i = self._header_index.get(norm_header(cell))
            if i is not None and i not in taken:
                out[pos] = self.columns[i]
                taken.add(i)
        return out

    def is_header_row(self, row: Sequence[object]) -> bool:
        """A header row of a national export: the person's ID, the 户编号 and the relation among its cells."""
        found = {c.field for c in self.match_headers(row).values()}
        return {"household_no", "person_id", "relation"} <= found

    @cached_property
    def _risk_lookup(self) -> dict[str, str]:
        return {clean_text(w): ours for ours, words in self.risk_words.items() for w in [ours, *words]}

    def risk_type(self, word: object) -> tuple[str, str | None] | None:
        """A national risk word as (one of the nine types or 其他, the national word kept when it is 其他 by
        default); None when blank."""
        text = clean_text(word)
        if not text or text in ("无", "/"):
            return None
        ours = self._risk_lookup.get(text)
        if ours is None:
            return OTHER_RISK, text
        return ours, (text if ours == OTHER_RISK and text != OTHER_RISK else None)

    @cached_property
    def _category_lookup(self) -> dict[str, str]:
        return {clean_text(w): ours for ours, words in self.category_words.items() for w in [ours, *words]}

    def category_of(self, word: object) -> str | None:
        """A 监测对象类型 word as our category; None when blank or not one the mapping knows."""
        return self._category_lookup.get(clean_text(word))

    def parse_date(self, value: object) -> dt.date | None:
        """A national date: a date cell, YYYYMM or YYYYMMDD as a number, or text in one of date_formats
        (a month alone counts from its first day). None when blank or not a date."""
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        text = clean_text(value)
        if not text:
            return None
        if text.isdigit():  # YYYYMM or YYYYMMDD: strptime alone would read 202111 as 2021-1-1
            formats = [f for f in self.date_formats if len(dt.date(2021, 12, 31).strftime(f)) == len(text)
                       and dt.date(2021, 12, 31).strftime(f).isdigit()]
        else:
            formats = self.date_formats
        for fmt in formats:
            try:
                return dt.datetime.strptime(text, fmt).date()
            except ValueError:
                continue
        return None

    # ---- ours → national -------------------------------------------------------------------------------------

    def national_headers(self, *, wide: bool = False) -> list[str]:
        """The header row an export writes: the 32 columns of the person-level list (wide: every column)."""
        cols = self.columns if wide else self.columns[:NATIONAL_COLUMNS]
        return [c.header for c in cols]

    @cached_property
    def _risk_reverse(self) -> dict[str, str]:
        return {ours: (words[0] if words else ours) for ours, words in self.risk_words.items()}

    @cached_property
    def _category_reverse(self) -> dict[str, str]:
        return {ours: (words[0] if words else ours) for ours, words in self.category_words.items()}

    def national_risks(self, household: Mapping[str, Any]) -> list[str]:
        """The household's risks as national words: main_risk, other_risk_1, other_risk_2, then `risks` (the
        import's full list: [[type, national word or None], …]); 其他 as the national word kept with it."""
        kept = {t: w for t, w in (tuple(p) for p in household.get("risks") or ()) if w}
        words: list[str] = []
        for key in ("main_risk", "other_risk_1", "other_risk_2"):
            ours = household.get(key)
            if ours:
                words.append(kept.get(ours) or self._risk_reverse.get(ours, ours))
        for ours, word in (tuple(p) for p in household.get("risks") or ()):
            national = word or self._risk_reverse.get(ours, ours)
            if national not in words:
                words.append(national)
        return words

    def national_value(self, col: NationalColumn, household: Mapping[str, Any], member: Mapping[str, Any]) -> Any:
        """How one national column is filled from a household's values and one member's: our value through the
        reversed value map; dates as YYYY-MM-DD; risks as national words; a measure column 是 when the household
        has a measure of that 措施类别. None: nothing to write (序号, 数据日期 and 县 are the exporter's)."""
        if col.field is None:
            return None
        if col.field in RISK_FIELDS:
            risks = self.national_risks(household)
            i = RISK_FIELDS.index(col.field)
            return risks[i] if i < len(risks) else None
        if col.field == MEASURE_FIELD:
            kinds = {m.get("category") for m in household.get("measures") or ()}
            return "是" if col.measure in kinds else None
        if col.field == "category":
            cat = household.get("category")
            return self._category_reverse.get(cat, cat) if cat else None
        if col.field == "head_name":
            return household.get("head_name")
        source = member if col.level == "member" else household
        value = source.get(col.field)
        if isinstance(value, (dt.date, dt.datetime)):
            return value.isoformat()[:10]
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            value = "是" if value else "否"
        if isinstance(value, (int, float)) and not col.values:
            return value
        return col.to_national(value)

    def national_row(self, household: Mapping[str, Any], member: Mapping[str, Any], *,
                     wide: bool = False) -> list[Any]:
        """One person's row in the national layout (national_headers' order). household: the ledger's
        households.data with the import fields category, eliminated (是/否), eliminated_date, identified_date,
        risks and measures ([{category: …}]) set by the caller; member: members.data."""
        cols = self.columns if wide else self.columns[:NATIONAL_COLUMNS]
        return [self.national_value(c, household, member) for c in cols]

    def fills(self) -> list[tuple[str, str | None]]:
        """For each national column, (header, the field of ours it is filled from or None): what the 省系统 sheet
        and the rules page can show."""
        return [(c.header, c.field) for c in self.columns]


def _schema_keys(info: ValidationInfo) -> dict[str, set[str]]:
    schemas = _schemas(info)
    return {"household": {c.key for c in schemas.household.columns},
            "member": {c.key for c in schemas.member.columns}}


def _risk_types(info: ValidationInfo) -> tuple[str, ...]:
    return tuple(_schemas(info).lists.get("risk_types", ()))


def _schemas(info: ValidationInfo) -> Schemas:
    ctx = info.context
    if isinstance(ctx, dict) and isinstance(ctx.get("schemas"), Schemas):
        return ctx["schemas"]
    return load_schemas(bundled_dir("schemas"))


def import_rules_path(rules_dir: Path | None = None) -> Path:
    """The workspace's rules/import.yaml; the bundled one when the workspace has none."""
    if rules_dir is not None and (Path(rules_dir) / IMPORT_FILE).exists():
        return Path(rules_dir) / IMPORT_FILE
    return bundled_dir("rules") / IMPORT_FILE


# The rules last checked in this process, with the file's bytes and the schemas they were checked against: a district
# job exports for the provincial system after every pass (issue 23: parsing and checking import.yaml each time was
# ~3 ms of a job; in the tests, whose every workspace has its own copy, 6 s of CPU). What they say depends on those
# two only (the path is only named in an error, and an error is never kept). Read-only once built, as every loaded
# configuration is.
_last: tuple[bytes, Schemas, ImportRules] | None = None


def load_import_rules(rules_dir: Path | None = None, schemas: Schemas | None = None) -> ImportRules:
    """rules/import.yaml of the workspace (rules_dir), else the bundled one; the schemas it is checked against:
    `schemas`, else the workspace's beside its rules/, else the bundled ones. The same file's bytes checked against
    equal `schemas` as the last call are not parsed and checked again."""
    global _last
    path = import_rules_path(rules_dir)
    try:
        data = path.read_bytes()
    except OSError:
        data = None  # read_yaml says what is wrong with it
    last = _last
    if last is not None and data is not None and last[0] == data and (last[1] is schemas or last[1] == schemas):
        return last[2]
    rules = _load_import_rules(path, rules_dir, schemas)
    if data is not None and schemas is not None:
        _last = (data, schemas, rules)
    return rules


def _load_import_rules(path: Path, rules_dir: Path | None, schemas: Schemas | None) -> ImportRules:
    raw = read_yaml(path, "规则")
    if raw is not None and not isinstance(raw, dict):
        raise ConfigError(TEXT["import.config_shape"].format(path=path))
    if schemas is None:
        beside = None if rules_dir is None else Path(rules_dir).parent / "schemas"
        schemas = load_schemas(beside if beside is not None and (beside / "lists.yaml").exists()
                               else bundled_dir("schemas"))
    try:
        return ImportRules.model_validate(raw or {}, context={"schemas": schemas})
    except ValidationError as exc:
        raise invalid(path, "规则", exc, source=path.read_text(encoding="utf-8")) from exc

