"""`excel-bridge init NAME` (the workspace and its 区级设置.yaml) as a real subprocess: the district's own
name and code, towns the district fills in with 曲江区 as the commented example, `--from` another settings
file, what the other commands say while the towns are empty, and an existing workspace never overwritten."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
import yaml
from cli_helpers import run_cli, tree, unwritable_dir
from factory import write

from excel_bridge.config import bundled_dir
from excel_bridge.errors import ConfigError
from excel_bridge.settings import QUJIANG_TOWNS, DistrictSettings, dump_settings, load_settings, new_district
from excel_bridge.store import SCHEMA_VERSION, Store
from excel_bridge.workspace import Workspace

EXAMPLE_LINES = [  # 曲江区, commented under `towns:` in every new settings file
    "# 请在下面的“towns:”之后按本区实际填写，例如曲江区是这样写的（去掉行首的“#”即生效）：",
    "towns:",
    "#   马坝镇:",
    "#   - 石塘村",
    *[f"#   {t}: []" for t in QUJIANG_TOWNS[1:]],
]
DEPARTMENT_FOLDERS = ["医保", "民政", "残联", "人社", "住建", "水务", "教育", "应急", "金融", "卫健", "信访"]
TODO_TOWNS = "在“towns:”下登记本区各镇（村名单可以留空）"
TODO_CODE = "在“district_code:”后填写本区 6 位区划代码（身份证号前 6 位，如曲江区为 440205）"
READY = "  各镇把村级台账放入“收件箱/镇名/”，反馈文件出现在“反馈/镇名/”，区级总台账在“区级/”。"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _todo_lines(root: Path, *todo: str) -> list[str]:
    return [f"  还要做：用记事本打开 {(root / '区级设置.yaml').resolve()}，{'；'.join(todo)}。文件中注释的曲江区设置是填写示例。",
            f"  填好后运行 excel-bridge process {root.name} 处理一轮，或 excel-bridge watch {root.name} 持续处理。"]


def _fill_in_like_the_example(settings_file: Path) -> None:
    """What the district does in Notepad: take away the “#” of the example lines."""
    text = settings_file.read_text(encoding="utf-8")
    settings_file.write_text("\n".join(line[1:] if line.startswith("#   ") else line for line in text.splitlines())
                             + "\n", encoding="utf-8")


# --- a new district ---

def test_init_name_code_writes_that_district_with_towns_to_fill_in(tmp_path):
    root = tmp_path / "南雄市"
    proc = run_cli("init", root.name, "--code", "440282", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    assert proc.stdout.splitlines() == [
        f"已建立工作目录：{root}",
        "  区名：南雄市；区划代码：440282；已登记 0 个镇",
        *_todo_lines(root, TODO_TOWNS),
        READY,
    ]
    settings_file = root / "区级设置.yaml"
    settings = load_settings(settings_file, complete=False)
    assert settings.district == "南雄市" and settings.district_code == "440282"
    assert settings.towns == {} and settings.supervision_phone == ""
    assert settings.unfinished() == [TODO_TOWNS]
    text = settings_file.read_text(encoding="utf-8")
    assert "曲江区" not in yaml.safe_load(text).values()
    lines = text.splitlines()
    start = lines.index(EXAMPLE_LINES[0])
    assert lines[start:start + len(EXAMPLE_LINES)] == EXAMPLE_LINES
    values = "\n".join(line for line in lines if not line.startswith("#"))  # 曲江区's only in comments
    assert "6669428" not in values and "440205" not in values and "马坝镇" not in values

    for name in ("收件箱", "反馈", "归档", "部门数据", "区级"):
        assert (root / name).is_dir(), name
    assert sorted(p.name for p in (root / "部门数据").iterdir()) == sorted(DEPARTMENT_FOLDERS)  # where each drops its list
    assert list((root / "收件箱").iterdir()) == [] and list((root / "反馈").iterdir()) == []
    for name in ("schemas", "rules"):  # editable copies, byte for byte the bundled ones
        assert _files(root / name) == _files(bundled_dir(name))
    conn = sqlite3.connect(root / "系统" / "ledger.sqlite")
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)
        assert conn.execute("SELECT COUNT(*) FROM households").fetchone()[0] == 0
    finally:
        conn.close()


def test_without_code_the_message_asks_for_it(tmp_path):
    root = tmp_path / "始兴县"
    proc = run_cli("init", root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1:] == [
        "  区名：始兴县；区划代码：（未填）；已登记 0 个镇",
        *[line.replace(f"process {root.name} ", f"process {root} ").replace(f"watch {root.name} ", f"watch {root} ")
          for line in _todo_lines(root, TODO_CODE, TODO_TOWNS)],
        READY,
    ]
    assert load_settings(root / "区级设置.yaml", complete=False).district_code == ""


def test_every_command_on_an_unfinished_workspace_says_what_to_fill_in(tmp_path, config):
    root = tmp_path / "南雄市"
    assert run_cli("init", root).returncode == 0
    settings_file = root / "区级设置.yaml"
    expected = (f"错误：设置文件 {settings_file} 还没有填完：{TODO_CODE}；{TODO_TOWNS}。"
                "请用记事本打开它，照文件中注释的曲江区示例填写、保存后再运行本命令")
    village = write(tmp_path / "村.xlsx", config)
    before = tree(root)
    for args in (("process", root), ("watch", root, "--poll"), ("history", "44020519700305011X", "--workspace", root),
                 ("check", village, "--workspace", root), ("template", tmp_path / "模板.xlsx", "--workspace", root)):
        proc = run_cli(*args, timeout=60)
        assert (proc.returncode, proc.stdout, proc.stderr.splitlines()) == (3, "", [expected]), args
    assert tree(root) == before
    assert not (tmp_path / "模板.xlsx").exists()


def test_filled_in_like_the_example_the_workspace_works(tmp_path):
    root = tmp_path / "南雄市"
    assert run_cli("init", root, "--code", "440282").returncode == 0
    _fill_in_like_the_example(root / "区级设置.yaml")
    settings = load_settings(root / "区级设置.yaml")
    assert list(settings.towns) == list(QUJIANG_TOWNS) and settings.towns["马坝镇"] == ["石塘村"]
    assert settings.district == "南雄市"

    proc = run_cli("init", root)  # a second init adds the towns' folders, touches nothing else
    assert proc.returncode == 0, proc.stderr
    added = "、".join(f"{kind}/{t}{sub}" for t in QUJIANG_TOWNS for kind in ("收件箱", "反馈") for sub in ("", "/镇级"))
    assert proc.stdout.splitlines() == [
        f"工作目录 {root.resolve()} 已经存在，没有覆盖任何文件。",
        f"  区名：南雄市；区划代码：440282；已登记 {len(QUJIANG_TOWNS)} 个镇",
        f"  补建了：{added}",
        f"  公示名单的监督电话（supervision_phone）没有填，公示名单上将不印电话；需要时在 {(root / '区级设置.yaml').resolve()} 中填写。",
        READY,
    ]
    proc = run_cli("process", root, "--wait", "0")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "收件箱里没有新文件。\n", "")


# --- --from ---

def test_from_copies_a_finished_settings_file(tmp_path):
    source = tmp_path / "别处" / "区级设置.yaml"
    source.parent.mkdir()
    source.write_text("# 南雄市的设置\n" + dump_settings(DistrictSettings(
        district="南雄市", district_code="440282", supervision_phone="0751-3822222",
        towns={"雄州街道": ["黄坑村"], "乌迳镇": []})), encoding="utf-8")
    root = tmp_path / "nx"
    proc = run_cli("init", root, "--from", source)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        f"已建立工作目录：{root}",
        "  区名：南雄市；区划代码：440282；已登记 2 个镇",
        f"  设置取自 {source}",
        READY,
    ]
    assert (root / "区级设置.yaml").read_bytes() == source.read_bytes()
    assert sorted(p.name for p in (root / "收件箱").iterdir()) == ["乌迳镇", "雄州街道"]
    assert load_settings(root / "区级设置.yaml").supervision_phone == "0751-3822222"


def test_from_refuses_what_it_cannot_use(tmp_path):
    unfinished = tmp_path / "半成品.yaml"
    unfinished.write_text(dump_settings(new_district("南雄市")), encoding="utf-8")
    cases = [
        (("--from", tmp_path / "没有.yaml"), 2,
         f"错误：找不到设置文件“{tmp_path / '没有.yaml'}”：--from 要给出一个已有的区级设置文件（例如另一个工作目录中的 区级设置.yaml）"),
        (("--from", unfinished, "--code", "440282"), 2,
         "错误：--from 已经给出了全部设置，不能再同时用 --code；请把它们写在设置文件中"),
        (("--from", unfinished), 3,
         f"错误：设置文件 {unfinished} 还没有填完：{TODO_CODE}；{TODO_TOWNS}。"
         "请用记事本打开它，照文件中注释的曲江区示例填写、保存后再运行本命令"),
    ]
    for args, code, message in cases:
        proc = run_cli("init", tmp_path / "ws", *args)
        assert (proc.returncode, proc.stdout, proc.stderr.splitlines()) == (code, "", [message]), args
    assert not (tmp_path / "ws").exists()


# --- an existing workspace ---

def test_init_again_keeps_edited_settings_schemas_rules_and_ledger(tmp_path):
    root = tmp_path / "ws"
    Workspace.init(root)  # 曲江区, as the tests' workspaces are
    settings_file = root / "区级设置.yaml"
    edited = settings_file.read_text(encoding="utf-8").replace("income_year: 2021", "income_year: 2022")
    edited = edited.replace("  罗坑镇: []\n", "  罗坑镇: []\n  新设镇: []\n")
    settings_file.write_text(edited, encoding="utf-8")
    rules_file = root / "rules" / "monitoring_line.yaml"
    rules_file.write_text(rules_file.read_text(encoding="utf-8") + "\n# 区里改过\n", encoding="utf-8")
    with Store.open(root / "系统" / "ledger.sqlite") as store, store.atomic():
        store.submissions.add(sha256="a" * 64, kind="village", status="applied", file_name="x.xlsx",
                              received_at=dt.datetime(2021, 12, 20, 9))

    proc = run_cli("init", root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[:3] == [
        f"工作目录 {root} 已经存在，没有覆盖任何文件。",
        f"  区名：曲江区；区划代码：440205；已登记 {len(QUJIANG_TOWNS) + 1} 个镇",
        "  补建了：收件箱/新设镇、收件箱/新设镇/镇级、反馈/新设镇、反馈/新设镇/镇级",
    ]
    assert settings_file.read_text(encoding="utf-8") == edited
    assert rules_file.read_text(encoding="utf-8").endswith("# 区里改过\n")
    assert load_settings(settings_file).income_year == 2022
    with Store.open(root / "系统" / "ledger.sqlite") as store:
        assert [s.file_name for s in store.submissions.all()] == ["x.xlsx"]

    before = tree(root)
    proc = run_cli("init", root, "--code", "440282", "--name", "南雄市")
    assert proc.returncode == 2
    assert proc.stdout.splitlines()[0] == f"工作目录 {root} 已经存在，没有覆盖任何文件。"
    assert proc.stderr.splitlines() == [
        f"错误：--name、--code 没有生效：{settings_file} 已经存在，没有改动。要修改请直接用记事本编辑它"]
    assert tree(root) == before


def test_init_again_adds_the_folder_of_a_department_configured_since(tmp_path):
    root = tmp_path / "ws"
    Workspace.init(root)
    (root / "部门数据" / "医保").rmdir()
    rules_file = root / "rules" / "departments.yaml"
    rules_file.write_text(rules_file.read_text(encoding="utf-8").replace(
        "  卫健:\n    title: 区卫生健康局\n    folder: 卫健\n", "  卫健:\n    title: 区卫生健康局\n    folder: 卫生健康\n"),
        encoding="utf-8")
    proc = run_cli("init", root)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[2] == "  补建了：部门数据/医保、部门数据/卫生健康"
    assert (root / "部门数据" / "医保").is_dir() and (root / "部门数据" / "卫生健康").is_dir()


def test_init_where_it_cannot_says_why_and_changes_nothing(tmp_path):
    a_file = tmp_path / "南雄市"
    a_file.write_text("不是文件夹", encoding="utf-8")
    blocked = tmp_path / "挡住"
    blocked.mkdir()
    (blocked / "收件箱").write_text("", encoding="utf-8")
    folder_settings = tmp_path / "设置是文件夹"
    (folder_settings / "区级设置.yaml").mkdir(parents=True)
    broken = tmp_path / "坏设置"
    broken.mkdir()
    (broken / "区级设置.yaml").write_text("district: [南雄市\n", encoding="utf-8")
    cases = [
        (a_file, 2, f"错误：“{a_file}”是一个文件，不是文件夹：工作目录要建在一个新的（或已有的）文件夹里。请换一个名字，例如 excel-bridge init 南雄市"),
        (a_file / "子目录", 2, f"错误：{a_file / '子目录'}：路径中有一段是文件，不是文件夹，请检查路径"),
        (blocked, 2, f"错误：“{blocked / '收件箱'}”是一个文件，挡住了工作目录要建的同名文件夹：请把它改名或移走后再运行 init（没有改动任何文件）"),
        (folder_settings, 2, f"错误：“{folder_settings / '区级设置.yaml'}”应是一个文件，现在是一个文件夹：请把它改名或移走后再运行 init（没有改动任何文件）"),
        (broken, 3, f"错误：工作目录 {broken} 已经存在，没有覆盖任何文件；但其中的设置文件 {broken / '区级设置.yaml'} "
                    "格式错误（第2行第1列附近）：请检查冒号、缩进（用空格，不用 Tab）和括号是否成对"),
    ]
    before = tree(tmp_path)
    for root, code, message in cases:
        proc = run_cli("init", root)
        assert (proc.returncode, proc.stdout, proc.stderr.splitlines()) == (code, "", [message]), root
    assert tree(tmp_path) == before


def test_init_in_a_folder_without_write_permission(tmp_path):
    with unwritable_dir(tmp_path / "只读") as folder:
        proc = run_cli("init", folder / "南雄市")
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.startswith(f"错误：{folder / '南雄市'}：没有权限"), proc.stderr
        assert len(proc.stderr.splitlines()) == 1
        assert list(folder.iterdir()) == []


def test_a_code_that_is_not_six_digits(tmp_path):
    proc = run_cli("init", tmp_path / "ws", "--code", "44028")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        "用法：excel-bridge init [-h] [-v] [--name 区名] [--code 区划代码] [--from 设置文件] 区名",
        "excel-bridge init：错误：--code：区划代码应为 6 位数字（本区户籍身份证号的前 6 位，如曲江区为 440205），写的是“44028”",
        "运行“excel-bridge init -h”可以查看用法和说明。",
    ]
    assert not (tmp_path / "ws").exists()


def test_name_overrides_the_folder_name(tmp_path):
    proc = run_cli("init", tmp_path / "share", "--name", "仁化县", "--code", "440224")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[1] == "  区名：仁化县；区划代码：440224；已登记 0 个镇"
    assert load_settings(tmp_path / "share" / "区级设置.yaml", complete=False).district == "仁化县"


# --- the demo stays 曲江区 ---

def test_the_demo_is_still_qujiang(tmp_path):
    proc = run_cli("demo", tmp_path / "demo", "--villages", "1", "--households", "2", "--workers", "1")
    assert proc.returncode == 0, proc.stderr
    settings = load_settings(tmp_path / "demo" / "区级设置.yaml")
    assert (settings.district, settings.district_code, settings.supervision_phone) == ("曲江区", "440205", "6669428")
    assert list(settings.towns) == list(QUJIANG_TOWNS)
    assert all(len(villages) == 1 for villages in settings.towns.values())


# --- the settings file itself ---

def test_settings_written_read_back_equal(tmp_path):
    path = tmp_path / "区级设置.yaml"
    for settings in (DistrictSettings(), new_district("南雄市", code="440282"),
                     DistrictSettings(district="南雄市", district_code="440282", supervision_phone="0751-3822222",
                                      towns={"雄州街道": ["黄坑村", "水南村"], "乌迳镇": []}, income_year=2022)):
        path.write_text(dump_settings(settings), encoding="utf-8")
        assert load_settings(path, complete=False) == settings


def test_a_settings_file_must_name_its_own_district(tmp_path):
    path = tmp_path / "区级设置.yaml"
    path.write_text("district: 南雄市\nincome_year: 2022\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert str(exc.value) == (f"设置文件 {path} 缺少 district_code、towns：每个区的设置都要写明自己的区名（district）、"
                              "区划代码（district_code）和各镇（towns），可参考 excel-bridge init 写出的设置文件")
    # no phone in the file: none printed, never 曲江区's
    path.write_text("district: 南雄市\ndistrict_code: 440282\ntowns:\n  乌迳镇:\n", encoding="utf-8")
    settings = load_settings(path)
    assert (settings.district_code, settings.supervision_phone, settings.towns) == ("440282", "", {"乌迳镇": []})
    path.write_text("district: 南雄市\ndistrict_code: 44028\ntowns: {乌迳镇: []}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_settings(path)
    assert str(exc.value) == (f"设置文件 {path} 有误：“district_code”区划代码应为 6 位数字（本区户籍身份证号的前 6 位，"
                              "如曲江区为 440205）")
