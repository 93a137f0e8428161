"""A district's workspace: settings, editable schemas/rules, the shared folders and the ledger file."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from .config import Config, bundled_dir
from .errors import WorkspaceError
from .ruleset import load_rules
from .schema import load_schemas
from .settings import DistrictSettings, dump_settings, load_settings
from .store import Store

SETTINGS_FILE = "区级设置.yaml"
INBOX = "收件箱"
FEEDBACK = "反馈"
ARCHIVE = "归档"
DEPARTMENTS = "部门数据"
DISTRICT = "区级"
SYSTEM = "系统"
MASTER_NAME = "区级总台账.xlsx"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def init(cls, root: Path, settings: DistrictSettings | None = None) -> "Workspace":
        """Create (or complete) a workspace; existing settings, schemas and rules are never overwritten."""
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        ws = cls(root)
        if not ws.settings_path.exists():
            ws.settings_path.write_text(dump_settings(settings or DistrictSettings()), encoding="utf-8")
        for name in ("schemas", "rules"):
            target = root / name
            if not target.exists():
                shutil.copytree(bundled_dir(name), target)
        ws.ensure_folders(ws.settings())
        ws.open_store().close()
        return ws

    @classmethod
    def open(cls, root: Path) -> "Workspace":
        ws = cls(Path(root))
        if not ws.settings_path.exists():
            raise WorkspaceError(f"{root} 不是 excel_bridge 工作目录（找不到 {SETTINGS_FILE}），请先运行 excel-bridge init {root}")
        return ws

    @property
    def settings_path(self) -> Path:
        return self.root / SETTINGS_FILE

    @property
    def ledger_path(self) -> Path:
        return self.root / SYSTEM / "ledger.sqlite"

    def database(self, override: str | None = None) -> str:
        """Where the ledger lives: --database, else 区级设置's `database:` URL, else the SQLite file here."""
        return override or self.settings().database or str(self.ledger_path)

    def open_store(self, database: str | None = None) -> Store:
        return Store.open(self.database(database))

    @property
    def inbox(self) -> Path:
        return self.root / INBOX

    @property
    def archive(self) -> Path:
        return self.root / ARCHIVE

    @property
    def district_dir(self) -> Path:
        return self.root / DISTRICT

    @property
    def departments(self) -> Path:
        return self.root / DEPARTMENTS

    @property
    def master_path(self) -> Path:
        return self.district_dir / MASTER_NAME

    def key(self, path: Path) -> str:
        """A path as stored in the ledger: relative to the workspace, so moving the workspace changes nothing."""
        try:
            return Path(path).resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return Path(path).resolve().as_posix()

    def town_inbox(self, town: str) -> Path:
        return self.inbox / town

    def town_feedback(self, town: str) -> Path:
        return self.root / FEEDBACK / town

    def settings(self) -> DistrictSettings:
        return load_settings(self.settings_path)

    def config(self) -> Config:
        return Config(schemas=load_schemas(self.root / "schemas"), rules=load_rules(self.root / "rules"),
                      settings=self.settings())

    def ensure_folders(self, settings: DistrictSettings) -> None:
        for path in (self.archive, self.departments, self.district_dir, self.root / SYSTEM):
            path.mkdir(parents=True, exist_ok=True)
        for town in settings.towns:
            self.town_inbox(town).mkdir(parents=True, exist_ok=True)
            self.town_feedback(town).mkdir(parents=True, exist_ok=True)
