"""The workspace's configuration, kept by each process (the main one and every worker) and reloaded when the
district edits its settings, schemas or rules while the watcher runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..config import Config
from ..workspace import Workspace

_CACHE: dict[str, tuple[Any, Config]] = {}


def workspace_config(root: str) -> Config:
    """The configuration of the workspace at root, reloaded whenever one of its YAML files changes."""
    ws = Workspace(Path(root))
    files = [ws.settings_path, *sorted((ws.root / "schemas").glob("*.yaml")), *sorted((ws.root / "rules").glob("*.yaml"))]
    signature = tuple((str(f), f.stat().st_mtime_ns) for f in files if f.exists())
    cached = _CACHE.get(root)
    if cached is None or cached[0] != signature:
        cached = (signature, ws.config())
        _CACHE[root] = cached
    return cached[1]
