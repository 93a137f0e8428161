"""Everything a run is configured by: schemas, rules and district settings, found in one place."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .config_cache import remembered
from .errors import ConfigError
from .messages import TEXT
from .ruleset import RuleSet, load_rules
from .schema import Schemas, load_schemas
from .settings import DistrictSettings


@dataclass(frozen=True)
class Config:
    schemas: Schemas
    rules: RuleSet
    settings: DistrictSettings


def bundled_dir(name: str) -> Path:
    """schemas/ or rules/ shipped with the program: the source checkout's, else the wheel's copy."""
    package = Path(__file__).resolve().parent
    for candidate in (package.parent / name, package / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise ConfigError(TEXT["config.bundled_missing"].format(name=name))


def load_config(*, schemas_dir: Path | None = None, rules_dir: Path | None = None,
                settings: DistrictSettings | None = None) -> Config:
    """The schemas and rules of these folders (the bundled ones by default) with `settings` (曲江区's by
    default); without `settings`, read back from the cache when made from the same files before."""
    schemas_dir, rules_dir = schemas_dir or bundled_dir("schemas"), rules_dir or bundled_dir("rules")
    if settings is not None:
        return Config(schemas=load_schemas(schemas_dir), rules=load_rules(rules_dir), settings=settings)
    return remembered([schemas_dir, rules_dir], [], lambda: Config(
        schemas=load_schemas(schemas_dir), rules=load_rules(rules_dir), settings=DistrictSettings()), Config)
