"""The package's source parsed once per test worker (issue 23): a dozen tests read every module's syntax tree (the
imports, the messages, the guards of POSIX-only calls, ...) and each used to parse all of them again, ~0.7 s each.
The trees and their walks are shared: read them, never change them."""

from __future__ import annotations

import ast
import functools
from pathlib import Path


@functools.cache
def tree(path: Path) -> ast.Module:
    """The module at `path`, parsed (its file name in the tree, as ast.parse(..., filename) gives it)."""
    return ast.parse(Path(path).read_text(encoding="utf-8"), filename=str(path))


@functools.cache
def nodes(path: Path) -> tuple[ast.AST, ...]:
    """Every node of the module at `path`, in ast.walk's order."""
    return tuple(ast.walk(tree(path)))
