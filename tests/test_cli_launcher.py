"""The tests' `excel-bridge` launcher (tests/cli_launcher.py, issue 23): a command run through it is the command a
fresh interpreter runs — the same exit code, stdout and stderr —, a pass run through it forks its workers from the
launcher's fork server, and a run past its timeout is killed and said as subprocess.run says it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import pytest
from cli_helpers import _LAUNCHER, run_cli
from factory import write_village

from excel_bridge.idcard import make_id
from excel_bridge.messages import TEXT

pytestmark = pytest.mark.skipif(_LAUNCHER.off, reason="no launcher here: EB_TEST_FRESH_CLI=1, or no fork")
EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "workbooks", "示例_马坝镇石塘村监测台账.xlsx")


def both(*args: object, **kwargs: object) -> tuple[tuple[int, str, str], tuple[int, str, str]]:
    """(exit code, stdout, stderr) through the launcher, then from a fresh interpreter."""
    before = len(_LAUNCHER.runs)
    launched = run_cli(*args, **kwargs)  # type: ignore[arg-type]
    assert len(_LAUNCHER.runs) == before + 1, "not run through the launcher"
    fresh = run_cli(*args, fresh=True, **kwargs)  # type: ignore[arg-type]
    return (launched.returncode, launched.stdout, launched.stderr), (fresh.returncode, fresh.stdout, fresh.stderr)


@pytest.mark.parametrize("args, code", [
    (("check", EXAMPLE, "--as-of", "2021-12-20", "--json"), 1),  # the example's mistakes, as JSON
    (("process", "-h"), 0),  # help wrapped to the 100 columns of COLUMNS
    (("chek", "x.xlsx"), 2),  # argparse's usage error, in Chinese, on stderr
    (("process", "没有这个目录"), 3),  # not a workspace: said in Chinese
])
def test_a_command_through_the_launcher_is_the_command_a_fresh_interpreter_runs(args, code, tmp_path):
    launched, fresh = both(*args, cwd=tmp_path)

    assert launched[0] == code
    assert launched == fresh


def test_a_ledger_command_through_the_launcher_answers_as_a_fresh_one(ws):
    launched, fresh = both("history", make_id("440205", dt.date(1960, 1, 1), 1), "--workspace", ws.root)

    assert launched[0] == 1  # no such household
    assert launched == fresh


def test_a_pass_through_the_launcher_forks_its_workers_from_the_launchers_fork_server(ws):
    """The pass's pool takes the launcher's fork server as its own; a server it could not use would make it start
    every worker as a new interpreter and say so under -v (as where the temp folder cannot hold the server's
    socket): here that would be `[Errno 10] No child processes`, multiprocessing waiting for a server that is not
    its child."""
    write_village(ws.town_inbox("马坝镇") / "石塘村.xlsx", ws.config())
    spawned = TEXT["runner.log.spawned"].split("（")[0]

    done = run_cli("process", ws.root, "--as-of", "2021-12-20", "--wait", "0.05", "-v")

    assert done.returncode == 0, done.stderr
    assert spawned not in done.stderr
    assert "石塘村.xlsx" in done.stdout
    assert list(ws.root.glob("反馈/马坝镇/*/石塘村*_反馈.xlsx")), "the returned copy, written by a worker"
    assert (ws.root / "区级" / "区级总台账.xlsx").exists()  # the district job, in a worker too


def test_a_run_past_its_timeout_is_killed_and_said_as_subprocess_run_says_it(ws):
    with pytest.raises(subprocess.TimeoutExpired) as raised:
        run_cli("watch", ws.root, timeout=3)  # watches until stopped

    assert raised.value.timeout == 3
    with pytest.raises(ProcessLookupError):
        os.kill(_LAUNCHER.runs[-1], 0)  # killed and reaped
    assert run_cli("chek").returncode == 2  # the launcher goes on
