"""Reading the district's YAML files (settings, schemas, rules) and saying in Chinese what is wrong with
one: which file, which line, which entry. The C loader of PyYAML is used where it is installed (it
reads the bundled schemas and rules about ten times faster than the pure-Python one). PyYAML is imported
when a file is read: a Config read back from the cache (config_cache.py) needs none of it."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .messages import TEXT

if TYPE_CHECKING:
    from pydantic import ValidationError


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# pydantic error types → what a district clerk reads
_PROBLEMS = {
    "missing": "缺少此项",
    "extra_forbidden": "不认识此项（名字写错了？）", "unexpected_keyword_argument": "不认识此项（名字写错了？）",
    "int_parsing": "应填整数", "int_type": "应填整数", "int_from_float": "应填整数",
    "float_parsing": "应填数字", "float_type": "应填数字", "decimal_parsing": "应填数字", "decimal_type": "应填数字",
    "bool_parsing": "应填 true 或 false", "bool_type": "应填 true 或 false",
    "string_type": "应填文字", "list_type": "应是清单（每行以“- ”开头）", "dict_type": "应是“名字: 值”的形式",
    "dataclass_type": "应是“名字: 值”的形式", "model_type": "应是“名字: 值”的形式",
    "literal_error": "不是允许的值", "greater_than_equal": "数值太小", "less_than_equal": "数值太大",
    "greater_than": "数值太小", "less_than": "数值太大",
    "union_tag_invalid": "不是认识的种类（kind 写错了？）", "union_tag_not_found": "缺少 kind（规则种类）",
    "too_short": "至少要有一项", "string_too_short": "不能为空",
}


def read_yaml(path: Path, what: str) -> Any:
    """The file's content; ConfigError naming the file (and the line) if it is missing or malformed.
    what: 设置/配置/规则, as the message calls the file."""
    import yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(TEXT["config.missing"].format(what=what, path=path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(TEXT["config.encoding"].format(what=what, path=path)) from exc
    try:
        return yaml.load(text, Loader=_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = TEXT["config.where"].format(line=mark.line + 1, column=mark.column + 1) if mark else ""
        raise ConfigError(TEXT["config.syntax"].format(what=what, path=path, where=where)) from exc


def _problem(err: Any) -> str:
    """One pydantic error in Chinese: our own validators already speak it, the rest through _PROBLEMS."""
    if err["type"] == "value_error" and "error" in err.get("ctx", {}):
        return str(err["ctx"]["error"])
    return _PROBLEMS.get(err["type"], err["msg"])


def invalid(path: Path | str, what: str, exc: ValidationError, *, source: str | None = None,
            hidden: frozenset[str] = frozenset()) -> ConfigError:
    """A ConfigError listing each wrong entry of a file that parsed but does not say what it must.
    With the file's text as `source`, each entry also names its line; `hidden` are path parts that are
    not keys of the file (the tags pydantic adds for a `kind:` union)."""
    parts = []
    for err in exc.errors()[:5]:
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p in hidden)]
        place = ".".join(str(p) for p in loc) or "（整个文件）"
        line = _line_of(source, loc) if source is not None else None
        entry = TEXT["config.entry"].format(place=place, problem=_problem(err))
        parts.append(entry if line is None else entry + TEXT["config.line"].format(line=line))
    more = len(exc.errors()) - len(parts)
    text = "；".join(parts) + (TEXT["config.more"].format(n=more) if more > 0 else "")
    return ConfigError(TEXT["config.invalid"].format(what=what, path=path, problems=text))


def _line_of(source: str, loc: Sequence[object]) -> int | None:
    """The 1-based line of the deepest node of `loc` present in the YAML text (a missing key: its parent's)."""
    import yaml

    try:
        node = yaml.compose(source, Loader=_loader())
    except yaml.YAMLError:
        return None
    line = None if node is None else node.start_mark.line + 1
    for part in loc:
        child = None
        if isinstance(node, yaml.MappingNode):
            child = next((v for k, v in node.value if k.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line
