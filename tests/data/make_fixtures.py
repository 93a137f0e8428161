"""How the committed fixtures in tests/data were made (run once; the outputs are committed).

    /tmp/venv/bin/python tests/data/make_fixtures.py

1. village_small.xlsx is written by the project's own template writer (tests/factory.py: write) from
   factory.small_village_rows(): two households, four members, one measure, one review, and ONE
   deliberate mistake (家庭成员 row 3: 黄丽's 性别 is 男 but her ID number says 女 → SEX_MISMATCH).
2. LibreOffice converts that file, unchanged, to the two other formats:
       soffice --headless --convert-to xls --outdir tests/data tests/data/village_small.xlsx
       soffice --headless --convert-to ods --outdir tests/data tests/data/village_small.xlsx
3. merged_town.ods / merged_town.xls: factory.merged_town() (three households whose 镇/村 cells are
   merged vertically, B2:B4 and C2:C4) written with openpyxl to a temporary merged_town.xlsx and
   converted the same way.

A private -env:UserInstallation profile is used so a LibreOffice already running is not disturbed.
tests/test_formats.py checks that the three village_small files give the same issues and households.
Re-running regenerates all of them together; never regenerate only one of the village_small files.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from factory import merged_town, small_village_rows, write, write_plain  # noqa: E402

from excel_bridge.config import load_config  # noqa: E402


def convert(soffice: str, profile: Path, src: Path, fmt: str) -> None:
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", fmt,
                    "--outdir", str(HERE), str(src)], check=True, timeout=180, stdout=subprocess.DEVNULL)


def main() -> None:
    soffice = shutil.which("soffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed to make the .xls/.ods fixtures")
    config = load_config()
    src = write(HERE / "village_small.xlsx", config, small_village_rows())
    with tempfile.TemporaryDirectory(prefix="eb-fixtures-") as tmp:
        profile = Path(tmp) / "lo-profile"
        for fmt in ("xls", "ods"):
            convert(soffice, profile, src, fmt)
        sheets, merges = merged_town(config)
        merged = write_plain(Path(tmp) / "merged_town.xlsx", sheets, merges=merges)
        for fmt in ("xls", "ods"):
            convert(soffice, profile, merged, fmt)
    for name in ("village_small.xlsx", "village_small.xls", "village_small.ods", "merged_town.xls", "merged_town.ods"):
        print(name, (HERE / name).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
