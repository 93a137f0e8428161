"""argparse in Chinese: its own words (用法, 选项, every error) from messages.ARGPARSE.

argparse looks each of its words up through the module-level gettext functions `_` and `ngettext` at the
moment it needs it, by its msgid. Swapping those two while the command line is built and parsed
translates every line argparse writes without copying any of its logic, and leaves nothing changed
afterwards. A word argparse adds in a later Python shows in English until ARGPARSE has it; the tests list
argparse's msgids of the running Python and fail on one that is missing.
"""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Iterator

from .messages import ARGPARSE
from .writers.common import display_width


class _Shown(str):
    """An option as printed (`--workspace 工作目录`) whose len() is the columns it takes on a terminal."""

    def __len__(self) -> int:
        return display_width(self)


def _gettext(message: str) -> str:
    # as _Shown, "用法：" is as long as it is wide: usage's continuation lines indent under the program name
    return _Shown(ARGPARSE[message]) if message in ARGPARSE else message


def _ngettext(singular: str, plural: str, n: int) -> str:
    return _gettext(singular if n == 1 else plural)


@contextlib.contextmanager
def chinese() -> Iterator[None]:
    """argparse speaks Chinese inside this block (build the parser and parse in it)."""
    saved = {name: getattr(argparse, name) for name in ("_", "ngettext") if hasattr(argparse, name)}
    argparse._ = _gettext  # type: ignore[attr-defined]
    argparse.ngettext = _ngettext  # type: ignore[attr-defined]
    try:
        yield
    finally:
        for name in ("_", "ngettext"):
            if name in saved:
                setattr(argparse, name, saved[name])
            else:
                delattr(argparse, name)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help laid out by how wide text shows: a Chinese character takes two columns of a terminal, so
    argparse's character counts would misalign the option column and print lines twice the window's width."""

    def _format_usage(self, usage, actions, groups, prefix) -> str:
        """argparse's usage, wrapped again by display width (its own wrap counts 用法 and 工作目录 as
        narrow): options first, then the positional arguments on their own lines, as argparse does."""
        text = super()._format_usage(usage, actions, groups, prefix)
        try:
            # argparse's gettext alias, which chinese() replaces (typeshed does not declare it, as above)
            usage_word = argparse._("usage: ")  # type: ignore[attr-defined]
            head = f"{prefix if prefix is not None else usage_word}{self._prog}"
            room = self._width - self._current_indent
        except AttributeError:  # a Python whose formatter keeps these elsewhere: its own wrapping stands
            return text
        flat = " ".join(text.split())
        if not flat.startswith(head) or display_width(flat) <= room:
            return text
        parts = re.findall(r"\(.*?\)+(?=\s|$)|\[.*?\]+(?=\s|$)|\S+", flat[len(head):])
        options = [p for p in parts if p.startswith(("-", "[-", "(-"))]
        positionals = [p for p in parts if p not in options]
        indent = " " * display_width(head + " ")
        lines: list[str] = []
        for group in (options, positionals):
            line = ""
            for part in group:
                if line and display_width(indent + line + " " + part) > room:
                    lines.append(line)
                    line = part
                else:
                    line = f"{line} {part}" if line else part
            if line:
                lines.append(line)
        return head + " " + ("\n" + indent).join(lines) + "\n\n"

    def _format_action_invocation(self, action: argparse.Action) -> str:
        return _Shown(super()._format_action_invocation(action))

    def _format_action(self, action: argparse.Action) -> str:
        text = super()._format_action(action)
        header = str(self._format_action_invocation(action))
        extra = display_width(header) - len(header)  # argparse padded by characters; take back what shows twice
        start = text.find(header + " ")
        if extra and start >= 0:
            end = start + len(header)
            spaces = len(text[end:]) - len(text[end:].lstrip(" "))
            if spaces - extra >= 2:
                text = text[:end] + text[end + extra:]
        return text

    def _split_lines(self, text: str, width: int) -> list[str]:
        lines: list[str] = []
        line = ""
        # a run of Latin letters, digits and signs stays whole (--workspace, 2021-12-31); CJK breaks anywhere
        # but before closing punctuation, which stays at the end of its line
        for token in re.findall(r"[!-~]+[）。，；：、”]*|\s+|.[）。，；：、”]*", " ".join(text.split())):
            if line and display_width(line + token) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
            else:
                line += token
        if line.strip():
            lines.append(line.rstrip())
        return lines
