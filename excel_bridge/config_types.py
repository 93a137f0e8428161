"""How the district's settings, schemas and rules are declared and checked: plain dataclasses (frozen where the
pydantic models they replace were) that pydantic validates when a YAML file is read, and that a run uses without
pydantic loaded.

The classes are standard `dataclasses` (keyword-only, `STRICT`: an unknown key is an error); their field
constraints are `dataclasses.field(metadata={"ge": 0, "alias": "R-INCOME", ...})`, which pydantic reads as
`Field(...)` arguments, and a field's own check is `Annotated[T, Before(fn)]` or `Annotated[T, After(fn)]`.
`validated(cls, raw)` builds pydantic's validator for a class on first use (`read_as`: a misfit said as the
ConfigError naming the file). A run whose Config comes from the
cache (config_cache.py) imports none of pydantic: some 90 ms of every `check` on a clerk's PC
(bench/check_village.py), and of every worker a Windows PC spawns."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pydantic import TypeAdapter

T = TypeVar("T")

# a misspelt key in a district's YAML is an error naming it, never a silently ignored setting
STRICT: dict[str, Any] = {"extra": "forbid"}
_adapters: dict[type, TypeAdapter[Any]] = {}


class _FieldCheck:
    """A field's own check, run by pydantic (`Annotated[T, Before(fn)]`): fn raises ValueError or pydantic's
    PydanticCustomError with the Chinese text, and the error names the field."""

    mode = "after"

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self.fn = fn

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        if self.mode == "before":
            return core_schema.no_info_before_validator_function(self.fn, handler(source))
        return core_schema.no_info_after_validator_function(self.fn, handler(source))


class Before(_FieldCheck):
    """fn(raw value) → the value to validate (a YAML number where text is meant, say)."""

    mode = "before"


class After(_FieldCheck):
    """fn(validated value) → the value kept."""


def validated(cls: type[T], raw: Any) -> T:
    """`raw` (what a YAML file says) checked and converted into a `cls`; pydantic's ValidationError when it
    does not fit, which config_files.invalid says in Chinese."""
    adapter = _adapters.get(cls)
    if adapter is None:
        from pydantic import TypeAdapter

        adapter = _adapters[cls] = TypeAdapter(cls)
    return adapter.validate_python(raw)


def read_as(cls: type[T], raw: Any, path: Path | str, what: str) -> T:
    """validated(), a misfit said as the ConfigError naming the file (`what`: 设置/配置/规则, as messages call it)."""
    from pydantic import ValidationError

    from .config_files import invalid

    try:
        return validated(cls, raw)
    except ValidationError as exc:
        raise invalid(path, what, exc) from exc


def field_names(obj: Any) -> list[str]:
    """A dataclass's fields, in declaration order (a base class's first)."""
    return [f.name for f in dataclasses.fields(obj)]


def key_of(f: dataclasses.Field[Any]) -> str:
    """What a field is called in the YAML file: its alias, else its name."""
    return str(f.metadata.get("alias", f.name))


def as_yaml_dict(obj: Any) -> dict[str, Any]:
    """A dataclass's fields by the names its YAML file uses, values copied as plain dicts and lists."""
    values = dataclasses.asdict(obj)
    return {key_of(f): values[f.name] for f in dataclasses.fields(obj)}
