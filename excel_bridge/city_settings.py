"""A city's settings (市级设置.yaml) and its folder (issue 24): the city's name, the PostgreSQL server its districts'
schemas are on, and each district with where its ledger is — a schema on that server, a ledger of its own (a SQLite
file on a share, or a database URL) — or that it sends its monthly 通报 workbook into the city's inbox.

    city: 韶关市
    server: postgresql+psycopg://city_reader:密码@服务器:5432/ledgers   # a role that may only read is enough
    districts:
      - {name: 曲江区, schema: qujiang}
      - {name: 武江区, schema: wujiang}
      - {name: 南雄市, database: //share/南雄市/系统/ledger.sqlite}
      - {name: 仁化县, bulletin: true}          # sends 仁化县…通报（2021年12月）.xlsx into 收件箱/

The city's folder is the one its settings file is in: `收件箱/` for the districts' 通报 workbooks, `市级汇总.xlsx`
written beside the settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from .config_files import invalid, read_yaml
from .errors import ConfigError
from .messages import TEXT
from .settings import SCHEMA_NAME
from .workspace import CITY_SPLIT, DEPARTMENTS, INBOX

CITY_SETTINGS_FILE = "市级设置.yaml"
SUMMARY_FILE = "市级汇总.xlsx"


class CityDistrict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    ledger_schema: str | None = Field(default=None, alias="schema")
    database: str | None = None
    bulletin: bool = False
    code: str | None = None  # its 区划代码: a city-level department list's rows go by the ID's first 6 digits
    workspace: str | None = None  # its workspace folder as the city reaches it: split lists go to its 部门数据/

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, v: Any) -> Any:
        if v is None:
            return None
        text = str(v).strip()
        if not (len(text) == 6 and text.isdigit()):
            raise PydanticCustomError("code", TEXT["settings.code_digits"], {})
        return text

    @field_validator("name", mode="before")
    @classmethod
    def _name(cls, v: Any) -> Any:
        return str(v).strip() if isinstance(v, (str, int)) else v

    @field_validator("ledger_schema", mode="before")
    @classmethod
    def _schema(cls, v: Any) -> Any:
        if v is None:
            return None
        if not isinstance(v, str) or not SCHEMA_NAME.fullmatch(v.strip()):
            raise PydanticCustomError("schema", TEXT["settings.schema_name"], {})
        return v.strip()

    @model_validator(mode="after")
    def _one_source(self) -> "CityDistrict":
        if not self.name:
            raise PydanticCustomError("name", TEXT["city.district_no_name"], {})
        if sum((self.ledger_schema is not None, self.database is not None, self.bulletin)) != 1:
            raise PydanticCustomError("source", TEXT["city.district_source"].format(district=self.name), {})
        return self


class CitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    city: str
    server: str | None = None
    districts: list[CityDistrict]

    @model_validator(mode="after")
    def _consistent(self) -> "CitySettings":
        names = [d.name for d in self.districts]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise PydanticCustomError("districts", TEXT["city.district_twice"].format(names="、".join(twice)), {})
        if not self.districts:
            raise PydanticCustomError("districts", TEXT["city.no_districts"], {})
        if self.server is None and any(d.ledger_schema is not None for d in self.districts):
            raise PydanticCustomError("server", TEXT["city.schema_without_server"], {})
        return self


@dataclass(frozen=True)
class City:
    """A city's folder: its settings file, its inbox of 通报 workbooks and where its summary is written."""

    settings_path: Path

    @property
    def root(self) -> Path:
        return self.settings_path.parent

    @property
    def inbox(self) -> Path:
        return self.root / INBOX

    @property
    def summary_path(self) -> Path:
        return self.root / SUMMARY_FILE

    @property
    def departments(self) -> Path:
        """部门数据/<部门>/: lists a city-level department drops for the whole city, split into the districts'."""
        return self.root / DEPARTMENTS

    @property
    def split_dir(self) -> Path:
        return self.root / CITY_SPLIT


def load_city(path: Path) -> CitySettings:
    """The city's settings; ConfigError (Chinese) naming what is wrong."""
    raw = read_yaml(Path(path), "市级设置")
    if not isinstance(raw, dict):
        raise ConfigError(TEXT["city.settings_not_mapping"].format(path=path))
    try:
        return CitySettings.model_validate(raw)
    except ValidationError as exc:
        raise invalid(path, "市级设置", exc) from exc
