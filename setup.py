"""Build hook: ship the editable top-level schemas/ and rules/ inside the wheel as package data.

The repository keeps schemas/ and rules/ at the top level (the design card's layout) so a district
edits them without touching code; an installed wheel still needs them, so they are copied into
excel_bridge/_data/ at build time only.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).parent
        for name in ("schemas", "rules"):
            src = root / name
            if src.is_dir():
                dst = Path(self.build_lib) / "excel_bridge" / "_data" / name
                if dst.exists():
                    shutil.rmtree(dst)
                shutil.copytree(src, dst)


setup(cmdclass={"build_py": BuildWithData})
