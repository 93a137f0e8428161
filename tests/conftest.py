import os
import shutil
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from factory import AS_OF, workspace_on  # noqa: E402

from excel_bridge.config import Config, load_config  # noqa: E402
from excel_bridge.pipeline import Processor  # noqa: E402
from excel_bridge.workspace import Workspace  # noqa: E402

# the odd real-world spreadsheets: the shared corpus beside the checkout where it is (it may grow), else the
# copy committed under tests/corpus (MIT-licensed test data of calamine and python-calamine, see its README)
_SHARED_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CORPUS = _SHARED_CORPUS if _SHARED_CORPUS.is_dir() else Path(__file__).parent / "corpus"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


# --- the ledger's backends -------------------------------------------------------------------------
# Modules marked `pytestmark = pytest.mark.backends` run every test that uses `ws` or `store` on SQLite and on
# PostgreSQL. EB_TEST_POSTGRES is a database URL (.ci/run sets it and starts the server); each test gets a
# schema of its own. Without it the PostgreSQL half is skipped; with it, a server that cannot be reached fails.
POSTGRES = os.environ.get("EB_TEST_POSTGRES", "")


def pytest_configure(config):
    config.addinivalue_line("markers", "backends: run the module's ledger tests on SQLite and on PostgreSQL")


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("backends") is not None
        metafunc.parametrize("backend", ["sqlite", "postgresql"] if both else ["sqlite"], indirect=True)


@pytest.fixture
def backend(request):
    """None for SQLite (the workspace's own file), or the URL of a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield None
        return
    if not POSTGRES:
        pytest.skip("PostgreSQL: set EB_TEST_POSTGRES to a database URL to run this half")
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = create_engine(POSTGRES)
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
        engine.dispose()


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
def ws(tmp_path, backend) -> Workspace:
    """A fresh district workspace (the defaults of `excel-bridge init`), its ledger on the test's backend."""
    return workspace_on(tmp_path / "ws", backend)


@pytest.fixture
def store(tmp_path, backend):
    """A fresh ledger on the test's backend."""
    from excel_bridge.store import Store

    with Store.open(backend or tmp_path / "ledger.sqlite") as opened:
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


def soffice_available() -> bool:
    return shutil.which("soffice") is not None


needs_soffice = pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) not installed")
