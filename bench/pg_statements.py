"""What the tests' PostgreSQL halves prove: every distinct statement the tests run on PostgreSQL, with the types of
the values bound to it, in the suite's default run against a run with every ledger test on both backends.

A check, not a test (it runs the PostgreSQL half of the suite twice, 10–20 minutes here). Run:
    python bench/pg_statements.py --database postgresql+psycopg://eb:eb@localhost:5432/eb_test5
(default: EB_TEST_POSTGRES); `--per-module` instead runs each file alone and lists what only it reaches (which
files' PostgreSQL halves are needed). Issue 23: modules marked `pytest.mark.backends_full` run on SQLite only by default,
because their PostgreSQL half ran nothing the other modules' PostgreSQL halves do not; `EB_TEST_BACKENDS=all`
runs them on both backends again. This script shows that claim still holds: it runs the test files that reach
PostgreSQL (`-k "not sqlite"`) once as README's test command does and once with EB_TEST_BACKENDS=all, with a logger
in every Python process the tests start (the CLI's processes and their workers too, through a sitecustomize on
PYTHONPATH), and lists each statement (its text with IN-lists, VALUES lists and schema names folded) and type
signature (each bound parameter's name and Python type: PostgreSQL refuses a text where it wants a date, SQLite
does not) that the full run reached and the default run did not. Exit status 1 if there is any: then mark the
module that reaches it `backends` again (or add a test on both backends that reaches it).
The last line is one JSON object: the counts and the seconds of both runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOGGER = r'''
import os
_DIR = os.environ.get("EB_SQL_LOG_DIR")
if _DIR:
    import atexit, re, sys
    _seen = set()
    _KEY = re.compile(r"_\d+(_\d+)?$")
    _PARAM = r"%\([a-z_]+?_N\)s(::[A-Z]+)?"
    _FOLD = ((re.compile(r"\s+"), " "), (re.compile(r"%\(([a-z_]+?)_\d+(_\d+)?\)s"), r"%(\1_N)s"),
             (re.compile(rf"\({_PARAM}(, {_PARAM})*\)"), "(LIST)"), (re.compile(r"\(LIST\)(, \(LIST\))+"), "(LIST)"),
             (re.compile(rf"({_PARAM})(, {_PARAM})+"), r"\1"), (re.compile(r"\b[a-z]+_[0-9a-f]{10,12}\b"), "SCHEMA"),
             (re.compile(r"\b\d+\b"), "0"))
    _PRODUCT = os.environ["EB_SQL_PRODUCT"]  # statements the tests' own SQL runs are not the product's

    def _fold(statement):
        for pattern, by in _FOLD:
            statement = pattern.sub(by, statement)
        return statement.strip()

    def _signature(row):
        if isinstance(row, dict):
            return ",".join(sorted({_KEY.sub("_N", k) + ":" + type(v).__name__ for k, v in row.items()}))
        if isinstance(row, (list, tuple)):
            return ",".join(type(v).__name__ for v in row)
        return ""

    def _from_the_product():
        frame = sys._getframe(2)
        while frame is not None:
            if _PRODUCT in frame.f_code.co_filename:
                return True
            frame = frame.f_back
        return False

    def _seen_statement(conn, cursor, statement, parameters, context, executemany):
        if conn.dialect.name == "postgresql" and _from_the_product():
            folded = _fold(statement)
            for row in (parameters if executemany else [parameters]) or [None]:
                _seen.add(folded + " || " + _signature(row))

    try:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine
        event.listen(Engine, "before_cursor_execute", _seen_statement)
    except Exception:
        pass

    def _dump():
        if _seen:
            with open(os.path.join(_DIR, f"{os.getpid()}.sql"), "a", encoding="utf-8") as fh:
                fh.writelines(s + "\n" for s in sorted(_seen))
    atexit.register(_dump)
'''


def reaching_postgresql() -> list[str]:
    """The test files with a PostgreSQL half, or PostgreSQL-only tests."""
    out = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        text = path.read_text(encoding="utf-8")
        if "pytest.mark.backends" in text or "POSTGRES" in text or "(server" in text or ", server" in text:
            out.append(f"tests/{path.name}")
    return out


def run(files: list[str], database: str, *, every: bool, parallel: bool = True) -> tuple[set[str], float]:
    with tempfile.TemporaryDirectory(prefix="eb-pg-statements-") as tmp:
        Path(tmp, "sitecustomize.py").write_text(LOGGER, encoding="utf-8")
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
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *spread,
                               "-k", "not sqlite", *files], cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"the tests failed ({'all backends' if every else 'default'}):\n{proc.stdout[-4000:]}")
        seen: set[str] = set()
        for log in logs.iterdir():
            seen.update(line for line in log.read_text(encoding="utf-8").splitlines() if line)
        return seen, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get("EB_TEST_POSTGRES"),
                        help="a PostgreSQL database URL the tests may make schemas in (default: EB_TEST_POSTGRES)")
    parser.add_argument("--per-module", action="store_true",
                        help="instead: run each file alone on both backends and list what only it reaches")
    args = parser.parse_args()
    if not args.database:
        parser.error("give --database or set EB_TEST_POSTGRES")
    files = reaching_postgresql()
    if args.per_module:
        by_file = {f: run([f], args.database, every=True, parallel=False) for f in files}
        for f, (seen, seconds) in by_file.items():
            others = set().union(*(s for g, (s, _) in by_file.items() if g != f))
            only = sorted(seen - others)
            print(f"{f}: {len(seen)} statements, {seconds:.1f} s, {len(only)} reached by no other file")
            for line in only:
                print("   ", line)
        return
    full, full_seconds = run(files, args.database, every=True)
    default, default_seconds = run(files, args.database, every=False)
    missing = sorted(full - default)
    for line in missing:
        print("only in the full run:", line)
    print(json.dumps({"files": len(files), "statements_full": len(full), "statements_default": len(default),
                      "missing": len(missing), "seconds_full": round(full_seconds, 1),
                      "seconds_default": round(default_seconds, 1)}))
    sys.exit(1 if missing else 0)


if __name__ == "__main__":
    main()
