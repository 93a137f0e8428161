"""The database connection of the store: SQLite by default (one file in the workspace, nothing to install),
PostgreSQL for a city or a province (`database: postgresql+psycopg://…` in 区级设置.yaml or --database).

`atomic()` is the one way to write: all of a block or nothing, and it nests (an inner block is a SAVEPOINT,
so callers compose without knowing who began the transaction). Reads outside a block each take a short
snapshot; `snapshot()` holds one snapshot over many reads (a workbook written from one consistent state).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import sqlite3
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Table, and_, create_engine, event, or_, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, DisconnectionError, OperationalError, SQLAlchemyError
from sqlalchemy.sql import Executable

from ..errors import LedgerError, LedgerUnavailable, StoreError
from ..messages import TEXT
from .tables import dumps, json_columns, loads

log = logging.getLogger(__name__)

WAL_PAGES = 16_000  # SQLite: the write-ahead log is copied into the database once past this many pages (64 MiB
# at 4 KiB a page; SQLite's own default is 1,000), so a village's commit does not do it; a pass does it meanwhile
PING_IDLE = 2.0  # seconds: a PostgreSQL connection idle in the pool this long is pinged before it is used again
NO_ROOM = 1 << 20  # bytes: less than this free beside a SQLite ledger is a full disk
IN_LIST = 500  # ids per IN (…) list: well inside SQLite's and PostgreSQL's parameter limits


def in_chunks(ids: Sequence[Any], size: int = IN_LIST) -> Iterator[Sequence[Any]]:
    """`ids` a slice at a time, for statements with an IN (…) list of them."""
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def in_places(town: ColumnElement, village: ColumnElement, places: Iterable[tuple[str, str]]) -> ColumnElement[bool]:
    """(town, village) is one of `places`: per town, its villages as one IN list (an index on (town, village) finds
    them; a row-value IN would have SQLite scan the table)."""
    by_town: dict[str, set[str]] = defaultdict(set)
    for town_, village_ in places:
        by_town[town_].add(village_)
    return or_(False, *(and_(town == name, village.in_(sorted(villages))) for name, villages in sorted(by_town.items())))


SUPPORTED = {"sqlite": "sqlite", "sqlite+pysqlite": "sqlite", "postgresql": "postgresql+psycopg",
             "postgres": "postgresql+psycopg", "postgresql+psycopg": "postgresql+psycopg"}


def database_url(target: str | Path) -> URL:
    """A database URL from what a district writes: a URL (SQLite or PostgreSQL through psycopg), or the path of a
    SQLite file; any other raises LedgerError saying which work."""
    text = str(target)
    if "://" not in text:
        return URL.create("sqlite", database=str(Path(text)))
    try:
        url = make_url(text)
    except ArgumentError:
        url = None
    if url is None or url.drivername not in SUPPORTED:
        shown = describe(url) if url is not None else text.split("://", 1)[0] + "://…"
        raise LedgerError(TEXT["ledger.unsupported_url"].format(url=shown))
    return url.set(drivername=SUPPORTED[url.drivername])


def schema_of(url: URL) -> str | None:
    """The schema a PostgreSQL URL puts the ledger in (`?options=-csearch_path=<schema>`), or None."""
    options = url.query.get("options")
    for option in (options,) if isinstance(options, str) else options or ():
        for part in option.replace("-c ", "-c").split():
            if part.startswith("-csearch_path="):
                return part.split("=", 1)[1].split(",")[0].strip() or None
    return None


def with_schema(target: str, schema: str) -> str:
    """The URL of `target` (a PostgreSQL server) whose every connection works in `schema` (its search_path): the
    form 区级设置's `database:` plus `schema:` comes to, and the one URL form README documents."""
    url = database_url(target)
    if url.get_backend_name() != "postgresql":
        raise LedgerError(TEXT["ledger.schema_needs_server"].format(schema=schema))
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)


def describe(url: URL) -> str:
    """The database for messages and logs, without its password."""
    return url.render_as_string(hide_password=True)


KEPT_ENGINES = 4  # engines a worker keeps between jobs (one per ledger; a watcher has one)
_kept: dict[tuple[str, float], Engine] = {}


def _kept_engine(url: URL, timeout: float, make: Callable[[], Engine]) -> Engine:
    """The engine this process made before for the same ledger, or a new one kept for next time: a worker writing
    the district's workbooks job after job compiles each statement once (a new engine compiles all of them again,
    about 50 a job), and its dialect is set up once. Its connections are closed after each job all the same."""
    key = (url.render_as_string(hide_password=False), timeout)
    engine = _kept.pop(key, None) or make()
    _kept[key] = engine  # the most recently used last
    while len(_kept) > KEPT_ENGINES:
        _kept.pop(next(iter(_kept))).dispose()
    return engine


class Database:
    """One database, used by one thread at a time (each process opens its own)."""

    def __init__(self, target: str | Path, *, timeout: float = 30.0, read_only: bool = False,
                 keep_engine: bool = False) -> None:
        self.url = database_url(target)
        self.read_only = read_only  # PostgreSQL: every transaction READ ONLY, one snapshot each (the city's reads)
        self.dialect = self.url.get_backend_name()
        self.schema = None if self.dialect == "sqlite" else schema_of(self.url)  # None: the server's default
        self.timeout = timeout
        self._conn: Connection | None = None  # the connection of the open atomic() or snapshot() block
        self._writing = False
        self.grown = 0  # households added through this database since its planner statistics were looked at
        try:
            self.engine = _kept_engine(self.url, timeout, self._engine) if keep_engine and not read_only else \
                self._engine()
        except (SQLAlchemyError, OSError, ValueError, ImportError) as exc:  # ImportError: its driver missing
            raise LedgerError(TEXT["ledger.cannot_open"].format(path=describe(self.url), error=exc)) from exc

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _engine(self) -> Engine:
        if self.is_sqlite:
            path = self.url.database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, json_serializer=dumps, json_deserializer=loads,
                                   connect_args={"timeout": self.timeout, "check_same_thread": False})
            event.listen(engine, "connect", _sqlite_connect)
            event.listen(engine, "begin", _sqlite_begin)
            return engine
        if self.read_only:
            engine = create_engine(self.url, json_serializer=dumps, json_deserializer=loads,
                                   connect_args={"connect_timeout": max(1, int(self.timeout))},
                                   isolation_level="REPEATABLE READ", execution_options={"postgresql_readonly": True})
        else:
            engine = create_engine(self.url, json_serializer=dumps, json_deserializer=loads,
                                   connect_args={"connect_timeout": max(1, int(self.timeout))})
        _ping_when_idle(engine)
        return engine

    def close(self) -> None:
        self.engine.dispose()

    # --- writing ---
    @contextlib.contextmanager
    def atomic(self) -> Iterator[Connection]:
        """All or nothing. Outermost: a transaction that takes the write lock at once (SQLite: BEGIN
        IMMEDIATE, waiting up to `timeout` for another writer); inside another block: a SAVEPOINT."""
        if self._conn is not None:
            if not self._writing:
                raise RuntimeError("atomic() inside snapshot(): a read snapshot cannot write")
            with self._conn.begin_nested():
                yield self._conn
            return
        conn = self._connect(immediate=True)
        try:
            trans = self._begin(conn)
            self._conn, self._writing = conn, True
            try:
                yield conn
            except DBAPIError as exc:
                with contextlib.suppress(SQLAlchemyError):  # a lost connection has rolled back already
                    trans.rollback()
                raise self._failure(exc) from exc
            except BaseException:
                with contextlib.suppress(SQLAlchemyError):
                    trans.rollback()
                raise
            else:
                try:
                    trans.commit()
                except DBAPIError as exc:
                    raise self._failure(exc) from exc
        finally:
            self._conn, self._writing = None, False
            conn.close()

    @property
    def conn(self) -> Connection:
        """The connection of the open atomic() block: commands run only inside one."""
        if self._conn is None or not self._writing:
            raise RuntimeError("store commands run inside store.atomic()")
        return self._conn

    # --- reading ---
    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """Many reads from one consistent state (no lock taken; writers go on)."""
        if self._conn is not None:
            yield self._conn
            return
        conn = self._connect(immediate=False)
        try:
            conn.begin()
            self._conn = conn
            yield conn
        except DBAPIError as exc:
            self._raise_if_lost(exc)
            raise
        finally:
            self._conn = None
            with contextlib.suppress(SQLAlchemyError):
                conn.rollback()
            conn.close()

    @contextlib.contextmanager
    def _one_read(self) -> Iterator[Connection]:
        """The connection for one read statement: the open block's, or (PostgreSQL, outside one) a connection in
        autocommit, where the statement is its own snapshot and needs no BEGIN and ROLLBACK round trips around it
        (the city's read-only ledgers keep their READ ONLY transaction); SQLite: a snapshot of its own."""
        if self._conn is not None or self.is_sqlite or self.read_only:
            with self.snapshot() as conn:
                yield conn
            return
        conn = self._connect(immediate=False).execution_options(isolation_level="AUTOCOMMIT")
        try:
            yield conn
        except DBAPIError as exc:
            self._raise_if_lost(exc)
            raise
        finally:
            conn.close()

    def _raise_if_lost(self, exc: DBAPIError) -> None:
        """A read that failed because the ledger is gone (connection lost, disk full): said as LedgerUnavailable;
        any other failure is the caller's to raise as it is."""
        failure = self._failure(exc)
        if isinstance(failure, LedgerUnavailable):
            raise failure from exc

    def rows(self, statement: Executable, params: Any = None) -> list[Any]:
        with self._one_read() as conn:
            return list(conn.execute(statement, params) if params is not None else conn.execute(statement))

    def first(self, statement: Executable, params: Any = None) -> Any:
        with self._one_read() as conn:
            return (conn.execute(statement, params) if params is not None else conn.execute(statement)).first()

    def scalar(self, statement: Executable, params: Any = None) -> Any:
        with self._one_read() as conn:
            return conn.execute(statement, params).scalar() if params is not None else conn.execute(statement).scalar()

    def stream(self, statement: Executable, *, batch: int = 2000) -> Iterator[Any]:
        """Rows one by one without holding them all (PostgreSQL: a server-side cursor)."""
        with self.snapshot() as conn:
            result = conn.execution_options(stream_results=True, yield_per=batch).execute(statement)
            yield from result

    # --- connections ---
    def _connect(self, *, immediate: bool) -> Connection:
        try:
            conn = self.engine.connect()
        except (OperationalError, DBAPIError, OSError) as exc:
            if self._no_room():
                raise LedgerUnavailable(TEXT["ledger.disk_full"].format(database=describe(self.url))) from exc
            raise LedgerError(TEXT["ledger.cannot_open"].format(path=describe(self.url), error=_short(exc))) from exc
        conn.info["immediate"] = immediate
        return conn

    def ensure_schema(self, *, create: bool) -> None:
        """PostgreSQL with a schema of its own: make it (`create`, for init), or say in Chinese that it is missing
        (a district's schema is made by its init, never by a pass that names a schema by mistake)."""
        if self.schema is None:
            return
        conn = self.connect_autocommit()
        try:
            if conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = :s"), {"s": self.schema}).first():
                return
            if not create:
                raise LedgerError(TEXT["ledger.no_schema"].format(schema=self.schema, database=describe(self.url)))
            quoted = conn.dialect.identifier_preparer.quote(self.schema)
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))
        except DBAPIError as exc:
            raise LedgerError(TEXT["ledger.cannot_open"].format(path=describe(self.url), error=_short(exc))) from exc
        finally:
            conn.close()

    def refresh_statistics(self, tables: Sequence[Table]) -> None:
        """PostgreSQL: ANALYZE these tables now, in the open atomic() block (SQLite plans without statistics) —
        their columns a statement may filter, join or sort on, not the JSON documents: no statement compares a
        document, and sampling them was most of the ANALYZE (members: 0.21 s → 0.08 s at 17,803 rows)."""
        if self.is_sqlite:
            return
        quote = self.conn.dialect.identifier_preparer.quote
        self.conn.execute(text("ANALYZE " + ", ".join(
            f"{quote(table.name)} ({', '.join(quote(c.name) for c in table.columns if c.name not in json_columns(table))})"
            for table in tables)))

    def checkpoint(self) -> None:
        """SQLite: copy what the write-ahead log holds into the database file now, without waiting for anyone
        (PASSIVE: what a reader still needs stays for the next time). A pass calls it while its workers write the
        returned copies, so the commit of the next village applied does not do it on the clerk's time (a village
        of 250 households writes ~1,300 pages, past SQLite's own threshold of 1,000, and its commit took 30 ms
        instead of 3). Not done now (a writer busy, a full disk): done by a later call or by WAL_PAGES.
        PostgreSQL: nothing (its server checkpoints)."""
        if not self.is_sqlite or self._conn is not None:
            return
        try:
            conn = self.engine.connect()
        except (SQLAlchemyError, OSError):
            return
        try:  # on the driver's connection: no BEGIN around it (the driver's own transaction handling is off)
            raw = conn.connection.dbapi_connection
            if raw is not None:
                raw.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except (SQLAlchemyError, sqlite3.Error):
            pass
        finally:
            conn.close()

    def connect_autocommit(self) -> Connection:
        """A connection of its own, each statement committed at once (for session-level locks)."""
        return self._connect(immediate=False).execution_options(isolation_level="AUTOCOMMIT")

    def _failure(self, exc: DBAPIError) -> LedgerError:
        """What a failed statement means for the pass: the ledger unavailable (connection lost, disk full: the
        pass stops, in Chinese), or a StoreError (this statement refused; the caller reports it)."""
        if exc.connection_invalidated:
            return LedgerUnavailable(TEXT["ledger.connection_lost"].format(database=describe(self.url)))
        if _disk_full(exc) or (isinstance(exc, OperationalError) and self._no_room()):
            return LedgerUnavailable(TEXT["ledger.disk_full"].format(database=describe(self.url)))
        return StoreError(type(exc).__name__, _short(exc))

    def _no_room(self) -> bool:
        """A SQLite ledger's disk has (almost) no space left: SQLite then says "disk I/O error" when it cannot
        even make its shared-memory file."""
        if not self.is_sqlite or not self.url.database or self.url.database == ":memory:":
            return False
        try:
            return shutil.disk_usage(Path(self.url.database).resolve().parent).free < NO_ROOM
        except OSError:
            return False

    def _begin(self, conn: Connection) -> Any:
        try:
            return conn.begin()
        except OperationalError as exc:
            conn.close()
            raise LedgerError(TEXT["ledger.busy"].format(error=_short(exc))) from exc


def _disk_full(exc: DBAPIError) -> bool:
    """SQLite's SQLITE_FULL / PostgreSQL's disk_full (53100): no room left for the ledger."""
    orig = exc.orig
    if getattr(orig, "sqlite_errorname", None) == "SQLITE_FULL" or getattr(orig, "sqlstate", None) == "53100":
        return True
    return "disk is full" in str(orig) or "No space left on device" in str(orig)


def _short(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig or exc).strip().splitlines()[0] if str(orig or exc).strip() else type(exc).__name__


def _ping_when_idle(engine: Engine) -> None:
    """PostgreSQL: a pooled connection idle for PING_IDLE seconds or more is pinged as it is taken from the pool, and
    replaced if the server has dropped it (a restart, a network cut between passes). A connection handed back a
    moment ago is not: a pass takes one for each short read, and a ping each time (SQLAlchemy's pool_pre_ping) was
    a round trip more for every read. A connection lost within those seconds fails its statement instead: the pass
    stops as for any connection lost mid-pass, and every pooled connection is replaced (SQLAlchemy invalidates the
    pool on a disconnect)."""
    dialect = engine.dialect

    def returned(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def taken(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < PING_IDLE:
            return
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as exc:
            if dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError(str(exc)) from exc  # the pool connects afresh
            raise

    event.listen(engine, "checkin", returned)
    event.listen(engine, "checkout", taken)


def _sqlite_connect(dbapi_conn: Any, _record: Any) -> None:
    # The driver's own transaction handling is off: the store says BEGIN itself (SQLAlchemy's recipe for
    # SAVEPOINT on pysqlite), which also lets a writer take the lock at BEGIN (IMMEDIATE) instead of failing
    # half way through when a second writer holds it.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA wal_autocheckpoint={WAL_PAGES}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.info.get("immediate") else "BEGIN")
