"""Load schemas/*.yaml into sheet specs: headers, types, required flags, allowed values, aliases."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal

from .config_files import read_yaml
from .config_types import STRICT, read_as
from .errors import ConfigError
from .messages import TEXT
from .normalize import norm_header

ColumnType = Literal["text", "id", "phone", "choice", "multichoice", "integer", "money", "year", "date", "town"]
SHEET_KINDS = ("household", "member", "measure", "review")
# 两不愁三保障 and 饮水安全: the household columns the rules (R-GUARANTEE) and departments' rules name
GUARANTEE_KEYS = ("food_clothing", "education_secure", "medical_secure", "housing_secure", "water_secure")


@dataclass(frozen=True, kw_only=True)
class ColumnSpec:
    __pydantic_config__ = STRICT  # (config_types.py)

    key: str
    header: str
    type: ColumnType = "text"
    required: bool = True
    allowed: tuple[str, ...] | None = None
    allowed_from: str | None = None
    separator: str | None = None
    exclusive: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    width: float = 12
    hint: str | None = None
    aliases: tuple[str, ...] = ()
    shared: bool = False  # member.yaml: shown in the workbook shared back with departments (plan 七(二), 民政)
    master: bool = True  # member.yaml: shown in the master's 家庭成员 (False: what a file says only about a change)

    def __post_init__(self) -> None:  # (pydantic runs it once the fields are valid)
        if self.type in ("choice", "multichoice") and not (self.allowed or self.allowed_from):
            raise ValueError(f"列“{self.header}”是选择类型，但没有 allowed 或 allowed_from")


@dataclass(frozen=True, kw_only=True)
class SystemColumn:
    __pydantic_config__ = STRICT
    key: str
    header: str
    width: float = 14


@dataclass(frozen=True, kw_only=True)
class SheetSpec:
    __pydantic_config__ = STRICT

    sheet: str
    kind: Literal["household", "member", "measure", "review"]
    version: int = 1
    sheet_aliases: tuple[str, ...] = ()
    columns: tuple[ColumnSpec, ...]
    system_columns: tuple[SystemColumn, ...] = ()

    def __post_init__(self) -> None:  # (pydantic runs it once the fields are valid)
        keys = [c.key for c in self.columns]
        dup = {k for k in keys if keys.count(k) > 1}
        if dup:
            raise ValueError(f"表“{self.sheet}”中 key 重复：{sorted(dup)}")
        names = [norm_header(n) for c in self.columns for n in (c.header, *c.aliases)]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"表“{self.sheet}”中列名或别名重复：{sorted(dup)}")

    def column(self, key: str) -> ColumnSpec:
        for c in self.columns:
            if c.key == key:
                return c
        raise KeyError(key)

    @cached_property
    def header_lookup(self) -> dict[str, str]:
        """Normalised header or alias → column key."""
        out: dict[str, str] = {}
        for c in self.columns:
            for name in (c.header, *c.aliases):
                out[norm_header(name)] = c.key
        return out

    @cached_property
    def system_headers(self) -> frozenset[str]:
        return frozenset(norm_header(s.header) for s in self.system_columns)

    @cached_property
    def sheet_names(self) -> frozenset[str]:
        return frozenset(norm_header(n) for n in (self.sheet, *self.sheet_aliases))


@dataclass(frozen=True)
class Schemas:
    """The four village sheet specs, with shared value lists resolved."""

    sheets: dict[str, SheetSpec]
    lists: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def __getitem__(self, kind: str) -> SheetSpec:
        return self.sheets[kind]

    @property
    def household(self) -> SheetSpec:
        return self.sheets["household"]

    @property
    def member(self) -> SheetSpec:
        return self.sheets["member"]

    @property
    def measure(self) -> SheetSpec:
        return self.sheets["measure"]

    @property
    def review(self) -> SheetSpec:
        return self.sheets["review"]

    def allowed(self, col: ColumnSpec) -> tuple[str, ...] | None:
        if col.allowed is not None:
            return col.allowed
        if col.allowed_from is not None:
            return self.lists[col.allowed_from]
        return None

    @property
    def guarantees(self) -> tuple[str, ...]:
        """The guarantee columns' headers as household.yaml spells them (吃穿不愁, 义务教育有保障, …)."""
        headers = {c.key: c.header for c in self.household.columns}
        return tuple(headers[k] for k in GUARANTEE_KEYS if k in headers)

    @property
    def version(self) -> str:
        return ".".join(str(self.sheets[k].version) for k in SHEET_KINDS)


def load_schemas(directory: Path) -> Schemas:
    """Read household/member/measure/review.yaml and lists.yaml from a schemas folder."""
    directory = Path(directory)
    lists_raw = read_yaml(directory / "lists.yaml", "配置") if (directory / "lists.yaml").exists() else {}
    if not isinstance(lists_raw, dict):
        raise ConfigError(TEXT["config.lists_shape"].format(path=directory / "lists.yaml"))
    lists = {str(k): tuple(str(v) for v in vals) for k, vals in lists_raw.items()}
    sheets: dict[str, SheetSpec] = {}
    for kind in SHEET_KINDS:
        path = directory / f"{kind}.yaml"
        spec = read_as(SheetSpec, read_yaml(path, "配置"), path, "配置")
        if spec.kind != kind:
            raise ConfigError(TEXT["config.kind"].format(path=path, kind=kind))
        for col in spec.columns:
            if col.allowed_from and col.allowed_from not in lists:
                raise ConfigError(TEXT["config.list_unknown"].format(path=path, header=col.header,
                                                                     name=col.allowed_from))
        sheets[kind] = spec
    return Schemas(sheets=sheets, lists=lists)
