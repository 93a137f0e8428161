"""District settings (区级设置.yaml): name, code, towns and their villages, the supervision phone printed on
公示名单, the current income year. Written by `excel-bridge init` with 曲江区 as a commented example."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from .config_files import read_yaml
from .config_types import STRICT, After, Before, as_yaml_dict, read_as
from .errors import ConfigError
from .messages import TEXT

# 曲江区 is the plan's district: constructed in code, DistrictSettings() is 曲江区 (tests, the demo, and
# `check`/`template` without a workspace); a district's own file must name its own (REQUIRED_IN_FILE).
QUJIANG_TOWNS = ("马坝镇", "大塘镇", "枫湾镇", "小坑镇", "沙溪镇", "乌石镇", "樟市镇", "白土镇", "罗坑镇")
QUJIANG_PHONE = "6669428"  # 区乡村振兴局, as published in the plan's notice
QUJIANG_POLICY = "韶曲农组〔2021〕6号"  # the number of 曲江区's 实施方案, printed in the template's 填表说明
QUJIANG_EXAMPLE_VILLAGES = {"马坝镇": ["石塘村"]}  # the committed example workbook's village
REQUIRED_IN_FILE = ("district", "district_code", "towns")
SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")  # a PostgreSQL name that needs no quoting


def _text(v: Any) -> Any:
    # a clerk types 440282 or 6669428 without quotes: YAML reads a number, which is still the text meant
    if v is None:
        return ""
    return str(v).strip() if isinstance(v, (str, int)) and not isinstance(v, bool) else v


def _schema(v: Any) -> Any:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if not isinstance(v, str) or not SCHEMA_NAME.fullmatch(v.strip()):
        from pydantic_core import PydanticCustomError

        raise PydanticCustomError("schema", TEXT["settings.schema_name"], {})
    return v.strip()


def _six_digits(v: str) -> str:
    if v and not (len(v) == 6 and v.isdigit()):
        from pydantic_core import PydanticCustomError

        raise PydanticCustomError("district_code", TEXT["settings.code_digits"], {})
    return v


def _towns(v: Any) -> Any:
    if v is None:  # `towns:` followed only by the commented example
        return {}
    if isinstance(v, dict):
        return {str(k).strip(): [str(x).strip() for x in (vs or [])] if isinstance(vs, (list, tuple, type(None)))
                else vs for k, vs in v.items()}
    return v


@dataclass(kw_only=True)
class DistrictSettings:
    """One district's settings; unset fields in code take 曲江区's values (never when read from a file)."""

    __pydantic_config__ = {**STRICT, "populate_by_name": True}  # (config_types.py)

    district: Annotated[str, Before(_text)] = "曲江区"
    district_code: Annotated[str, Before(_text), After(_six_digits)] = "440205"
    supervision_phone: Annotated[str, Before(_text)] = QUJIANG_PHONE
    # the district's 实施方案 number; "" prints the plan without one
    policy_document: Annotated[str, Before(_text)] = QUJIANG_POLICY
    income_year: int = 2021
    towns: Annotated[dict[str, list[str]], Before(_towns)] = field(
        default_factory=lambda: {t: list[str]() for t in QUJIANG_TOWNS})
    max_file_mb: int = 64
    poll_seconds: float = 2.0
    rescan_seconds: float = 300.0
    workers: int = 0  # 0 = one per CPU core
    database: str | None = None  # a database URL (postgresql+psycopg://…); none: 系统/ledger.sqlite
    # the district's own schema on that PostgreSQL server (several districts, one server); `schema:` in the file
    ledger_schema: Annotated[str | None, Before(_schema)] = field(default=None, metadata={"alias": "schema"})
    approvers: dict[str, list[str]] = field(default_factory=dict)  # 镇名 or 区级 → who may decide (optional)

    def unfinished(self) -> list[str]:
        """What a district must still fill in before files can be processed (empty when complete)."""
        todo = []
        if not self.district:
            todo.append(TEXT["settings.todo_district"])
        if not self.district_code:
            todo.append(TEXT["settings.todo_code"])
        if not self.towns:
            todo.append(TEXT["settings.todo_towns"])
        return todo

    def approvers_of(self, level_or_town: str) -> frozenset[str] | None:
        """Who may decide for a town (or 区级), or None when the district lists nobody for it."""
        names = self.approvers.get(level_or_town)
        return frozenset(n.strip() for n in names if n and n.strip()) if names else None

    def canonical_town(self, text: str) -> str | None:
        """The registered town for what a clerk typed ('马坝' or '马坝镇'), or None."""
        if text in self.towns:
            return text
        if text + "镇" in self.towns:
            return text + "镇"
        return None


def new_district(name: str, *, code: str = "") -> DistrictSettings:
    """A district's first settings: its name and code, no towns yet (init writes 曲江区's as a commented example)."""
    return DistrictSettings(district=name, district_code=code, supervision_phone="", policy_document="", towns={})


def load_settings(path: Path, *, complete: bool = True) -> DistrictSettings:
    """A settings file; ConfigError (Chinese) when it is malformed, lacks a district's own values, or —
    with `complete` — still has towns or code to fill in."""
    path = Path(path)
    raw = read_yaml(path, "设置") or {}
    if not isinstance(raw, dict):
        raise ConfigError(TEXT["settings.not_mapping"].format(path=path))
    missing = [k for k in REQUIRED_IN_FILE if k not in raw]
    if missing:
        raise ConfigError(TEXT["settings.keys_missing"].format(path=path, keys="、".join(missing)))
    raw.setdefault("supervision_phone", "")  # a file that names no phone prints none, never 曲江区's
    raw.setdefault("policy_document", "")  # nor 曲江区's document number
    settings = read_as(DistrictSettings, raw, path, "设置")
    return require_complete(settings, path) if complete else settings


def require_complete(settings: DistrictSettings, path: Path) -> DistrictSettings:
    """The settings, or a ConfigError saying what the district must still fill in before files can be processed."""
    todo = settings.unfinished()
    if todo:
        raise ConfigError(TEXT["settings.unfinished"].format(path=path, todo="；".join(todo)))
    return settings


# one comment above each key of the written file
NOTES = {
    "district": "区名（县、县级市也写在这里，如 南雄市）",
    "district_code": "区划代码：6 位数字，即本区户籍身份证号的前 6 位（曲江区为 440205），用于临时户编号",
    "supervision_phone": "公示名单底部印的监督电话（本区乡村振兴局），如曲江区为 6669428；留空则不印电话",
    "policy_document": "本区防止返贫动态监测和帮扶实施方案的文号，印在村级台账模板的填表说明中，如曲江区为 韶曲农组〔2021〕6号；留空则不印文号",
    "income_year": "当前收入年度（村级台账未填收入年度时按此年度的监测线研判）",
    "towns": "本区各镇及所辖村：每镇一行“镇名:”，其下每村一行“- 村名”；村名单可以留空（写 []），留空时不检查村名",
    "max_file_mb": "单个文件大小上限（MB），超过的文件不处理并说明原因",
    "poll_seconds": "确认文件已复制完成的等待秒数（网络共享上可调大）",
    "rescan_seconds": "watch 模式下即使没有文件通知，每隔多少秒也检查一遍收件箱",
    "workers": "并行处理的进程数；0 表示每个 CPU 核一个",
    "approvers": "（可选）可以在核查表中做决定的人：每个镇（或“区级”）一行，其下列出姓名；登记后，核查人/审核人不在名单中的决定不生效",
    "database": "台账数据库：不写时用本目录“系统/ledger.sqlite”（无需安装任何软件）；多个区县共用一台 PostgreSQL 服务器时写它的地址",
    "schema": "（与 database 一起用）本区在该 PostgreSQL 服务器上的模式名（小写字母、数字、下划线，如 nanxiong）；每个区县一个，init 时自动创建，各区互不可见",
}


def _example_towns() -> list[str]:
    """曲江区's towns as commented YAML lines, to copy the shape from."""
    lines = []
    for town in QUJIANG_TOWNS:
        villages = QUJIANG_EXAMPLE_VILLAGES.get(town)
        if villages:
            lines.append(f"#   {town}:")
            lines += [f"#   - {v}" for v in villages]
        else:
            lines.append(f"#   {town}: []")
    return lines


def dump_settings(settings: DistrictSettings) -> str:
    """The settings as a commented YAML file a district edits in Notepad; load_settings reads it back equal."""
    import yaml  # only here: a run whose settings come from the cache (config_cache.py) loads no PyYAML

    lines = [
        "# 区级设置（excel_bridge）。用记事本编辑：冒号后留一个空格，缩进用空格，不用 Tab。",
        "# 修改后下一轮处理即生效。",
    ]
    for key, value in as_yaml_dict(settings).items():
        lines += ["", f"# {NOTES[key]}"]
        if key == "approvers" and not value:
            lines.append("# approvers: {马坝镇: [王核查, 张核查], 区级: [李审核]}")
            continue
        if key == "database" and value is None:
            lines.append("# database: postgresql+psycopg://用户名:密码@服务器地址:5432/数据库名")
            continue
        if key == "schema" and value is None:
            lines.append("# schema: nanxiong")
            continue
        if key == "towns" and not value:
            lines += ["# 请在下面的“towns:”之后按本区实际填写，例如曲江区是这样写的（去掉行首的“#”即生效）：",
                      "towns:", *_example_towns()]
            continue
        text = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, default_flow_style=False)
        lines += text.rstrip("\n").splitlines()
    return "\n".join(lines) + "\n"
