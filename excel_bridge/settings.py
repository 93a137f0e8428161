"""District settings: name, code, towns and their villages, the current income year."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .config_files import invalid, read_yaml

# 曲江区's nine towns (马坝镇 is the district seat).
QUJIANG_TOWNS = ("马坝镇", "大塘镇", "枫湾镇", "小坑镇", "沙溪镇", "乌石镇", "樟市镇", "白土镇", "罗坑镇")


class DistrictSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    district: str = "曲江区"
    district_code: str = "440205"
    income_year: int = 2021
    towns: dict[str, list[str]] = Field(default_factory=lambda: {t: [] for t in QUJIANG_TOWNS})
    max_file_mb: int = 64
    poll_seconds: float = 2.0
    rescan_seconds: float = 300.0
    workers: int = 0  # 0 = one per CPU core
    database: str | None = None  # a database URL (postgresql+psycopg://…); none: 系统/ledger.sqlite

    @field_validator("district_code")
    @classmethod
    def _six_digits(cls, v: str) -> str:
        if not (len(v) == 6 and v.isdigit()):
            raise ValueError("区划代码应为 6 位数字")
        return v

    @field_validator("towns")
    @classmethod
    def _some_town(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        if not v:
            raise ValueError("至少要登记一个镇")
        return {str(k): [str(x) for x in (vs or [])] for k, vs in v.items()}

    def canonical_town(self, text: str) -> str | None:
        """The registered town for what a clerk typed ('马坝' or '马坝镇'), or None."""
        if text in self.towns:
            return text
        if text + "镇" in self.towns:
            return text + "镇"
        return None


def load_settings(path: Path) -> DistrictSettings:
    raw = read_yaml(Path(path), "设置") or {}
    try:
        return DistrictSettings.model_validate(raw)
    except ValidationError as exc:
        raise invalid(path, "设置", exc) from exc


def dump_settings(settings: DistrictSettings) -> str:
    header = (
        "# 区级设置：区名、区划代码、各镇及所辖村、当前收入年度。\n"
        "# 村名单可以留空（[]），留空时不检查村名。修改后下一轮处理即生效。\n"
    )
    body = yaml.safe_dump(settings.model_dump(), allow_unicode=True, sort_keys=False)
    return header + body
