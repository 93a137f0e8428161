import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from excel_bridge.config import Config, load_config  # noqa: E402
from excel_bridge.process import Processor  # noqa: E402
from excel_bridge.workspace import Workspace  # noqa: E402
from factory import AS_OF  # noqa: E402

# the odd real-world spreadsheets: the shared corpus beside the checkout where it is (it may grow), else the
# copy committed under tests/corpus (MIT-licensed test data of calamine and python-calamine, see its README)
_SHARED_CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
CORPUS = _SHARED_CORPUS if _SHARED_CORPUS.is_dir() else Path(__file__).parent / "corpus"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


@pytest.fixture
def ws(tmp_path) -> Workspace:
    """A fresh 曲江区 workspace (Workspace.init without settings; `excel-bridge init` writes the district's own)."""
    return Workspace.init(tmp_path / "ws")


@pytest.fixture
def proc(ws):
    """A processor on that workspace, dated AS_OF, one worker."""
    with Processor(ws, as_of=AS_OF, workers=1) as processor:
        yield processor


def soffice_available() -> bool:
    return shutil.which("soffice") is not None


needs_soffice = pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) not installed")
