"""tests/postgres_halves.json (bench/pg_statements.py --choose) may only ever take a PostgreSQL half out of the
default run: never a test's SQLite half, never a test that is not a half, never one of a module kept on both."""

from __future__ import annotations

import json
import re
from pathlib import Path

TESTS = Path(__file__).parent


def test_only_postgresql_halves_of_backends_modules_are_listed():
    table = json.loads((TESTS / "postgres_halves.json").read_text(encoding="utf-8"))
    listed, kept = table["full_only"], table["kept_on_both"]
    assert "test_ledger_lock.py" in kept and "test_migrations.py" in kept  # the advisory locks, the revisions
    assert listed == sorted(set(listed))
    for nodeid in listed:
        path, _, rest = nodeid.partition("::")
        name, _, params = rest.partition("[")
        assert "postgresql" in params.rstrip("]").split("-"), nodeid
        assert not any(k in nodeid for k in kept), nodeid
        source = (TESTS.parent / path).read_text(encoding="utf-8")
        assert re.search(r"^pytestmark = pytest\.mark\.backends\b", source, re.M), nodeid
        assert f"def {name}(" in source, nodeid
