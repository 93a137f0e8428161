"""The suite's own shortcuts build what the program builds: a `store` or `ws` ledger copied (SQLite) or replayed
(PostgreSQL) from one built per session is the ledger `Store.open` builds in an empty database — same tables,
columns, indexes, triggers, meta and revision — with a token secret of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import postgres_schema
from sqlalchemy import text

from excel_bridge.ledger_tokens import SECRET_KEY
from excel_bridge.store import Store

pytestmark = pytest.mark.backends


def _catalogue(store: Store) -> dict[str, Any]:
    """Everything the schema is made of, and the ledger's meta (its secret aside) and revision."""
    with store.snapshot() as conn:
        if conn.dialect.name == "sqlite":
            shape = sorted(tuple(r) for r in conn.execute(text(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")))
        else:
            schema = conn.execute(text("SELECT current_schema()")).scalar()
            columns = conn.execute(text(
                "SELECT table_name, column_name, data_type, is_nullable, column_default, collation_name "
                "FROM information_schema.columns WHERE table_schema = current_schema()"))
            indexes = conn.execute(text("SELECT tablename, indexname, indexdef FROM pg_indexes "
                                        "WHERE schemaname = current_schema()"))
            triggers = conn.execute(text(
                "SELECT event_object_table, trigger_name, event_manipulation, action_timing, action_statement "
                "FROM information_schema.triggers WHERE trigger_schema = current_schema()"))
            constraints = conn.execute(text(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
                "JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname = current_schema()"))
            shape = sorted(tuple(str(v).replace(f"{schema}.", "") for v in r)
                           for rows in (columns, indexes, triggers, constraints) for r in rows)
        meta = sorted(tuple(r) for r in conn.execute(text("SELECT key, value FROM meta WHERE key <> :k"),
                                                     {"k": SECRET_KEY}))
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return {"shape": shape, "meta": meta, "revision": revision}


def _secret(store: Store) -> str:
    return store.meta.get(SECRET_KEY) or ""


def test_a_fixture_ledger_is_the_one_store_open_builds(store, backend, tmp_path):
    built: Any = tmp_path / "built.sqlite" if backend is None else None
    with postgres_schema() if backend is not None else _nothing() as url:
        with Store.open(url or built) as fresh:
            assert _catalogue(store) == _catalogue(fresh)
            assert len(_secret(store)) == len(_secret(fresh)) == 32 and _secret(store) != _secret(fresh)
    assert _catalogue(store)["revision"] and _catalogue(store)["shape"]


def test_each_fixture_ledger_has_a_secret_of_its_own(ws, store, backend, pristine_workspace, request):
    with ws.open_store() as workspace_ledger:
        if backend is None:  # two copies of the session's pristine workspace's ledger
            with Store.open(Path(pristine_workspace) / ws.ledger_path.relative_to(ws.root)) as pristine:
                assert len({_secret(workspace_ledger), _secret(store), _secret(pristine)}) == 3
        else:  # one schema, one ledger, replayed with a secret other than the recorded build's
            recorded = [params["value"] for _, params in request.getfixturevalue("postgres_recipe")
                        if params and params.get("key") == SECRET_KEY]
            assert len(recorded) == 1 and _secret(workspace_ledger) == _secret(store) != recorded[0]


class _nothing:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None
