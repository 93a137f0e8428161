"""What a workbook's writer asks of XlsxWriter, digested (SHA-256): two builds that ask the same things in the same
order make the same workbook. A town's 镇级核查表 is rebuilt after every pass; its writer first runs against a
`Digest` with no workbook behind it (the ledger read, no XML made, nothing zipped) and the workbook is written
only when the digest differs from the one of the file in place.

Every call on the workbook, its sheets and charts goes into the digest with its arguments; a format stands for
itself by the order it was made in (its properties went in when it was made). A value the digest cannot tell
apart from another (an object shown by its address) is refused, never guessed.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from collections.abc import Callable
from typing import Any

import xlsxwriter
from xlsxwriter.chart import Chart
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

_PLAIN = (str, int, float, bool, type(None), dt.date, dt.datetime, dt.time, decimal.Decimal)
_PLAIN_TYPES = frozenset(_PLAIN)  # exactly these (a subclass may show itself otherwise): compared as they are
_BATCH = 5_000  # calls digested at once
_TAKING_OURS = frozenset({"insert_chart", "set_chart", "combine"})  # methods given a sheet or chart of ours


class Digest:
    """A stand-in for an XlsxWriter workbook (`workbook`) that digests every call and passes it on to `target`
    (None: a dry run, nothing written)."""

    def __init__(self, target: Workbook | None = None) -> None:
        self._hash = hashlib.sha256(f"xlsxwriter {xlsxwriter.__version__}\n".encode())
        self._calls: list[tuple] = []  # digested a batch at a time (one repr of many calls)
        self._ids: dict[int, str] = {}  # id() of a format, sheet or chart handed out → what it stands for here
        self._made: list[object] = []  # keeps them alive, so an id() is never reused during the build
        self.workbook: Any = _Workbook(self, target)  # stands in for an xlsxwriter Workbook

    def hexdigest(self) -> str:
        self._flush()
        return self._hash.hexdigest()

    def note(self, name: str, args: tuple, kwargs: dict[str, Any]) -> None:
        ids = self._ids
        self._calls.append((name, [a if type(a) in _PLAIN_TYPES else ids.get(id(a)) or self._canon(a) for a in args],
                            sorted((k, self._canon(v)) for k, v in kwargs.items()) if kwargs else None))
        if len(self._calls) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._calls:
            self._hash.update(repr(self._calls).encode())
            self._calls.clear()

    def handed_out(self, thing: object, kind: str) -> str:
        token = f"<{kind} {len(self._made)}>"
        self._ids[id(thing)] = token
        self._made.append(thing)
        return token

    def _canon(self, value: Any) -> Any:
        if isinstance(value, _PLAIN):
            return value
        token = self._ids.get(id(value))
        if token is not None:
            return token
        if isinstance(value, (list, tuple)):
            return tuple(self._canon(v) for v in value)
        if isinstance(value, dict):
            return tuple(sorted((str(k), self._canon(v)) for k, v in value.items()))
        raise TypeError(f"a workbook call's argument the digest cannot compare: {type(value).__name__}")


class _Proxy:
    """Calls on one XlsxWriter object (of class `kind`), digested, then made on `target` when there is one."""

    _kind: type = object

    def __init__(self, digest: Digest, target: Any) -> None:
        self._digest = digest
        self._target = target
        self._token = digest.handed_out(self, self._kind.__name__)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        if not callable(getattr(self._kind, name, None)) or name.startswith("_"):
            raise AttributeError(f"{self._kind.__name__}.{name}: not a public method, not digested")
        note, what = self._digest.note, f"{self._token}.{name}"
        method = getattr(self._target, name) if self._target is not None else None
        if method is None:
            def call(*args: Any, **kwargs: Any) -> Any:
                note(what, args, kwargs)
                return 0
        elif name in _TAKING_OURS:
            def call(*args: Any, **kwargs: Any) -> Any:
                note(what, args, kwargs)
                return method(*(_unwrapped(a) for a in args), **{k: _unwrapped(v) for k, v in kwargs.items()})
        else:  # a cell, a column, a format: nothing of ours to hand over (the common case, kept short)
            def call(*args: Any, **kwargs: Any) -> Any:
                note(what, args, kwargs)
                return method(*args, **kwargs)

        setattr(self, name, call)  # found directly from now on
        return call


class _Workbook(_Proxy):
    _kind = Workbook

    def add_format(self, properties: dict[str, Any] | None = None) -> Any:
        self._digest.note("add_format", (properties or {},), {})
        made = self._target.add_format(properties) if self._target is not None else object()
        self._digest.handed_out(made, "Format")
        return made

    def add_worksheet(self, name: str | None = None) -> _Sheet:
        self._digest.note("add_worksheet", (name,), {})
        return _Sheet(self._digest, self._target.add_worksheet(name) if self._target is not None else None)

    def add_chart(self, options: dict[str, Any]) -> _Chart:
        self._digest.note("add_chart", (options,), {})
        return _Chart(self._digest, self._target.add_chart(options) if self._target is not None else None)


class _Sheet(_Proxy):
    _kind = Worksheet


class _Chart(_Proxy):
    _kind = Chart


def _unwrapped(value: Any) -> Any:
    """An argument as XlsxWriter takes it: a sheet or chart of ours is its own target (in lists and options too)."""
    if type(value) in _PLAIN_TYPES:
        return value
    if isinstance(value, _Proxy):
        return value._target
    if isinstance(value, list):
        return [_unwrapped(v) for v in value]
    if isinstance(value, dict):
        return {k: _unwrapped(v) for k, v in value.items()}
    return value
