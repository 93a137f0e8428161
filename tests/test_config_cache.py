"""The config cache (excel_bridge/config_cache.py): a Config made from unchanged files is read back, never a
stale one, and a cache that is damaged or cannot be written changes nothing but the time."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from cli_helpers import run_cli
from factory import write

from excel_bridge import config_cache
from excel_bridge.config import bundled_dir, load_config
from excel_bridge.errors import ConfigError
from excel_bridge.settings import DistrictSettings, dump_settings
from excel_bridge.workspace import Workspace

PROBE = """
import json, sys
from excel_bridge.config import load_config
import excel_bridge.check  # what `check` loads besides
c = load_config()
print(json.dumps({"yaml": "yaml" in sys.modules, "pydantic": "pydantic" in sys.modules,
                  "line": str(c.rules.line_for(2021)), "district": c.settings.district,
                  "first": c.schemas.household.columns[0].header, "lookup": c.schemas.member.header_lookup["身份证号"]}))
"""


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder / "excel_bridge"


def entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("config-*.pickle"))


def copied_config(tmp_path: Path) -> tuple[Path, Path]:
    schemas, rules = tmp_path / "schemas", tmp_path / "rules"
    shutil.copytree(bundled_dir("schemas"), schemas)
    shutil.copytree(bundled_dir("rules"), rules)
    return schemas, rules


def test_a_second_run_reads_the_config_back_without_loading_pydantic(cache):
    """A fresh interpreter, as `check` on a clerk's PC: the first builds and keeps the Config; the second reads
    it back, with the checks loaded, without PyYAML and without pydantic (the Config is plain dataclasses that
    pydantic only validates: config_types.py), and sees the same values."""
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120,
                              env={**os.environ})
        assert proc.returncode == 0, proc.stderr
        runs.append(json.loads(proc.stdout))
    same = {"line": "9600", "district": "曲江区", "first": "户编号", "lookup": "person_id"}
    assert runs[0] == {"yaml": True, "pydantic": True, **same}
    assert runs[1] == {"yaml": False, "pydantic": False, **same}
    assert len(entries(cache)) == 1


def test_an_edited_file_is_never_read_from_an_old_entry(tmp_path, cache):
    schemas, rules = copied_config(tmp_path)
    assert load_config(schemas_dir=schemas, rules_dir=rules).rules.line_for(2021) == Decimal(9600)
    assert load_config(schemas_dir=schemas, rules_dir=rules).rules.line_for(2021) == Decimal(9600)  # read back
    line = rules / "monitoring_line.yaml"
    line.write_text(line.read_text(encoding="utf-8").replace("2021: 9600", "2021: 9700"), encoding="utf-8")
    assert load_config(schemas_dir=schemas, rules_dir=rules).rules.line_for(2021) == Decimal(9700)
    household = schemas / "household.yaml"
    household.write_text(household.read_text(encoding="utf-8").replace("header: 户编号", "header: 家庭编号"),
                         encoding="utf-8")
    assert load_config(schemas_dir=schemas, rules_dir=rules).schemas.household.columns[0].header == "家庭编号"
    assert len(entries(cache)) == 3


def test_a_workspace_settings_file_edited_is_read_anew(tmp_path, cache):
    ws = Workspace.init(tmp_path / "ws", DistrictSettings())
    assert ws.config().settings.supervision_phone == "6669428"
    assert ws.config().settings.supervision_phone == "6669428"  # read back
    ws.settings_path.write_text(dump_settings(DistrictSettings(supervision_phone="7778888")), encoding="utf-8")
    assert ws.config().settings.supervision_phone == "7778888"


def test_a_workspace_settings_read_back_are_still_checked_for_what_is_unfinished(tmp_path, cache):
    """One entry for the settings file as it parses; `complete` is checked on every read, cached or not."""
    ws = Workspace.init(tmp_path / "ws", DistrictSettings())
    ws.settings_path.write_text(dump_settings(DistrictSettings(towns={})), encoding="utf-8")
    before = set(entries(cache))
    for _ in range(2):  # built, then read back
        assert ws.settings(complete=False).towns == {}
        with pytest.raises(ConfigError) as exc:
            ws.settings()
        assert str(exc.value).startswith(f"设置文件 {ws.settings_path} 还没有填完")
    assert len(set(entries(cache)) - before) == 1


PROCESS_PROBE = """
import sys
from excel_bridge.cli import main
code = main(["process", sys.argv[1]])
print("loaded:" + ",".join(m for m in ("yaml", "pydantic") if m in sys.modules))
sys.exit(code)
"""


def test_process_on_an_unchanged_workspace_reads_its_settings_and_config_back(tmp_path, cache):
    """`process` (and `watch`) with nothing changed since the last run: the settings and the Config come from the
    cache, so the command loads neither PyYAML nor pydantic."""
    ws = Workspace.init(tmp_path / "ws", DistrictSettings())
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", PROCESS_PROBE, str(ws.root)], capture_output=True, text=True,
                              encoding="utf-8", timeout=120, env={**os.environ})
        assert proc.returncode == 0, proc.stderr
        runs.append(proc.stdout.splitlines()[-1])
    assert runs == ["loaded:yaml,pydantic", "loaded:"]


DISTRICT_PROBE = """
import argparse, sys
from pathlib import Path
from excel_bridge.cli import _config
args = argparse.Namespace(workspace=None, schemas=None, rules=None)
config = _config(args, Path(sys.argv[1]), meta_of=lambda: {"区": "南雄市"})
print(config.settings.district + ":" + ",".join(m for m in ("yaml", "pydantic") if m in sys.modules))
"""


def test_check_finds_the_workspace_the_hidden_sheet_names_without_reading_its_settings_again(tmp_path, cache):
    """`check F` beside a district's workspace (the file's hidden sheet names 南雄市): the workspace's settings and
    Config come from the cache the second time, as in `process`."""
    Workspace.init(tmp_path / "南雄市", DistrictSettings(district="南雄市", district_code="440282"))
    (tmp_path / "v.xlsx").write_bytes(b"a file")  # (only its folder matters here)
    runs = []
    for _ in range(2):
        proc = subprocess.run([sys.executable, "-c", DISTRICT_PROBE, str(tmp_path / "v.xlsx")], capture_output=True,
                              text=True, encoding="utf-8", timeout=120, env={**os.environ}, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        runs.append(proc.stdout.strip())
    assert runs[1] == "南雄市:"


def test_a_damaged_entry_is_built_again_and_rewritten(tmp_path, cache):
    schemas, rules = copied_config(tmp_path)
    built = load_config(schemas_dir=schemas, rules_dir=rules)
    [entry] = entries(cache)
    entry.write_bytes(b"\x80\x05 not a pickle")
    assert load_config(schemas_dir=schemas, rules_dir=rules) == built
    assert entries(cache) == [entry] and entry.read_bytes()[:1] == b"\x80" and len(entry.read_bytes()) > 1000


def test_a_cache_that_cannot_be_written_is_no_cache(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("", encoding="utf-8")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))  # excel_bridge/ cannot be made under a file
    schemas, rules = copied_config(tmp_path)
    assert load_config(schemas_dir=schemas, rules_dir=rules).rules.line_for(2021) == Decimal(9600)
    assert load_config(schemas_dir=schemas, rules_dir=rules).settings.district == "曲江区"


def test_a_wrong_file_is_still_a_config_error_naming_it(tmp_path, cache):
    from excel_bridge.errors import ConfigError

    schemas, rules = copied_config(tmp_path)
    load_config(schemas_dir=schemas, rules_dir=rules)
    line = rules / "monitoring_line.yaml"
    line.write_text(line.read_text(encoding="utf-8").replace("2021: 9600", "2021: 9000"), encoding="utf-8")
    with pytest.raises(ConfigError):  # below the floor: the cache holds only configs that loaded
        load_config(schemas_dir=schemas, rules_dir=rules)
    assert len(entries(cache)) == 1


def test_only_the_newest_entries_are_kept(tmp_path, cache, monkeypatch):
    monkeypatch.setattr(config_cache, "KEPT", 2)
    for n in range(3):  # three districts' rules, each with its own monitoring line for 2021
        schemas, rules = copied_config(tmp_path / f"d{n}")
        line = rules / "monitoring_line.yaml"
        line.write_text(line.read_text(encoding="utf-8").replace("2021: 9600", f"2021: {9600 + n}"), encoding="utf-8")
        assert load_config(schemas_dir=schemas, rules_dir=rules).rules.line_for(2021) == 9600 + n
    assert len(entries(cache)) == 2


def test_the_same_files_in_another_folder_are_the_same_entry(tmp_path, cache):
    """Nothing a Config holds depends on where its files are: a copy elsewhere is read back, not built again."""
    first = load_config(schemas_dir=copied_config(tmp_path / "a")[0], rules_dir=copied_config(tmp_path / "b")[1])
    [entry] = entries(cache)
    written = entry.stat().st_mtime_ns
    schemas, rules = copied_config(tmp_path / "c")
    assert load_config(schemas_dir=schemas, rules_dir=rules) == first
    assert entries(cache) == [entry] and entry.stat().st_mtime_ns == written
    (rules / "workflow.yaml").rename(schemas / "workflow.yaml")  # the same bytes in the other folder: another Config
    with pytest.raises(ConfigError):
        load_config(schemas_dir=schemas, rules_dir=rules)


def test_check_through_the_cli_prints_everything_before_it_ends(tmp_path, config, cache):
    """`check` ends without Python's teardown: what it printed is all there, with its exit code, twice (the
    second run with the cached Config)."""
    src = write(tmp_path / "v.xlsx", config)
    outputs = []
    for _ in range(2):
        proc = run_cli("check", src, "--as-of", "2021-12-20", cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outputs.append((proc.stdout, proc.stderr))
    assert outputs[0] == outputs[1]
    stdout, stderr = outputs[0]
    assert stdout.splitlines()[-1] == "建议纳入监测 1 户。"
    assert "曲江区" in stderr  # the bundled settings said, on stderr, also flushed
    assert len(entries(cache)) == 1


def test_the_departments_rules_are_kept_apart_from_the_config_and_read_anew_when_edited(tmp_path, cache):
    from excel_bridge.departments.config import load_departments

    def threshold(loaded) -> float:
        [rule] = [r for d in loaded.departments.values() for r in d.rules if r.id == "D-YB-POOR"]
        return rule.at_least

    schemas, rules = copied_config(tmp_path)
    config = load_config(schemas_dir=schemas, rules_dir=rules)
    assert threshold(load_departments(rules)) == 5000
    assert len(entries(cache)) == 2  # the Config's and the departments' own, never one for the other
    assert threshold(load_departments(rules)) == 5000 and load_config(schemas_dir=schemas, rules_dir=rules) == config
    assert len(entries(cache)) == 2  # both read back
    edited = rules / "departments.yaml"
    edited.write_text(edited.read_text(encoding="utf-8").replace("at_least: 5000 ", "at_least: 6000 "), encoding="utf-8")
    assert threshold(load_departments(rules)) == 6000
    assert len(entries(cache)) == 3
