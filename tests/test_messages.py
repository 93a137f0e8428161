"""The one catalogue of Chinese text (excel_bridge/messages.py), read as code (issue 18, item 12): no key is
defined twice (a second definition silently replaces the first), every key the package looks up exists, and
every `{name}` a template has is passed where it is formatted. Best effort over the package's ast; the few
lookups whose key is computed are listed below, each with where it is and why it is safe."""

from __future__ import annotations

import ast
import functools
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest
import source_trees

import excel_bridge
from excel_bridge.messages import CATALOGUE, TEXT

PACKAGE = Path(excel_bridge.__file__).resolve().parent
MESSAGES = PACKAGE / "messages.py"
ISSUE_CODE = re.compile(r"^(?:[A-Z][A-Z0-9]*_[A-Z0-9_]+|[A-Z]-[A-Z0-9-]+)$")
# calls whose first argument is an issue code of CATALOGUE
CODE_CALLS = {"make_issue", "render", "severity_of", "add", "_fail", "fail", "UnreadableFile", "IdProblem",
              "IdProblemAt"}
# calls that fill an issue's template, and the fields they always pass besides their keywords
FILLED_BY = {"make_issue": {"sheet", "row", "column", "value"}, "add": {"sheet", "row", "column", "value"},
             "render": set(), "_fail": set(), "fail": set()}
# TEXT keys computed at run time: (module, why it is safe); the test checks each family exists
DYNAMIC_TEXT = {
    "cli.py": "log.<LEVEL> for the log's level word (TEXT.get falls back to logging's own), and "
              "watch.error / watch.config_error chosen by the error's kind",
    "messages.py": "status_word(): status.<status>; every status the package records is checked below",
    "writers/template.py": "template.<reason> chosen among written keys (checked below)",
    "writers/department_master.py": "dept.basis.<basis> with TEXT.get (the basis itself when absent)",
    "departments/config.py": "dept.config_risk_type / dept.config_guarantee chosen by the field checked (TERM_FIELDS)",
}


@functools.cache
def _paths() -> list[Path]:
    """Every module of the package (source_trees parses each once for the whole run)."""
    return sorted(PACKAGE.rglob("*.py"))


def _constants(node: ast.AST) -> list[str] | None:
    """The string(s) an expression can be: a constant, or either side of `"a" if c else "b"`; None otherwise."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _constants(node.body), _constants(node.orelse)
        return body + orelse if body is not None and orelse is not None else None
    return None


def _fields(template: str) -> set[str]:
    """The names a str.format template uses ({name}, {name:…}, {name.attr}); "" for a positional {}."""
    out = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            out.add(re.split(r"[.\[]", name, maxsplit=1)[0])
    return out


def _call_name(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


# --- no key twice ---------------------------------------------------------------------------------------

def test_no_key_is_defined_twice_in_the_catalogue():
    twice = []
    for node in source_trees.nodes(MESSAGES):
        if isinstance(node, ast.Dict):
            seen: dict[str, int] = {}
            for key in node.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    if key.value in seen:
                        twice.append((key.value, seen[key.value], key.lineno))
                    seen[key.value] = key.lineno
    assert twice == []


def test_a_wrong_town_note_names_the_towns():
    """process.other_town was defined twice: a wrong-town note read "这是文件中的户属于{towns}…的镇级核查表"."""
    assert TEXT["process.other_town"].startswith("文件中的户属于{towns}")
    assert TEXT["process.review_elsewhere"].format(town=TEXT["process.review_other_town"], folder="马坝镇") == \
        "这是另一个镇的镇级核查表，放在马坝镇的文件夹中不会生效"


# --- every key used exists -------------------------------------------------------------------------------

def _text_lookups() -> Iterator[tuple[str, int, list[str] | None]]:
    """(module, line, keys) of every TEXT[…] and TEXT.get(…); keys None where computed."""
    for path in _paths():
        rel = path.relative_to(PACKAGE).as_posix()
        for node in source_trees.nodes(path):
            if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id == "TEXT":
                yield rel, node.lineno, _constants(node.slice)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get"
                  and isinstance(node.func.value, ast.Name) and node.func.value.id == "TEXT" and node.args):
                yield rel, node.lineno, _constants(node.args[0])


def test_every_text_key_used_in_the_package_exists():
    used = list(_text_lookups())
    assert len(used) > 300  # the walk sees the package's lookups
    missing = [(m, line, k) for m, line, keys in used if keys for k in keys if k not in TEXT]
    assert missing == []
    computed = sorted({m for m, _, keys in used if keys is None})
    assert computed == sorted(DYNAMIC_TEXT), "a TEXT key computed at run time: add it to DYNAMIC_TEXT, say why"


def test_every_issue_code_used_in_the_package_exists():
    used = []
    for path in _paths():
        rel = path.relative_to(PACKAGE).as_posix()
        for node in source_trees.nodes(path):
            if isinstance(node, ast.Call) and _call_name(node) in CODE_CALLS and node.args:
                codes = _constants(node.args[0]) or []
                used += [(rel, node.lineno, c) for c in codes if ISSUE_CODE.match(c)]
            elif isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute) and node.left.attr == "code":
                for right in node.comparators:
                    values = right.elts if isinstance(right, (ast.Tuple, ast.Set, ast.List)) else [right]
                    used += [(rel, node.lineno, c) for v in values for c in (_constants(v) or [])
                             if ISSUE_CODE.match(c)]
    assert len(used) > 80
    assert [u for u in used if u[2] not in CATALOGUE] == []


def test_every_status_the_package_records_has_its_word():
    """status_word(f"status.{status}") falls back to the raw word: "refused" showed in English."""
    statuses = set()
    for path in _paths():
        for node in source_trees.nodes(path):
            if isinstance(node, ast.Call):
                for kw in node.keywords:
                    if kw.arg == "status":
                        statuses.update(_constants(kw.value) or [])
                if _call_name(node) == "FileOutcome" and len(node.args) >= 3:
                    statuses.update(_constants(node.args[2]) or [])
    assert {"applied", "duplicate", "refused", "unreadable", "failed", "decisions"} <= statuses
    statuses -= {"", "open"}  # department warnings' own states (shown through their own words)
    assert sorted(s for s in statuses if f"status.{s}" not in TEXT and f"status.dept_{s}" not in TEXT) == []


def test_the_template_writers_computed_keys_exist():
    src = (PACKAGE / "writers" / "template.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'"(template\.[a-z_]+)"', src))
    assert keys and keys <= set(TEXT)


# --- every placeholder filled ------------------------------------------------------------------------------

@functools.cache
def _format_calls() -> tuple[tuple[str, int, str, set[str], int, bool], ...]:
    """(module, line, key, keywords passed, positional count, **spread) of every TEXT["k"].format(…), found once for
    the file (a test per log template looks for its key among them)."""
    return tuple(_found_format_calls())


def _found_format_calls() -> Iterator[tuple[str, int, str, set[str], int, bool]]:
    for path in _paths():
        rel = path.relative_to(PACKAGE).as_posix()
        for node in source_trees.nodes(path):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "format"):
                continue
            target = node.func.value
            if not (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
                    and target.value.id == "TEXT"):
                continue
            spread = any(kw.arg is None for kw in node.keywords)
            for key in _constants(target.slice) or []:
                yield rel, node.lineno, key, {kw.arg for kw in node.keywords if kw.arg}, len(node.args), spread


def test_every_text_template_gets_every_field_it_names():
    calls = list(_format_calls())
    assert len(calls) > 200
    unfilled = []
    for module, line, key, given, positional, spread in calls:
        if spread or key not in TEXT:
            continue  # **fields: checked where built; a missing key fails the test above
        named = {f for f in _fields(TEXT[key]) if f and not f.isdigit()}
        if named - given or ("" in _fields(TEXT[key]) and positional == 0):
            unfilled.append((module, line, key, sorted(named - given)))
    assert unfilled == []


def test_every_issue_template_gets_every_field_it_names():
    unfilled = []
    for path in _paths():
        rel = path.relative_to(PACKAGE).as_posix()
        for node in source_trees.nodes(path):
            name = _call_name(node) if isinstance(node, ast.Call) else None
            if name not in FILLED_BY or not node.args or any(kw.arg is None for kw in node.keywords):
                continue
            given = FILLED_BY[name] | {kw.arg for kw in node.keywords if kw.arg}
            if name == "render" and len(node.args) > 1:
                continue
            for code in _constants(node.args[0]) or []:
                if code in CATALOGUE:
                    entry = CATALOGUE[code]
                    missing = (_fields(entry.text) | _fields(entry.hint)) - given
                    if missing:
                        unfilled.append((rel, node.lineno, code, sorted(missing)))
    assert unfilled == []


@pytest.mark.parametrize("key", sorted(k for k in TEXT if k.startswith(("process.log.", "cli.log.", "watch.log."))))
def test_log_lines_are_percent_style_with_their_arguments(key):
    """Log templates are logging's %-style: given to log.x(TEXT[k], *args), never .format()ted."""
    calls = [(m, line) for m, line, k, *_ in _format_calls() if k == key]
    assert calls == []
    assert "{" not in TEXT[key]


def test_log_calls_pass_as_many_arguments_as_the_template_takes():
    wrong = []
    for path in _paths():
        rel = path.relative_to(PACKAGE).as_posix()
        for node in source_trees.nodes(path):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("debug", "info", "warning", "error", "exception") and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Subscript) and isinstance(first.value, ast.Name) and first.value.id == "TEXT":
                for key in _constants(first.slice) or []:
                    wanted = len(re.findall(r"%[-#0 +]*\d*(?:\.\d+)?[sdrfgx]", TEXT[key]))
                    if wanted != len(node.args) - 1:
                        wrong.append((rel, node.lineno, key, wanted, len(node.args) - 1))
    assert wrong == []

