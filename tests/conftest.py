import contextlib
import json
import os
import secrets
import shutil
import sqlite3
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from factory import AS_OF, SHARED_TOWNS, workspace_on  # noqa: E402
from file_order import pytest_xdist_make_scheduler  # noqa: E402,F401 - README's --dist loadfile: longest files first

from excel_bridge.config import Config, load_config  # noqa: E402
from excel_bridge.ledger_tokens import SECRET_KEY  # noqa: E402
from excel_bridge.pipeline import Processor  # noqa: E402
from excel_bridge.workspace import Workspace  # noqa: E402

# the odd real-world spreadsheets: the shared corpus beside the checkout where it is (it may grow), else the
# copy committed under tests/corpus (MIT-licensed test data of calamine and python-calamine, see its README)
_SHARED_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CORPUS = _SHARED_CORPUS if _SHARED_CORPUS.is_dir() else Path(__file__).parent / "corpus"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session", autouse=True)
def _in_an_empty_folder(tmp_path_factory) -> Iterator[None]:
    """Every test (and every CLI run it starts without a folder of its own) runs in an empty folder: a command looks
    for the district's workspace in and beside the folder it runs in, and a checkout where README's first command
    ran holds one (demo-district/)."""
    here = os.getcwd()
    os.chdir(tmp_path_factory.mktemp("cwd"))
    yield
    os.chdir(here)


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


# --- the ledger's backends -------------------------------------------------------------------------
# Modules marked `pytestmark = pytest.mark.backends` run every test that uses `ws` or `store` on SQLite and on
# PostgreSQL. EB_TEST_POSTGRES is a database URL (.ci/run sets it and starts the server); each test gets a
# schema of its own. Without it the PostgreSQL half is skipped; with it, a server that cannot be reached fails.
# Modules marked `pytest.mark.backends_full` ran on both too, until issue 23: their PostgreSQL half ran no
# statement, with no type of bound value, that the `backends` modules' halves do not also run on PostgreSQL
# (`python bench/pg_statements.py` compares the two runs). They run on SQLite; EB_TEST_BACKENDS=all runs them on
# both again.
POSTGRES = os.environ.get("EB_TEST_POSTGRES", "")
EVERY_BACKEND = os.environ.get("EB_TEST_BACKENDS", "") == "all"


def pytest_configure(config):
    config.addinivalue_line("markers", "backends: run the module's ledger tests on SQLite and on PostgreSQL")
    config.addinivalue_line("markers", "all_towns: `ws` has all nine towns of 曲江区, not only 马坝镇 and 大塘镇")
    config.addinivalue_line("markers", "backends_full: run the module's ledger tests on SQLite, and on PostgreSQL "
                                       "as well when EB_TEST_BACKENDS=all")
    # the config cache (excel_bridge/config_cache.py) of this run, and of the CLI runs it starts: not the home's
    _CACHE.append(tempfile.mkdtemp(prefix="eb-test-cache-"))
    os.environ["XDG_CACHE_HOME"] = _CACHE[-1]
    if sys.dont_write_bytecode and "PYTEST_XDIST_WORKER" not in os.environ:
        _compile_package()


def _compile_package() -> None:
    """Where PYTHONDONTWRITEBYTECODE is set, every interpreter the tests start (the CLI runs, their workers, the
    runner's workers: several hundred) would compile the package from source again, 0.2 s of CPU each. Compiled once
    here instead, into its __pycache__ folders (as pip does on install; an unchanged module is not written again);
    an interpreter reads them whatever the variable says."""
    import compileall

    import excel_bridge

    compileall.compile_dir(Path(excel_bridge.__file__).parent, quiet=1)


@pytest.hookimpl(wrapper=True)
def pytest_collection(session):
    """Where PYTHONDONTWRITEBYTECODE is set, pytest rewrites the asserts of every test module again in every session
    and every xdist worker (~4 s of each worker's collection): it reads its cached rewrite from __pycache__ whatever
    the variable says, but writes it only where bytecode may be written. While the modules are collected, it may."""
    kept = sys.dont_write_bytecode
    sys.dont_write_bytecode = False
    try:
        return (yield)
    finally:
        sys.dont_write_bytecode = kept


_CACHE: list[str] = []


def pytest_unconfigure(config):
    for engine in _ADMIN:
        engine.dispose()
    for folder in _CACHE:
        shutil.rmtree(folder, ignore_errors=True)


# Issue 23, per test: the PostgreSQL halves listed in postgres_halves.json (bench/pg_statements.py --choose) reach
# nothing on PostgreSQL that the halves still run do not; they run with EB_TEST_BACKENDS=all.
FULL_ONLY = frozenset(json.loads((Path(__file__).with_name("postgres_halves.json")).read_text(encoding="utf-8"))
                      ["full_only"])


def pytest_terminal_summary(terminalreporter):
    if POSTGRES and not EVERY_BACKEND:  # (xdist does not count a worker's deselected tests in its summary)
        terminalreporter.write_line(f"PostgreSQL halves run only with EB_TEST_BACKENDS=all: the modules marked "
                                    f"backends_full, and the {len(FULL_ONLY)} tests of tests/postgres_halves.json")


# The longest test modules, longest first (seconds of one serial run, issue 23's census): pytest-xdist hands the
# modules (--dist loadfile) to its workers in collection order, and in alphabetical order the longest came last
# (test_trust_passes, test_watch, test_workflow), one worker finishing them while the other had nothing left. First,
# the workers end together. Only the order changes: a module missing here runs after them, as before.
LONGEST_FIRST = ("test_trust_passes.py", "test_feedback.py", "test_workflow.py", "test_printing.py",
                 "test_imports.py", "test_departments_town.py", "test_provincial.py", "test_watch.py",
                 "test_approvals.py", "test_decision_trust.py", "test_messages_shown.py", "test_monitoring.py")


def _module_rank(item) -> int:
    name = item.nodeid.split("::", 1)[0].rsplit("/", 1)[-1]
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(config, items):
    items.sort(key=_module_rank)  # (stable: a module's tests keep their order, the other modules theirs)
    if EVERY_BACKEND:
        return
    kept = [item for item in items if item.nodeid not in FULL_ONLY]
    if len(kept) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if item.nodeid in FULL_ONLY])
        items[:] = kept


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("backends") is not None or (
            EVERY_BACKEND and metafunc.definition.get_closest_marker("backends_full") is not None)
        metafunc.parametrize("backend", ["sqlite", "postgresql"] if both else ["sqlite"], indirect=True)


_ADMIN: list[Any] = []  # the session's one engine on EB_TEST_POSTGRES for the fixtures' own statements


def admin_engine() -> Any:
    """One engine (one pooled connection) per session for making, filling and dropping the tests' schemas: a new
    engine and connection for each was ~10 ms of the worker and a password check of the server per test (issue 23)."""
    if not _ADMIN:
        from sqlalchemy import create_engine

        _ADMIN.append(create_engine(POSTGRES, pool_size=1, pool_pre_ping=True))
    return _ADMIN[0]


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """The URL of a new, empty schema in EB_TEST_POSTGRES's database, dropped afterwards. Its name is random
    (48 bits), so tests running at once (pytest-xdist workers, other checkouts on one server) never share one."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = admin_engine()
    try:
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:  # noqa: BLE001 - configured but unreachable: a failure, never a skip
        pytest.fail(f"EB_TEST_POSTGRES is set but the server cannot be used: {exc}")
    url = make_url(POSTGRES).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


class Server:
    """A PostgreSQL server shared by several districts (issue 24): `name()` gives a fresh schema name, dropped (with
    whatever the test made in it) at the end, like each role made with `role()`."""

    def __init__(self, url: str) -> None:
        from sqlalchemy import create_engine

        self.url = url
        self.engine = create_engine(url)
        self.schemas: list[str] = []
        self.roles: list[str] = []

    def name(self, prefix: str = "d") -> str:
        self.schemas.append(f"{prefix}_{uuid.uuid4().hex[:10]}")
        return self.schemas[-1]

    def role(self) -> str:
        self.roles.append(f"r_{uuid.uuid4().hex[:10]}")
        return self.roles[-1]

    def close(self) -> None:
        from sqlalchemy import text

        with self.engine.begin() as conn:
            for schema in self.schemas:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            for role in self.roles:
                if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                    # PostgreSQL 15 does not make a role's creator its member, and DROP OWNED BY needs it
                    conn.execute(text(f"GRANT {role} TO CURRENT_USER"))
                    conn.execute(text(f"DROP OWNED BY {role}"))
                    conn.execute(text(f"DROP ROLE {role}"))
        self.engine.dispose()


@pytest.fixture
def server():
    """The PostgreSQL server of EB_TEST_POSTGRES for tests of several districts on one server (skipped without it)."""
    if not POSTGRES:
        pytest.skip("PostgreSQL: set EB_TEST_POSTGRES to a database URL to run this test")
    shared = Server(POSTGRES)
    try:
        yield shared
    finally:
        shared.close()


@pytest.fixture
def backend(request):
    """None for SQLite (the workspace's own file), or the URL of a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield None
        return
    if not POSTGRES:
        pytest.skip("PostgreSQL: set EB_TEST_POSTGRES to a database URL to run this half")
    with postgres_schema() as url:
        yield url


# --- fresh workspaces and ledgers: built once, copied per test ----------------------------------------
# Building a ledger runs every schema revision (Alembic); copying a built one is far cheaper. A copy gets a
# token secret of its own, as a ledger built anew would.

# The tests' district is 曲江区 with two of its towns (马坝镇 and 大塘镇, SHARED_TOWNS): a district job writes
# every town's workbook, and seven empty towns were a third of the CPU of a small workspace's first job (issue
# 23). A test marked `all_towns` gets all nine (DistrictSettings()'s defaults, as the demo and `init` know them).
@pytest.fixture(scope="session")
def pristine_workspace(tmp_path_factory) -> Path:
    """A workspace as `Workspace.init` leaves it with the defaults and two towns (its ledger on SQLite), made once
    per session (per xdist worker). Never changed: `ws` and `store` copy it."""
    return workspace_on(tmp_path_factory.mktemp("pristine") / "ws", None, towns=SHARED_TOWNS).root


@pytest.fixture(scope="session")
def pristine_nine_towns(tmp_path_factory) -> Path:
    """The same with all nine towns of 曲江区: what `ws` copies for a test marked `all_towns`."""
    return workspace_on(tmp_path_factory.mktemp("pristine9") / "ws", None).root


def fresh_secret(ledger: Path) -> None:
    """Give a copied SQLite ledger a token secret of its own (a copy would otherwise accept its original's tokens)."""
    with contextlib.closing(sqlite3.connect(ledger)) as conn, conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = ?", (secrets.token_hex(16), SECRET_KEY))


def copy_workspace(source: Path, root: Path) -> Workspace:
    """A copy of a workspace at root (its files written now, as init writes them), its SQLite ledger given a
    secret of its own."""
    shutil.copytree(source, root, copy_function=shutil.copy)
    ws = Workspace.open(root)
    if ws.ledger_path.exists():
        fresh_secret(ws.ledger_path)
    return ws


Recipe = list[tuple[str, dict[str, Any] | None]]


@pytest.fixture(scope="session")
def postgres_recipe() -> Recipe:
    """Every statement that builds a ledger in an empty PostgreSQL schema (all the revisions, as Store.open runs
    them), recorded once per session from a real build. `ws` and `store` replay it in one round trip instead of
    ~90, without Alembic's bookkeeping; what it builds is what Store.open builds (tests/test_migrations.py runs
    the revisions themselves)."""
    from sqlalchemy import event

    from excel_bridge.store.db import Database
    from excel_bridge.store.migrations import migrate

    recipe: Recipe = []

    def record(_conn, _cursor, statement, parameters, _context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT"):  # reads (and the migration lock): nothing built
            return
        for params in (parameters if executemany else [parameters]):
            recipe.append((statement, dict(params) if params else None))

    with postgres_schema() as url:
        db = Database(url)
        event.listen(db.engine, "before_cursor_execute", record)
        try:
            migrate(db)
        finally:
            db.close()
    return recipe


def build_postgres_ledger(url: str, recipe: Recipe) -> None:
    """Replay the recipe into the schema of url, in one transaction, with a token secret of its own (a schema
    not empty — `ws` and `store` in one test — is left to Store.open, as before)."""
    import psycopg
    from sqlalchemy.engine import make_url

    def own(params: dict[str, Any]) -> dict[str, Any]:
        return {**params, "value": secrets.token_hex(16)} if params.get("key") == SECRET_KEY else params

    schema = make_url(url).query["options"].removeprefix("-csearch_path=")
    with admin_engine().begin() as conn:
        conn.exec_driver_sql(f"SET LOCAL search_path TO {schema}")  # (this transaction only: the engine is shared)
        if conn.exec_driver_sql("SELECT count(*) FROM information_schema.tables "
                                "WHERE table_schema = current_schema()").scalar():
            return
        raw = conn.connection.dbapi_connection
        quoting = psycopg.ClientCursor(raw)
        script = ";\n".join(quoting.mogrify(sql, own(params)) if params else sql for sql, params in recipe)
        raw.cursor().execute(script)  # no parameters: several statements in one round trip


@pytest.fixture
def ws(request, tmp_path, backend, pristine_workspace) -> Workspace:
    """A fresh district workspace (the defaults of `excel-bridge init`: 曲江区, with 马坝镇 and 大塘镇 only unless the
    test is marked `all_towns`), its ledger on the test's backend."""
    nine = request.node.get_closest_marker("all_towns") is not None
    if backend is None:
        return copy_workspace(request.getfixturevalue("pristine_nine_towns") if nine else pristine_workspace,
                              tmp_path / "ws")
    build_postgres_ledger(backend, request.getfixturevalue("postgres_recipe"))
    return workspace_on(tmp_path / "ws", backend, **({} if nine else {"towns": SHARED_TOWNS}))


@pytest.fixture
def store(request, tmp_path, backend, pristine_workspace):
    """A fresh ledger on the test's backend."""
    from excel_bridge.store import Store

    target: str | Path | None = backend
    if target is None:
        target = tmp_path / "ledger.sqlite"
        shutil.copy(Workspace(pristine_workspace).ledger_path, target)
        fresh_secret(target)
    else:
        build_postgres_ledger(target, request.getfixturevalue("postgres_recipe"))
    with Store.open(target) as opened:
        yield opened


@pytest.fixture(scope="session")
def runner():
    """One worker (and one background writer) for the whole session: a pass does not pay for starting them."""
    from excel_bridge.runner import Runner

    shared = Runner(1)
    yield shared
    shared.close()


@pytest.fixture
def proc(ws, runner):
    """A processor on that workspace, dated AS_OF, on the session's worker."""
    with Processor(ws, as_of=AS_OF, runner=runner) as processor:
        yield processor


@pytest.fixture(scope="session")
def lo_profile(tmp_path_factory) -> Path:
    """The LibreOffice user profile of this session (of this xdist worker): its slow first start paid once, never
    the user's own profile, and never another worker's (a second soffice on a profile in use hands its job to
    the first, which may belong to another worker). Pass it to xlsx_helpers.soffice_convert."""
    return tmp_path_factory.mktemp("lo-profile")


def soffice_available() -> bool:
    return shutil.which("soffice") is not None


needs_soffice = pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) not installed")
