"""The ledger's schema version and the Alembic revisions that bring any ledger to it (SQLite or PostgreSQL).

Each schema version N is one hand-written revision "vN" in `store/revisions/versions/` (frozen, dialect-neutral
operations; it ends by writing meta.schema_version = N). A new ledger is built by running them all; a ledger
of an earlier release (meta.schema_version, no alembic_version table) is stamped at its version, then
upgraded. Everything runs in one transaction under a PostgreSQL advisory lock (two programs opening one
database wait for each other). A ledger newer than this program is refused untouched. No alembic.ini: the
configuration is built here, the revisions ship inside the package.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, inspect, select, text

from ..errors import LedgerError
from ..messages import TEXT
from . import tables as t
from .db import Database

SCHEMA_VERSION = 12
HEAD = f"v{SCHEMA_VERSION}"
REVISIONS = Path(__file__).with_name("revisions")
_LOCK_KEY = 740205  # PostgreSQL advisory lock: two programs creating or upgrading one database wait for each other


def schema_version(conn: Connection) -> int:
    if not inspect(conn).has_table("meta"):
        return 0
    value = conn.execute(select(t.meta.c.value).where(t.meta.c.key == "schema_version")).scalar()
    return int(value) if value else 0


def alembic_revision(conn: Connection) -> str | None:
    """The revision Alembic recorded, or None for a new ledger or one of a release before Alembic."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def alembic_config(conn: Connection):
    """Alembic's configuration for this connection, built in code (no alembic.ini on disk)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(REVISIONS))
    config.attributes["connection"] = conn
    return config


def upgrade(conn: Connection, target: str = HEAD) -> None:
    """Run the revisions up to `target` on this connection, in its transaction (a pre-Alembic ledger is first
    stamped at its meta.schema_version)."""
    from alembic import command

    config = alembic_config(conn)
    found = schema_version(conn)
    if found and alembic_revision(conn) is None:
        command.stamp(config, f"v{found}")
    command.upgrade(config, target)


def migrate(db: Database) -> int:
    """Bring the database to SCHEMA_VERSION; returns the version it had."""
    with db.atomic() as conn:
        if not db.is_sqlite:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        found = schema_version(conn)
        if found > SCHEMA_VERSION:
            raise LedgerError(TEXT["ledger.too_new"].format(current=found, supported=SCHEMA_VERSION))
        if found == SCHEMA_VERSION and alembic_revision(conn) == HEAD:
            return found
        upgrade(conn)
    return found
