"""Which configured department a measure's 责任单位 is (plan 五(一)(二): each measure has a responsible unit;
七(二): departments see their measures). Clerks type the unit as they know it — 区医保局, 医保局, 曲江区医疗保障局,
马坝镇人社所 —, so a unit is matched, after its width and white space are normalised and a leading district or
town name (曲江区, 马坝镇) or a bare 区/县/市/镇 is taken off, against each department's key (医保), its title
(区医疗保障局, also without its 区), its folder_aliases (医保局, 区医保局 …) and its unit_aliases (the names of its
town offices: 人社所, 民政办 …) in rules/departments.yaml. A unit matching none (村委会, 帮扶企业) is no
department's: it is shown as typed and counted under its own name."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ..normalize import norm_header
from .config import Department

PLACE_PREFIXES = ("区", "县", "市", "镇")


def unit_key(unit: object) -> str:
    """A 责任单位 as compared: half-width, no white space."""
    return norm_header(unit)


class UnitMap:
    """责任单位 → department key (None: no configured department's)."""

    def __init__(self, departments: Mapping[str, Department], places: Iterable[str] = ()) -> None:
        self.names: dict[str, str] = {}
        for key, dept in departments.items():
            for name in (key, dept.title, *dept.folder_aliases, *dept.unit_aliases):
                for variant in self._variants(unit_key(name)):
                    self.names.setdefault(variant, key)
        # longest first: 曲江区 before 区
        self.prefixes = sorted({unit_key(p) for p in places if p} | set(PLACE_PREFIXES), key=len, reverse=True)
        self._seen: dict[str, str | None] = {}

    @staticmethod
    def _variants(name: str) -> list[str]:
        out = [name]
        for prefix in PLACE_PREFIXES:
            if name.startswith(prefix) and len(name) > len(prefix) + 1:
                out.append(name[len(prefix):])
        return out

    def department_of(self, unit: object) -> str | None:
        key = unit_key(unit)
        if key not in self._seen:
            self._seen[key] = self._match(key)
        return self._seen[key]

    def _match(self, key: str) -> str | None:
        if not key:
            return None
        if key in self.names:
            return self.names[key]
        for prefix in self.prefixes:  # place names off the front: 曲江区医保局, 马坝镇人社所, 曲江区马坝镇人社所
            if key.startswith(prefix) and len(key) > len(prefix):
                found = self._match(key[len(prefix):])
                if found is not None:
                    return found
        return None

    def units_of(self, department: str) -> set[str]:
        """The normalised names that are this department's (to say what was matched)."""
        return {name for name, key in self.names.items() if key == department}
