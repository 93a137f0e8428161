"""Every odd real-world spreadsheet in /work/shared/corpus ends in a clear result, never an exception.

Each file is checked in-process with check_file (all of them), and a handful of the hostile ones (memory
bombs, parser loops, panics, passwords, empty and foreign files) also through the CLI in a subprocess with a
4 GB address-space limit, which must print exactly one JSON object. What is asserted is the code each file
ends in (a bomb refused by its size or cell budget), never the seconds: how long each takes is measured by
bench/hostile.py. The subprocess's timeout only stops a hang (a parser loop) from stalling the suite.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cli_helpers import BUNDLED_NOTE
from conftest import CORPUS, DATA

from excel_bridge.check import CheckResult, check_file

FILE_CODES = {"FILE_EMPTY", "FILE_CORRUPT", "FILE_PASSWORD", "FILE_FORMAT", "FILE_NOT_MONITORING",
              "FILE_TOO_MANY_CELLS", "FILE_TOO_LARGE"}
FILES = sorted(p for p in CORPUS.iterdir() if p.is_file())
SUBPROCESS_TIMEOUT = 300  # a hang guard, not a speed bound: a loop never answers, a loaded machine still does

# What each file must give. None of them is a monitoring workbook, so a readable spreadsheet of another
# shape is FILE_NOT_MONITORING; the rest are listed by name.
EXPECTED: dict[str, set[str]] = {
    "README.md": {"FILE_FORMAT"},
    "pycalamine-empty_file.ods": {"FILE_EMPTY"},
    "pycalamine-empty_file.xlsb": {"FILE_EMPTY"},
    "pycalamine-empty_file.xlsx": {"FILE_EMPTY"},
    "calamine-pass_protected.ods": {"FILE_PASSWORD"},
    "calamine-pass_protected.xlsb": {"FILE_PASSWORD"},
    "calamine-pass_protected.xlsx": {"FILE_PASSWORD"},
    "pycalamine-password.ods": {"FILE_PASSWORD"},
    "pycalamine-password.xls": {"FILE_PASSWORD"},
    "pycalamine-password.xlsb": {"FILE_PASSWORD"},
    "pycalamine-password.xlsx": {"FILE_PASSWORD"},
    "calamine-issue_385.xls": {"FILE_PASSWORD"},               # an encrypted BIFF8 file
    "calamine-too_small.xls": {"FILE_CORRUPT"},                # a few bytes, not an OLE file
    "calamine-OOM_alloc3.xls": {"FILE_CORRUPT"},               # sector chain points past the end
    "calamine-issue252.xlsx": {"FILE_CORRUPT"},                # zip entry larger than declared
    "calamine-issue_594_dos.ods": {"FILE_CORRUPT", "FILE_TOO_MANY_CELLS"},  # 2^34 cells requested
}
# Valid workbooks with a chart sheet: calamine cannot read the chart sheet as cells (xlsb only); the
# reader skips chart sheets, so these end as FILE_NOT_MONITORING like their xlsx/xls/ods twins.
CHART_SHEET_XLSB = {"calamine-any_sheets.xlsb", "pycalamine-any_sheets.xlsb"}
HOSTILE = ["README.md", "calamine-OOM_alloc.xls", "calamine-OOM_alloc2.xls", "calamine-OOM_alloc3.xls",
           "calamine-issue_594_dos.ods", "calamine-issue_666_panic.xlsb", "calamine-issue_666_lost_sheets.xlsb",
           "calamine-ptgexp-truncated-operand.xls", "calamine-too_small.xls", "calamine-issue252.xlsx",
           "calamine-pass_protected.ods", "pycalamine-password.xls", "pycalamine-empty_file.xlsx",
           "calamine-any_sheets.xlsb", "calamine-date_1904.xlsb"]


def expected(name: str) -> set[str]:
    return EXPECTED.get(name, {"FILE_NOT_MONITORING"})


def test_corpus_is_there():
    assert len(FILES) >= 150
    assert {p.name for p in FILES} >= set(EXPECTED) | set(HOSTILE) | CHART_SHEET_XLSB


# --- in-process, every file ---------------------------------------------------------------------------

_CHECKED: dict[Path, CheckResult] = {}


def _checked(path: Path, config) -> CheckResult:
    """Each file checked once for the module (with the session's config): the tests below each assert a different
    thing of the same result."""
    if path not in _CHECKED:
        _CHECKED[path] = check_file(path, config)
    return _CHECKED[path]


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_in_process_one_clear_result(config, path):
    result = _checked(path, config)
    if result.readable:
        assert result.exit_code in (0, 1)
        assert result.parsed is not None
    else:
        assert result.exit_code == 2
        assert len(result.issues) == 1
        issue = result.issues[0]
        assert issue.code in FILE_CODES
        assert (issue.severity, issue.sheet, issue.row, issue.column) == ("error", None, None, None)
        assert issue.message and issue.hint
        assert "Traceback" not in issue.message
    json.dumps(result.to_json(), ensure_ascii=False, default=str)  # always serialisable


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_in_process_expected_code(config, path):
    result = _checked(path, config)
    assert result.readable is False
    assert len(result.issues) == 1
    assert result.issues[0].code in expected(path.name)


def test_same_workbook_in_every_format_gives_the_same_code(config):
    """calamine-date.{ods,xls,xlsb,xlsx} and the like: one answer whatever the format (chart-sheet xlsb aside)."""
    groups: dict[str, dict[str, str]] = {}
    for path in FILES:
        if path.name in CHART_SHEET_XLSB or path.suffix == ".md":
            continue
        groups.setdefault(path.stem, {})[path.suffix] = _checked(path, config).issues[0].code
    several = {stem: codes for stem, codes in groups.items() if len(codes) > 1}
    assert len(several) >= 10
    assert {stem: sorted(set(codes.values())) for stem, codes in several.items() if len(set(codes.values())) > 1} == {}


# --- through the CLI, in a subprocess: a handful of hostile files -------------------------------------

def _limit_memory() -> None:
    limit = 4 * 1024 ** 3
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _start(path: Path) -> subprocess.Popen:
    env = {**os.environ, "RUST_BACKTRACE": "0", "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([sys.executable, "-m", "excel_bridge.cli", "check", str(path), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=_limit_memory)


def run_cli_all(paths: list[Path], *, at_once: int) -> dict[str, dict[str, object]]:
    """Run the CLI on each file, ``at_once`` processes at a time, each given SUBPROCESS_TIMEOUT seconds.

    Processes are started from this thread only (preexec_fn is unsafe with threads); a process that does
    not answer in time is killed and reported as a timeout."""
    results: dict[str, dict[str, object]] = {}
    for i in range(0, len(paths), at_once):
        batch = [(p, time.monotonic(), _start(p)) for p in paths[i:i + at_once]]
        for path, started, proc in batch:
            left = SUBPROCESS_TIMEOUT - (time.monotonic() - started)
            try:
                out, err = proc.communicate(timeout=max(left, 0.1))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                results[path.name] = {"timeout": True, "seconds": time.monotonic() - started}
                continue
            results[path.name] = {"timeout": False, "seconds": time.monotonic() - started,
                                  "returncode": proc.returncode, "stdout": out, "stderr": err}
    return results


@pytest.fixture(scope="module")
def cli_results() -> dict[str, dict[str, object]]:
    paths = [CORPUS / name for name in HOSTILE] + [DATA / "village_small.xls"]
    return run_cli_all(paths, at_once=max(2, min(6, os.cpu_count() or 2)))


@pytest.mark.parametrize("name", HOSTILE)
def test_cli_one_json_object(cli_results, name):
    run = cli_results[name]
    assert run["timeout"] is False, f"{name}: no answer within {SUBPROCESS_TIMEOUT} s"
    assert run["stderr"] == "", run["stderr"][-500:]
    lines = [line for line in run["stdout"].splitlines() if line.strip()]
    assert len(lines) == 1
    obj = json.loads(lines[0])
    assert isinstance(obj, dict)
    assert obj["file"] == str(CORPUS / name)
    if obj["readable"]:
        assert run["returncode"] in (0, 1)
    else:
        assert run["returncode"] == 2
        assert len(obj["issues"]) == 1
        assert obj["issues"][0]["code"] in FILE_CODES
        assert obj["valid"] is False and obj["households"] == []


@pytest.mark.parametrize("name", [n for n in HOSTILE if n not in CHART_SHEET_XLSB])
def test_cli_expected_code(cli_results, name):
    obj = json.loads(cli_results[name]["stdout"])
    assert len(obj["issues"]) == 1
    assert obj["issues"][0]["code"] in expected(name)


def test_cli_reads_a_real_village_file(cli_results):
    """The harness itself can see a readable result: .xls fixture → exit 1 (its one deliberate mistake)."""
    run = cli_results["village_small.xls"]
    assert run["timeout"] is False and run["stderr"].splitlines() == [BUNDLED_NOTE]  # no workspace: 曲江区's, said
    assert run["returncode"] == 1
    obj = json.loads(run["stdout"])
    assert obj["readable"] is True and obj["valid"] is False
    assert [(i["code"], i["sheet"], i["row"], i["column"]) for i in obj["issues"]] == [
        ("SEX_MISMATCH", "家庭成员", 3, "性别")]
    assert len(obj["households"]) == 2
