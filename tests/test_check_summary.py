"""`check` without --out, as a clerk runs it: the file is still read in the memory-capped child, which sends back
only what is printed (a summary of a few kilobytes), not the reading; and the CLI's `check` loads neither the
ledger's library (SQLAlchemy) nor the writers' (openpyxl, XlsxWriter) nor pandas, nor (the child finds the
settings and checks) the settings' models (pydantic)."""

from __future__ import annotations

import datetime as dt
import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

from cli_helpers import run_cli
from factory import AS_OF, household, member, write

from excel_bridge.check import check_file, isolated_summary, summarize
from excel_bridge.idcard import make_id

ROOT = Path(__file__).resolve().parents[1]


def many_errors(path: Path, config, n: int = 25) -> Path:
    """n one-person households, each with one error (户类型 一般户), so 20 are shown and n − 20 are not."""
    rows = {"household": [], "member": [], "measure": [], "review": []}
    for i in range(n):
        head = make_id("440205", dt.date(1960, 1, 1) + dt.timedelta(days=40 * i), 101 + 2 * i)
        rows["household"].append(household(head, household_type="一般户", size=1))
        rows["member"].append(member(head, head, "户主"))
    return write(path, config, rows)


def test_the_child_sends_back_what_check_prints_not_the_reading(tmp_path, config):
    path = many_errors(tmp_path / "many.xlsx", config)
    result = check_file(path, config, as_of=AS_OF, district=True)  # what the child computes, here in-process

    summary = isolated_summary(path, config, as_of=AS_OF, shown=20)

    assert summary == summarize(result, shown=20)
    assert (summary.readable, summary.exit_code, summary.households, summary.members, summary.errors,
            summary.warnings, len(summary.issues), summary.more, summary.proposed) == (
        True, 1, 25, 25, 25, 0, 20, 5, 0)
    assert [(i.code, i.sheet, i.row) for i in summary.issues] == [("NOT_ALLOWED", "户信息", r) for r in range(2, 22)]
    assert summary.sha256 == result.sha256 and summary.json is None
    # what crosses the pipe: the summary, a small part of the reading it replaces
    assert len(pickle.dumps(summary)) * 5 < len(pickle.dumps(result))

    with_json = isolated_summary(path, config, as_of=AS_OF, shown=20, with_json=True)
    assert with_json.json == result.to_json()


def test_an_unreadable_file_is_summarized_with_its_one_issue(tmp_path, config):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")

    summary = isolated_summary(path, config, as_of=AS_OF, shown=20)

    assert (summary.readable, summary.exit_code, summary.households, summary.more) == (False, 2, 0, 0)
    assert [i.code for i in summary.issues] == [check_file(path, config, as_of=AS_OF).issues[0].code]


PROBE = """
import sys
from excel_bridge import cli
code = cli.main(sys.argv[1:])
sys.stdout.flush()
print('loaded:' + ','.join(m for m in ('sqlalchemy', 'openpyxl', 'xlsxwriter', 'pandas', 'pydantic')
                           if m in sys.modules),
      file=sys.stderr)
sys.exit(code)
"""


def test_check_loads_no_ledger_nor_writer_library(tmp_path, config):
    path = many_errors(tmp_path / "many.xlsx", config)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    proc = subprocess.run([sys.executable, "-c", PROBE, "check", str(path), "--as-of", AS_OF.isoformat()],
                          capture_output=True, text=True, timeout=180, env=env, cwd=tmp_path)

    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.splitlines()[0] == "many.xlsx：发现 25 处错误、0 条提示（共 25 户、25 人）。"
    assert proc.stdout.splitlines()[41] == "  ……另有 5 条，见反馈文件的“问题清单”。"
    assert proc.stderr.splitlines()[-1] == "loaded:"  # none of them

    # --json the same way: the whole report, from the child
    as_json = run_cli("check", path, "--as-of", AS_OF.isoformat(), "--json", cwd=tmp_path)
    report = json.loads(as_json.stdout)
    assert as_json.returncode == 1
    assert (len(report["issues"]), len(report["households"]), report["valid"]) == (25, 25, False)
