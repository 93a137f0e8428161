"""What the tests' PostgreSQL halves prove: every distinct statement the tests run on PostgreSQL, with the types of
the values bound to it and the product function that sent it, in the suite's default run against a run with every
ledger test on both backends.

A check, not a test (it runs the PostgreSQL half of the suite twice, 10–20 minutes here). Run:
    python bench/pg_statements.py --database postgresql+psycopg://eb:eb@localhost:5432/eb_test5
(default: EB_TEST_POSTGRES). Issue 23: two things keep a PostgreSQL half out of README's test command, and
`EB_TEST_BACKENDS=all` runs them all again:
  - modules marked `pytest.mark.backends_full`: their PostgreSQL half ran nothing the other modules' do not;
  - the tests listed in tests/postgres_halves.json (`--choose` writes it): a module's halves are chosen greedily,
    most statements not yet reached per second first, until the halves that run reach every statement the full run
    reaches. Kept whatever the count: tests that are not a half (PostgreSQL only), and those the file's
    `kept_on_both` names, whose PostgreSQL half proves the server's behaviour (the advisory locks, the migrations,
    the store, the workflow, a lost connection, the fixtures' ledgers, numbers counted in SQL, a transaction undone,
    statements counted).
This script shows that the claim holds: it runs the test files that reach PostgreSQL (`-k "not sqlite"`) once as
README's test command does and once with EB_TEST_BACKENDS=all, with a logger in every Python process the tests start
(the CLI's processes and their workers too, through a sitecustomize on PYTHONPATH), and lists each statement (its
text with IN-lists, VALUES lists and schema names folded), type signature (each bound parameter's name and Python
type: PostgreSQL refuses a text where it wants a date, SQLite does not) and sending function that the full run
reached and the default run did not. Exit status 1 if there is any: then run `--choose` again (or mark the module
`backends` again). `--per-module` instead runs each file alone and lists what only it reaches.
What it cannot see: a test that relies on a result's order or a server's behaviour that no statement shows; such a
test belongs in `kept_on_both`. Linux (it reads /proc to tell the session's workers).
The last line is one JSON object: the counts and the seconds of the runs.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGGER = r"""
import os
_DIR = os.environ.get("EB_SQL_LOG_DIR")
if _DIR:
    import atexit, json, re, sys, time
    _KEY = re.compile(r"_\d+(_\d+)?$")
    _PARAM = r"%\([a-z_]+?_N\)s(::[A-Z]+)?"
    _FOLD = ((re.compile(r"\s+"), " "), (re.compile(r"%\(([a-z_]+?)_\d+(_\d+)?\)s"), r"%(\1_N)s"),
             (re.compile(rf"\({_PARAM}(, {_PARAM})*\)"), "(LIST)"), (re.compile(r"\(LIST\)(, \(LIST\))+"), "(LIST)"),
             (re.compile(rf"({_PARAM})(, {_PARAM})+"), r"\1"), (re.compile(r"\b[a-z]+_[0-9a-f]{10,12}\b"), "SCHEMA"),
             (re.compile(r"\b\d+\b"), "0"))
    _PRODUCT = os.environ["EB_SQL_PRODUCT"]  # statements the tests' own SQL runs are not the product's
    try:  # a worker the session's runner started (its parent is an xdist worker) outlives the test that started it
        _STALE = b"exec(eval(sys.stdin" in open(f"/proc/{os.getppid()}/cmdline", "rb").read()
    except OSError:
        _STALE = False
    _OWNER = os.getppid()  # that xdist worker; kept by the workers a fork server it started forks (their parent: it)
    _seen = {}
    _folded = {}

    def _fold(statement):
        folded = _folded.get(statement)
        if folded is None:
            folded = statement
            for pattern, by in _FOLD:
                folded = pattern.sub(by, folded)
            folded = _folded[statement] = folded.strip()
        return folded

    def _signature(row):
        if isinstance(row, dict):
            return ",".join(sorted({_KEY.sub("_N", k) + ":" + type(v).__name__ for k, v in row.items()}))
        if isinstance(row, (list, tuple)):
            return ",".join(type(v).__name__ for v in row)
        return ""

    _EXECUTORS = os.path.join(_PRODUCT, "store", "db.py")  # the store's generic executors: anyone's SQL passes them

    def _site():
        # the innermost product function that sent it; None for the tests' own SQL, even when it goes through the
        # store's executors (`store.db.rows(text(…))`): no product function but those is on the stack
        frame = sys._getframe(2)
        site = None
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith(_PRODUCT):
                if site is None:
                    site = name[len(_PRODUCT):] + ":" + frame.f_code.co_name
                if name != _EXECUTORS:
                    return site
            frame = frame.f_back
        return None

    def _seen_statement(conn, cursor, statement, parameters, context, executemany):
        if conn.dialect.name != "postgresql":
            return
        site = _site()
        if site is None:
            return
        folded = _fold(statement)
        # who ran it: the test (from the environment the test's process or CLI run inherited), or, in a worker that
        # outlives tests, the moment (tenths of a second), placed in its test's time afterwards
        who = int(time.time() * 10) if _STALE else os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0]
        for row in (parameters if executemany else [parameters]) or [None]:
            _seen[(who, f"{folded} || {_signature(row)} || {site}")] = None

    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        event.listen(Engine, "before_cursor_execute", _seen_statement)
    except Exception:
        pass

    def _dump():
        if _seen:
            with open(os.path.join(_DIR, f"{os.getpid()}.jsonl"), "a", encoding="utf-8") as fh:
                for who, key in _seen:
                    fh.write(json.dumps({"ppid": _OWNER, "stale": _STALE, "who": who, "key": key},
                                        ensure_ascii=False) + "\n")
            _seen.clear()
    atexit.register(_dump)

    def _forked(_):
        # a worker a fork server forked (Linux) ends with os._exit, past atexit: multiprocessing's end of a process
        # runs its finalizers, so the worker's statements are written there (the server's own, none, are not its)
        from multiprocessing import util
        _seen.clear()
        util.Finalize(None, _dump, exitpriority=0)

    try:
        from multiprocessing import util as _util
        _util.register_after_fork(_dump, _forked)
    except Exception:
        pass
"""
TIMES = r"""
import json, os, time
import pytest

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.time()
    yield
    with open(os.path.join(os.environ["EB_SQL_LOG_DIR"], "tests.times"), "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"pid": os.getpid(), "test": item.nodeid, "start": start, "end": time.time()}) + "\n")
"""
HALVES = ROOT / "tests" / "postgres_halves.json"


def reaching_postgresql() -> list[str]:
    """The test files with a PostgreSQL half, or PostgreSQL-only tests."""
    out = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if re.search(r"^pytestmark = pytest\.mark\.backends", text, re.M) or "POSTGRES" in text or "(server" in text \
                or ", server" in text:
            out.append(f"tests/{path.name}")
    return out


@dataclass
class Run:
    by_test: dict[str, set[str]]  # each test's statements ("" : not placed in a test)
    seconds: dict[str, float]  # each test's wall seconds
    total: float

    @property
    def seen(self) -> set[str]:
        return set().union(*self.by_test.values())


def run(files: list[str], database: str, *, every: bool, parallel: bool = True) -> Run:
    with tempfile.TemporaryDirectory(prefix="eb-pg-statements-") as tmp:
        Path(tmp, "sitecustomize.py").write_text(LOGGER, encoding="utf-8")
        Path(tmp, "eb_test_times.py").write_text(TIMES, encoding="utf-8")
        logs = Path(tmp, "logs")
        logs.mkdir()
        env = {**os.environ, "EB_TEST_POSTGRES": database, "EB_SQL_LOG_DIR": str(logs),
               "EB_SQL_PRODUCT": str(ROOT / "excel_bridge") + os.sep,
               "PYTHONPATH": os.pathsep.join(filter(None, [tmp, os.environ.get("PYTHONPATH")]))}
        env.pop("EB_TEST_BACKENDS", None)
        if every:
            env["EB_TEST_BACKENDS"] = "all"
        start = time.perf_counter()
        spread = ["-n", "auto", "--dist", "loadfile"] if parallel else ["-p", "no:xdist"]
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "eb_test_times",
                               *spread, "-k", "not sqlite", *files], cwd=ROOT, env=env, capture_output=True, text=True)
        total = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"the tests failed ({'all backends' if every else 'default'}):\n{proc.stdout[-4000:]}")
        return placed(logs, total)


def placed(logs: Path, total: float) -> Run:
    """Each statement in the test that ran it: a worker outliving tests is placed by its time in its parent's tests."""
    windows: dict[int, list[tuple[float, float, str]]] = {}
    seconds: dict[str, float] = {}
    for line in (logs / "tests.times").read_text(encoding="utf-8").splitlines():
        t = json.loads(line)
        windows.setdefault(t["pid"], []).append((t["start"], t["end"], t["test"]))
        seconds[t["test"]] = t["end"] - t["start"]
    for w in windows.values():
        w.sort()
    by_test: dict[str, set[str]] = {}
    for log in logs.glob("*.jsonl"):
        for line in log.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            who = r["who"]
            if r["stale"]:
                w = windows.get(r["ppid"], [])
                at = who / 10
                i = bisect.bisect_right([s for s, _, _ in w], at) - 1
                who = w[i][2] if i >= 0 and at <= w[i][1] + 0.2 else ""
            by_test.setdefault(who, set()).add(r["key"])
    return Run(by_test, seconds, total)


def postgres_half(test: str) -> bool:
    params = test.partition("[")[2]
    return "postgresql" in params.rstrip("]").split("-")


def choose(full: Run) -> tuple[list[str], list[str]]:
    """The PostgreSQL halves of the default run: every test always (not a half, or a module kept on both whatever
    the count), then, greedily, the halves of `backends` modules reaching the most statements not yet reached per
    second, until every statement of the full run is reached. Returns (kept, run only with EB_TEST_BACKENDS=all)."""
    full_modules = {f"tests/{p.name}" for p in (ROOT / "tests").glob("test_*.py")
                    if "pytest.mark.backends_full" in p.read_text(encoding="utf-8")}
    everything = full.seen
    tests = [t for t in full.by_test if t]
    always = json.loads(HALVES.read_text(encoding="utf-8"))["kept_on_both"]
    candidates = {t for t in tests if postgres_half(t) and not any(a in t for a in always)
                  and t.split("::")[0] not in full_modules}
    fixed = {t for t in tests if postgres_half(t) and t.split("::")[0] in full_modules}
    reached = set().union(full.by_test.get("", set()), *(full.by_test[t] for t in tests
                                                           if t not in candidates and t not in fixed))
    kept: list[str] = []
    while reached != everything:
        best = max(sorted(candidates - set(kept)), key=lambda t: len(full.by_test[t] - reached)
                   / max(full.seconds.get(t, 1.0), 0.05))
        if not full.by_test[best] - reached:
            sys.exit("some statements are reached only by tests that cannot be chosen")
        kept.append(best)
        reached |= full.by_test[best]
    return sorted(kept), sorted(candidates - set(kept))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get("EB_TEST_POSTGRES"),
                        help="a PostgreSQL database URL the tests may make schemas in (default: EB_TEST_POSTGRES)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--choose", action="store_true",
                      help="instead: from a run with every backend, choose the PostgreSQL halves the default run keeps "
                           "and write tests/postgres_halves.json")
    mode.add_argument("--per-module", action="store_true",
                      help="instead: run each file alone on both backends and list what only it reaches")
    args = parser.parse_args()
    if not args.database:
        parser.error("give --database or set EB_TEST_POSTGRES")
    files = reaching_postgresql()
    if args.per_module:
        by_file = {f: run([f], args.database, every=True, parallel=False) for f in files}
        for f, r in by_file.items():
            others = set().union(*(o.seen for g, o in by_file.items() if g != f))
            only = sorted(r.seen - others)
            print(f"{f}: {len(r.seen)} statements, {r.total:.1f} s, {len(only)} reached by no other file")
            for line in only:
                print("   ", line)
        return
    if args.choose:
        full = run(files, args.database, every=True)
        kept, dropped = choose(full)
        table = json.loads(HALVES.read_text(encoding="utf-8"))
        HALVES.write_text(json.dumps({"about": HALVES_ABOUT, "kept_on_both": table["kept_on_both"],
                                      "full_only": dropped}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(json.dumps({"statements": len(full.seen), "chosen": len(kept),
                          "chosen_seconds": round(sum(full.seconds.get(t, 0) for t in kept), 1),
                          "full_only": len(dropped),
                          "full_only_seconds": round(sum(full.seconds.get(t, 0) for t in dropped), 1),
                          "seconds": round(full.total, 1)}))
        return
    full = run(files, args.database, every=True)
    default = run(files, args.database, every=False)
    missing = sorted(full.seen - default.seen)
    for line in missing:
        print("only in the full run:", line)
    print(json.dumps({"files": len(files), "statements_full": len(full.seen), "statements_default": len(default.seen),
                      "missing": len(missing), "seconds_full": round(full.total, 1),
                      "seconds_default": round(default.total, 1)}))
    sys.exit(1 if missing else 0)


HALVES_ABOUT = ("Written by `python bench/pg_statements.py --choose` (issue 23): the PostgreSQL halves of tests in "
                "`backends` modules that run only with EB_TEST_BACKENDS=all. Every statement (with the types of its "
                "bound values and the product function that sent it) they reach on PostgreSQL is reached by the "
                "halves that still run by default; `python bench/pg_statements.py` checks that this holds. "
                "`kept_on_both`: tests (a module's file name, a test's name, or a part of either) whose PostgreSQL "
                "half always runs, whatever the count: what they prove is the server's behaviour, which no "
                "statement shows (advisory locks, transactions and a lost connection, migrations, the fixtures' "
                "ledgers, numbers counted in SQL, statements counted).")


if __name__ == "__main__":
    main()
