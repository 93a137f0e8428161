"""A district's workspace: settings, editable schemas/rules, the shared folders and the ledger file."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .config import Config, bundled_dir
from .config_cache import remembered
from .errors import ConfigError, LedgerError, UsageError, WorkspaceError
from .messages import TEXT
from .ruleset import load_rules
from .schema import load_schemas
from .settings import DistrictSettings, dump_settings, load_settings, require_complete

if TYPE_CHECKING:  # the store (SQLAlchemy) is imported when a ledger is opened, not by `check` or `template`
    from .store import Store

SETTINGS_FILE = "区级设置.yaml"
INBOX = "收件箱"
FEEDBACK = "反馈"
ARCHIVE = "归档"
DEPARTMENTS = "部门数据"
DISTRICT = "区级"
SYSTEM = "系统"
MASTER_NAME = "区级总台账.xlsx"
TOWN_ONLY = "镇级"  # 反馈/<镇>/镇级/ and 收件箱/<镇>/镇级/: the town's own folders, no village may write there
DEPARTMENT_NOTES = "部门"  # 反馈/部门/: notes on department lists
IMPORT_NOTES = "导入"  # 反馈/导入/: notes on the national system's exports imported (excel-bridge import)
IMPORT_NOTE_SUFFIX = "_导入说明"  # 反馈/导入/<文件>_导入说明.txt
SHARE = "部门共享"  # 区级/部门共享/: what the district shares back with departments
RETURNED_SUFFIX = "_反馈"
REVIEW_SUFFIX = "_镇级核查表"
PROVINCIAL_SUFFIX = "_省系统录入"  # the export for the provincial system (provincial/export.py)
NOTICE_SUFFIX = "_公示名单"
PREFILLED_NAME = "监测台账（预填）"  # 反馈/<镇>/<村>/<村>监测台账（预填）.xlsx, after an import
PREFILLED_YEAR_NAME = "监测台账（{year}年回头看）"  # …/<村>监测台账（2022年回头看）.xlsx, a yearly round
UNREADABLE_SUFFIX = "_无法读取"
NOT_APPLIED_SUFFIX = "_未入账"  # a village file refused whole (another town's households, no rows)
WRONG_TOWN_SUFFIX = "_放错镇"  # told to the town whose households were dropped in another town's folder
NOTE_SUFFIX = "_说明"  # 反馈/部门/<部门>_说明.txt
NOTE_SUFFIXES = (UNREADABLE_SUFFIX, NOT_APPLIED_SUFFIX, WRONG_TOWN_SUFFIX, NOTE_SUFFIX)  # a note: "<stem><one>.txt"
INBOX_NOTE = "收件箱说明.txt"
CITY_SPLIT = "部门数据分拆"  # a city's folder: what a city-level department list gave each district, and the notes
CITY_SPLIT_NOTE = "{district}_{department}_分拆说明.txt"
NAME_BYTES = 150  # a derived file name's stem is cut to this many UTF-8 bytes (255 is the limit of most disks)


def short_stem(stem: str, *, limit: int = NAME_BYTES) -> str:
    """A file name's stem cut (on a character boundary) so that names derived from it fit on any disk."""
    data = stem.encode("utf-8")
    if len(data) <= limit:
        return stem
    return data[:limit].decode("utf-8", "ignore").rstrip() + "…"


def safe_component(name: str) -> str | None:
    """A name from a clerk's file (a village) made safe as one folder name: no separators, no control
    characters, no leading dots (a village called "../镇级" must not reach another folder); None if empty."""
    cleaned = "".join(ch for ch in str(name) if ch.isprintable() and ch not in '\\/:*?"<>|').strip().lstrip(".")
    return short_stem(cleaned, limit=90) or None


def plain_stem(name: str) -> str:
    """A workbook's name without its suffix and without the "_反馈" our returned copies add (a corrected
    returned copy dropped again is the same village file)."""
    stem = Path(name).stem
    while stem.endswith(RETURNED_SUFFIX):
        stem = stem[: -len(RETURNED_SUFFIX)]
    return stem or Path(name).stem


def find_workspace(start: Path) -> Path | None:
    """The workspace a command stands in: `start` or the nearest folder above it holding 区级设置.yaml."""
    start = Path(start).absolute()
    for folder in (start, *start.parents):
        if (folder / SETTINGS_FILE).is_file():
            return folder
    return None


def workspace_of_district(district: str, near: list[Path]) -> Path | None:
    """A workspace whose settings name `district` (a file's hidden sheet says whose it is): the one above each
    folder in `near`, then the workspaces directly inside them; None when none matches."""
    seen: list[Path] = []
    for folder in near:
        found = find_workspace(folder)
        if found is not None:
            seen.append(found)
        try:
            seen += sorted(p for p in Path(folder).iterdir() if (p / SETTINGS_FILE).is_file())
        except OSError:
            continue
    for root in dict.fromkeys(seen):
        try:
            if Workspace(root).settings(complete=False).district == district:  # (cached: no PyYAML, no pydantic)
                return root
        except ConfigError:
            continue
    return None


@dataclass(frozen=True)
class Workspace:
    root: Path

    @classmethod
    def init(cls, root: Path, settings: DistrictSettings | None = None) -> "Workspace":
        """Create (or complete) a workspace; existing settings, schemas and rules are never overwritten.
        Without settings the workspace is 曲江区's (tests, the demo); `excel-bridge init` always passes them."""
        return init_workspace(root, settings or DistrictSettings()).workspace

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
        """Where the ledger lives: --database, else 区级设置's `database:` URL, else the SQLite file here; with
        `schema:` the district's own schema on that server (unless the URL itself names one)."""
        settings = self.settings(complete=False)
        target = override or settings.database
        if settings.ledger_schema is not None:
            if target is None:
                raise LedgerError(TEXT["ledger.schema_needs_server"].format(schema=settings.ledger_schema))
            from .store import database_url, schema_of, with_schema

            if schema_of(database_url(target)) is None:
                return with_schema(target, settings.ledger_schema)
        return target or str(self.ledger_path)

    def open_store(self, database: str | None = None, *, create_schema: bool = False) -> Store:
        from .store import Store

        return Store.open(self.database(database), create_schema=create_schema)

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

    @staticmethod
    def city_split_note(city_root: Path, district: str, department: str) -> Path:
        """A city's note to one district on a city-level department list split for it (issue 24)."""
        return Path(city_root) / CITY_SPLIT / CITY_SPLIT_NOTE.format(district=district, department=department)

    @property
    def department_feedback(self) -> Path:
        """反馈/部门/: the notes on department lists (<部门>_说明.txt), beside the towns' feedback folders."""
        return self.root / FEEDBACK / DEPARTMENT_NOTES

    @property
    def import_feedback(self) -> Path:
        """反馈/导入/: the notes on the national system's exports imported (excel-bridge import)."""
        return self.root / FEEDBACK / IMPORT_NOTES

    def import_note_path(self, file_name: str) -> Path:
        """反馈/导入/<文件>_导入说明.txt for the export named `file_name`."""
        return self.import_feedback / f"{short_stem(Path(file_name).stem)}{IMPORT_NOTE_SUFFIX}.txt"

    @property
    def share_dir(self) -> Path:
        """区级/部门共享/: the workbooks shared back to departments (plan 七(二)), written once a month."""
        return self.district_dir / SHARE

    @property
    def master_path(self) -> Path:
        return self.district_dir / MASTER_NAME

    def key(self, path: Path) -> str:
        """A path as stored in the ledger: relative to the workspace, so moving the workspace (or running from
        another folder, or by another spelling of its path) changes nothing."""
        path = Path(path)
        if not path.is_absolute():
            path = Path.cwd() / path
        for root in (self.root.absolute(), self.root.resolve()):
            try:
                return path.relative_to(root).as_posix()
            except ValueError:
                pass
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.resolve().as_posix()

    def path_of(self, key: str) -> Path:
        """The file a stored key names (keys are workspace-relative; an old ledger's absolute ones still work)."""
        path = Path(key)
        return path if path.is_absolute() else self.root / path

    # --- the folders, and what each role may write (README: "Who may write where") ---
    def town_inbox(self, town: str) -> Path:
        """Where the town's villages drop their workbooks (sub-folders allowed)."""
        return self.inbox / town

    def town_drop(self, town: str) -> Path:
        """Where the town (only) drops a saved 镇级核查表; decisions count only from here or in place."""
        return self.inbox / town / TOWN_ONLY

    def town_feedback(self, town: str) -> Path:
        return self.root / FEEDBACK / town

    def town_private(self, town: str) -> Path:
        """The town's own folder: its review workbook, notes on files nobody could place in a village."""
        return self.town_feedback(town) / TOWN_ONLY

    def village_feedback(self, town: str, village: str) -> Path:
        """What one village (only) may read: its returned copies and 公示名单."""
        folder = safe_component(village) or TEXT["workspace.unknown_village"]
        return self.town_feedback(town) / (folder if folder != TOWN_ONLY else f"{folder}村")

    def returned_copy_path(self, town: str, village: str | None, file_name: str) -> Path:
        """The returned copy of a village file: in that village's folder (a file holding several villages: in
        the town's own folder), one per file name, "_反馈" never doubled."""
        folder = self.village_feedback(town, village) if village else self.town_private(town)
        return folder / f"{short_stem(plain_stem(file_name))}{RETURNED_SUFFIX}.xlsx"

    def town_review_path(self, town: str) -> Path:
        return self.town_private(town) / f"{town}{REVIEW_SUFFIX}.xlsx"

    def provincial_export_path(self, town: str, at: dt.datetime) -> Path:
        """<镇>_省系统录入_<YYYYMMDD_HHMMSS>.xlsx in the town's own folder: what to enter into the provincial system
        (one file per export, never overwritten: each holds only what was new since the one before)."""
        return self.town_private(town) / f"{town}{PROVINCIAL_SUFFIX}_{at:%Y%m%d_%H%M%S}.xlsx"

    def notice_path(self, town: str, village: str) -> Path:
        return self.village_feedback(town, village) / f"{village}{NOTICE_SUFFIX}.xlsx"

    def prefilled_path(self, town: str, village: str, year: int | None = None) -> Path:
        """The village's pre-filled 村级监测台账: after an import, or for the yearly 回头看 of `year`."""
        name = PREFILLED_NAME if year is None else PREFILLED_YEAR_NAME.format(year=year)
        folder = self.village_feedback(town, village)
        return folder / f"{short_stem(folder.name + name)}.xlsx"

    def unreadable_note_path(self, town: str, village: str | None, file_name: str) -> Path:
        return self._note_beside(town, village, file_name, UNREADABLE_SUFFIX)

    def not_applied_note_path(self, town: str, village: str | None, file_name: str) -> Path:
        """<file>_未入账.txt: a village file refused whole, where its returned copy would have gone."""
        return self._note_beside(town, village, file_name, NOT_APPLIED_SUFFIX)

    def wrong_town_note_path(self, town: str, file_name: str) -> Path:
        """<file>_放错镇.txt in the town's own folder: its households were dropped in another town's inbox."""
        return self._note_beside(town, None, file_name, WRONG_TOWN_SUFFIX)

    def _note_beside(self, town: str, village: str | None, file_name: str, suffix: str) -> Path:
        """A note on a dropped file: in the village's folder (else the town's own), its stem shortened."""
        folder = self.village_feedback(town, village) if village else self.town_private(town)
        return folder / f"{short_stem(Path(file_name).stem)}{suffix}.txt"

    def inbox_note_path(self, town: str | None) -> Path:
        """What in an inbox was not processed: the town's own folder, or the inbox root for the district."""
        return self.town_private(town) / INBOX_NOTE if town else self.inbox / INBOX_NOTE

    def department_note_path(self, department: str) -> Path:
        """反馈/部门/<部门>_说明.txt (a folder's name when no department is configured for it), shortened."""
        return self.department_feedback / f"{short_stem(department)}{NOTE_SUFFIX}.txt"

    @property
    def system_dir(self) -> Path:
        return self.root / SYSTEM

    @property
    def temp_dir(self) -> Path:
        """Scratch files of a pass (row spools of the master): inside the workspace, never a shared temp
        folder, emptied at the start of every pass."""
        return self.root / SYSTEM / "tmp"

    @property
    def pass_lock_path(self) -> Path:
        return self.root / SYSTEM / "处理中.lock"

    @property
    def outputs_lock_path(self) -> Path:
        """Held while the master is written (by the district job's part that writes it)."""
        return self.root / SYSTEM / "写总台账中.lock"

    @property
    def towns_lock_path(self) -> Path:
        """Held while the towns' workbooks and the district's exports are written (taken before the master's)."""
        return self.root / SYSTEM / "写镇级核查表中.lock"

    def settings(self, *, complete: bool = True) -> DistrictSettings:
        """The settings file, valid and (with `complete`) finished; read back from the cache when it is unchanged,
        so `process` and `watch` load neither PyYAML nor pydantic for it."""
        settings = remembered([], [self.settings_path], lambda: load_settings(self.settings_path, complete=False),
                              DistrictSettings)
        return require_complete(settings, self.settings_path) if complete else settings

    def config(self) -> Config:
        """The workspace's schemas, rules and settings (read back from the cache when their files are unchanged)."""
        schemas, rules = self.root / "schemas", self.root / "rules"
        return remembered([schemas, rules], [self.settings_path], lambda: Config(
            schemas=load_schemas(schemas), rules=load_rules(rules), settings=self.settings()), Config)

    def ensure_folders(self, settings: DistrictSettings) -> None:
        for path in (self.archive, self.departments, self.district_dir, self.root / SYSTEM, self.temp_dir):
            path.mkdir(parents=True, exist_ok=True)
        for town in settings.towns:
            for path in (self.town_inbox(town), self.town_drop(town), self.town_private(town)):
                path.mkdir(parents=True, exist_ok=True)


@dataclass
class InitResult:
    """What `init` found and did: nothing that existed is ever replaced."""

    workspace: Workspace
    settings: DistrictSettings  # as the settings file says now (possibly still unfinished)
    settings_written: bool
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


def _department_folders(rules_dir: Path) -> list[str]:
    """部门数据/<部门>/ of each department rules/departments.yaml configures (the bundled file while the workspace has
    none yet); none when the district's copy does not load — the next pass says what is wrong with it."""
    from .departments.config import load_departments

    try:
        return [d.folder for d in load_departments(rules_dir).departments.values()]
    except ConfigError:
        return []


def init_workspace(root: Path, settings: DistrictSettings, *, settings_text: str | None = None) -> InitResult:
    """Create a workspace, or complete one: write the settings (`settings_text` verbatim when given — the
    file `settings` was read from — else `settings` with its comments) only where there is no settings file,
    and add whatever folder, schema, rule or ledger file is missing. A settings file already there is kept as
    it is and read back. Whatever stands in the way is found before anything is written (UsageError)."""
    root = Path(root)
    if root.exists() and not root.is_dir():
        raise UsageError(TEXT["init.root_is_file"].format(path=root))
    ws = Workspace(root)
    result = InitResult(workspace=ws, settings=settings, settings_written=False)
    if ws.settings_path.is_dir() or ws.ledger_path.is_dir():
        raise UsageError(TEXT["init.folder_in_the_way"].format(
            path=ws.settings_path if ws.settings_path.is_dir() else ws.ledger_path))
    if ws.settings_path.exists():
        try:
            result.settings = ws.settings(complete=False)
        except ConfigError as exc:
            raise ConfigError(TEXT["init.settings_invalid"].format(path=root, error=exc)) from exc
    folders = [root, root / "schemas", root / "rules", ws.inbox, ws.root / FEEDBACK, ws.archive, ws.departments,
               ws.district_dir, ws.root / SYSTEM]
    folders += [p for town in result.settings.towns
                for p in (ws.town_inbox(town), ws.town_drop(town), ws.town_feedback(town), ws.town_private(town))]
    folders += [ws.departments / folder for folder in _department_folders(root / "rules")]
    for path in folders:
        if path.exists() and not path.is_dir():
            raise UsageError(TEXT["init.file_in_the_way"].format(path=path))

    if not ws.settings_path.exists():
        root.mkdir(parents=True, exist_ok=True)
        text = settings_text if settings_text is not None else dump_settings(settings)
        ws.settings_path.write_text(text, encoding="utf-8")
        result.settings_written = True
    for path in folders:
        if path.is_dir():
            result.kept.append(path)
        elif path.name in ("schemas", "rules") and path.parent == root:
            shutil.copytree(bundled_dir(path.name), path)
            result.created.append(path)
        else:
            path.mkdir(parents=True, exist_ok=True)
            result.created.append(path)
    (result.created if result.settings_written else result.kept).append(ws.settings_path)
    existed = ws.ledger_path.exists()
    ws.open_store(create_schema=True).close()  # creates the ledger (and its schema), or brings an older one up to date
    if result.settings.database is None:
        (result.kept if existed else result.created).append(ws.ledger_path)
    return result
