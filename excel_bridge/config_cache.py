"""The checked configuration kept between runs, so that a `check` on a clerk's PC does not validate the same
schemas, rules and settings again each time.

Validating them is cheap; what costs is loading pydantic and building a validator for each of some thirty
classes (about 0.1 s of a `check`'s 0.4 s, bench/check_village.py). The classes are plain dataclasses that
pydantic only validates (config_types.py), so a Config read back from this cache is used without loading
pydantic at all.

An entry is named by a digest of everything the Config is made of: the names and bytes of every YAML file of
the folders it reads (and of the settings file), the code of the classes (its files' size and time), the Python
version (and pydantic's, for a kind still made of pydantic models); not where the files are, which nothing kept
depends on (a copy of the same settings elsewhere is the same entry). An edited file or a new version of the
program is a new name, so an entry is never stale; entries are a few tens of kilobytes, the newest KEPT of them
kept. Anything wrong with the cache (no folder, no right to write, a damaged or half-written entry) only means
building the Config as before: the cache never changes what a run sees, nor stops one. An entry is written atomically (a temporary file
renamed), so a run never reads another's half-written entry."""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

FORMAT = b"excel_bridge config cache 2"  # 2: plain dataclasses, no pydantic models
# the modules whose classes a cached Config is made of: a change to one is a change of every entry's name
MODEL_MODULES = ("config.py", "ruleset.py", "schema.py", "settings.py", "config_cache.py", "config_types.py",
                 "departments/config.py")
PYDANTIC_KINDS = ("DepartmentsConfig",)  # kinds still made of pydantic models (the rest: config_types.py)
KEPT = 32  # entries kept: a PC checks with one or two workspaces' settings; a test run makes hundreds


def cache_dir() -> Path | None:
    """Where entries live: %LOCALAPPDATA%\\excel_bridge\\cache on Windows, else $XDG_CACHE_HOME/excel_bridge
    (~/.cache/excel_bridge); None when there is no such place."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "excel_bridge" / "cache" if base else None
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "excel_bridge"
    try:
        return Path.home() / ".cache" / "excel_bridge"
    except RuntimeError:  # no home directory
        return None


def entry_name(folders: Sequence[Path], files: Sequence[Path], kind: str = "Config") -> str | None:
    """The digest naming the entry of a `kind` (a Config, a workspace's DistrictSettings, a DepartmentsConfig) made
    from the YAML files of `folders` and from `files`; None when one of them cannot be read (then the loaders say
    what is wrong, uncached)."""
    digest = hashlib.sha256(FORMAT)
    digest.update(f"{sys.version}\0kind\0{kind}\0".encode())
    if kind in PYDANTIC_KINDS:  # their pickles are pydantic's own
        import pydantic

        digest.update(f"{pydantic.VERSION}\0".encode())
    package = Path(__file__).resolve().parent
    try:
        for name in MODEL_MODULES:
            st = (package / name).stat()
            digest.update(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
        for n, folder in enumerate(folders):  # what the files say, not where they are: the same settings in
            digest.update(f"folder\0{n}\0".encode())  # another workspace (or a test's) are the same entry
            for path in sorted(Path(folder).glob("*.yaml")):
                digest.update(f"{path.name}\0".encode() + path.read_bytes() + b"\0")
        for n, path in enumerate(files):
            digest.update(f"file\0{n}\0{Path(path).name}\0".encode() + Path(path).read_bytes() + b"\0")
    except OSError:
        return None
    return digest.hexdigest()[:40]


def remembered(folders: Sequence[Path], files: Sequence[Path], build: Callable[[], T], kind: type[T]) -> T:
    """build(), or the object it built before from the same files (read back from the cache). What build()
    raises (a ConfigError naming the file) is raised as always: only what it returns is kept."""
    where = cache_dir()
    name = entry_name(folders, files, kind.__name__) if where is not None else None
    if where is None or name is None:
        return build()
    path = where / f"config-{name}.pickle"
    try:
        with path.open("rb") as fh:
            value = pickle.load(fh)
        if isinstance(value, kind):
            return value
    except Exception:  # noqa: BLE001 - no entry yet, or a damaged one: built again and written anew
        pass
    value = build()
    _keep(path, value)
    return value


def _keep(path: Path, value: object) -> None:
    """Write one entry atomically, then forget the oldest beyond KEPT; a cache that cannot be written is no
    cache, never an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(path.parent)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass


def _prune(folder: Path) -> None:
    """Only the KEPT most recently written entries stay (each edit of a file, each workspace adds one)."""
    entries = []
    for entry in folder.glob("config-*.pickle"):
        try:
            entries.append((entry.stat().st_mtime_ns, entry))
        except OSError:  # removed meanwhile by another run
            continue
    for _, entry in sorted(entries, reverse=True)[KEPT:]:
        entry.unlink(missing_ok=True)
