"""The ledger's schema history as Alembic revisions, one per schema version (v1 … v8), written by hand with
frozen, dialect-neutral operations; run by `store.migrations` (no alembic.ini: configured in code)."""
