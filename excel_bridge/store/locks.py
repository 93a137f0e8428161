"""Locks held at the ledger itself, so they hold across workspace copies and machines sharing one database.

The pass lock: one processing pass at a time per ledger (PostgreSQL: a session advisory lock on a connection of
its own, keyed by the schema; SQLite: an OS lock on a file beside the database). A lock dies with its process or
its connection, so a killed pass never leaves the ledger locked. Inside a transaction, `claim_content` serialises
two writers of the same file content (PostgreSQL: a transaction advisory lock, of the schema like the pass lock; SQLite: BEGIN IMMEDIATE already
does).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

from filelock import FileLock, Timeout
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from ..errors import LedgerBusy, LedgerUnavailable
from ..messages import TEXT
from .db import Database, describe

PASS_KEY = 740206     # pg advisory lock space (with the schema's hash): one pass per ledger
CONTENT_KEY = 740207  # pg advisory lock space (with the content's hash): one writer of a file's content at a time
POLL = 1.0            # seconds between two tries while waiting for another program's pass


@contextlib.contextmanager
def pass_lock(db: Database, *, wait: bool, on_wait: Callable[[str], None]) -> Iterator[Callable[[], None]]:
    """Hold the ledger's pass lock for the block, which gets `held()`: raises LedgerUnavailable once the lock is
    lost with its connection (a server restart), so the pass stops before another program's begins. Taken: at
    once, or (wait) after telling `on_wait` once and waiting for the other program; not taken and not waiting:
    LedgerBusy (nothing was done)."""
    busy = TEXT["ledger.pass_busy" if wait else "ledger.pass_busy_exit"].format(database=describe(db.url))
    with _sqlite_lock(db, wait, on_wait, busy) if db.is_sqlite else _postgres_lock(db, wait, on_wait, busy) as held:
        yield held


def claim_content(conn: Connection, sha256: str, town: str | None) -> None:
    """Inside a writing transaction: wait until no other transaction is applying this content for this town
    (until it commits, so what it applied is then seen). SQLite: the transaction already holds the write lock."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k, hashtext(coalesce(current_schema(), '') || :what))"),
                     {"k": CONTENT_KEY, "what": f"{town or ''}\n{sha256}"})


def _always() -> None:
    """An OS lock on a file lasts as long as its process."""


@contextlib.contextmanager
def _sqlite_lock(db: Database, wait: bool, on_wait: Callable[[str], None], busy: str) -> Iterator[Callable[[], None]]:
    path = db.url.database
    if not path or path == ":memory:":
        yield _always
        return
    lock = FileLock(f"{path}.pass.lock", thread_local=False)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if not wait:
            raise LedgerBusy(busy) from None
        on_wait(busy)
        lock.acquire()
    try:
        yield _always
    finally:
        lock.release()


@contextlib.contextmanager
def _postgres_lock(db: Database, wait: bool, on_wait: Callable[[str], None],
                   busy: str) -> Iterator[Callable[[], None]]:
    conn = db.connect_autocommit()
    try:
        told = False
        while not conn.execute(text("SELECT pg_try_advisory_lock(:k, hashtext(current_schema()))"),
                               {"k": PASS_KEY}).scalar():
            if not wait:
                raise LedgerBusy(busy)
            if not told:
                on_wait(busy)
                told = True
            time.sleep(POLL)

        def held() -> None:
            try:
                conn.execute(text("SELECT 1"))
            except DBAPIError as exc:  # the session is gone, and the lock with it
                raise LedgerUnavailable(TEXT["ledger.connection_lost"].format(database=describe(db.url))) from exc

        try:
            yield held
        finally:
            with contextlib.suppress(Exception):  # a lost connection has released it already
                conn.execute(text("SELECT pg_advisory_unlock(:k, hashtext(current_schema()))"), {"k": PASS_KEY})
    finally:
        conn.invalidate()  # the session ends: whatever it held is released, nothing goes back to the pool
        conn.close()
