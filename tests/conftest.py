import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from excel_bridge.config import Config, load_config  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config()


def soffice_available() -> bool:
    return shutil.which("soffice") is not None


needs_soffice = pytest.mark.skipif(not soffice_available(), reason="LibreOffice (soffice) not installed")
