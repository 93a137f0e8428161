"""The shape of the command line: commands, options, their Chinese help, and argument types whose errors
read as argparse's "选项：原因"."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path

from . import __version__
from .argparse_zh import HelpFormatter
from .messages import TEXT


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(TEXT["cli.date_format"].format(text=text)) from exc


def _count(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(TEXT["cli.not_integer"].format(text=text)) from exc


def _seconds(text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(TEXT["cli.not_number"].format(text=text)) from exc


def _code(text: str) -> str:
    text = text.strip()
    if not (len(text) == 6 and text.isdigit()):
        raise argparse.ArgumentTypeError(TEXT["cli.code_format"].format(text=text))
    return text


def build_parser(commands: Mapping[str, Callable[[argparse.Namespace], int]]) -> argparse.ArgumentParser:
    """The command line, each command calling its function in `commands`; build and use it inside
    argparse_zh.chinese() so argparse's own words are Chinese."""
    H = {k.removeprefix("help."): v for k, v in TEXT.items() if k.startswith("help.")}
    parser = argparse.ArgumentParser(prog="excel-bridge", description=H["description"], epilog=H["epilog"],
                                     formatter_class=HelpFormatter)
    parser.add_argument("--version", action="version", version=f"excel-bridge {__version__}", help=H["version"])
    parser.add_argument("-v", "--verbose", action="store_true", help=H["verbose"])
    sub = parser.add_subparsers(dest="command", metavar=H["command_metavar"], required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=H[name], description=H[name], formatter_class=HelpFormatter)
        # also after the command (`excel-bridge process 南雄市 -v`); SUPPRESS keeps the one given before it
        p.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=H["verbose"])
        p.set_defaults(func=func, parser=p)  # the command's own parser says what it did not recognise
        return p

    def config_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--workspace", metavar=H["m.workspace"], help=H["config.workspace"])
        p.add_argument("--schemas", type=Path, metavar=H["m.folder"], help=H["config.schemas"])
        p.add_argument("--rules", type=Path, metavar=H["m.folder"], help=H["config.rules"])

    p = add("check", commands["check"])
    p.add_argument("file", metavar=H["m.file"], help=H["check.file"])
    p.add_argument("--json", action="store_true", help=H["check.json"])
    p.add_argument("--out", nargs="?", const="", default=None, metavar=H["m.out"], help=H["check.out"])
    p.add_argument("--as-of", type=_date, default=None, metavar=H["m.date"], help=H["as_of"])
    config_options(p)

    p = add("template", commands["template"])
    p.add_argument("out", metavar=H["m.out_file"], help=H["template.out"])
    p.add_argument("--town", metavar=H["m.town"], help=H["template.town"])
    p.add_argument("--village", metavar=H["m.village"], help=H["template.village"])
    p.add_argument("--force", action="store_true", help=H["template.force"])
    config_options(p)

    p = add("init", commands["init"])
    p.add_argument("dir", metavar=H["m.district"], help=H["init.dir"])
    p.add_argument("--name", default=None, metavar=H["m.district"], help=H["init.name"])
    p.add_argument("--code", type=_code, default=None, metavar=H["m.code"], help=H["init.code"])
    p.add_argument("--from", dest="source", default=None, metavar=H["m.settings"], help=H["init.from"])

    for name in ("process", "watch"):
        p = add(name, commands[name])
        p.add_argument("dir", nargs="?", default=".", metavar=H["m.workspace"], help=H["dir"])
        p.add_argument("--as-of", type=_date, default=None, metavar=H["m.date"], help=H["as_of"])
        p.add_argument("--workers", type=_count, default=None, metavar=H["m.count"], help=H["workers"])
        p.add_argument("--database", default=None, metavar=H["m.database"], help=H["database"])
        if name == "process":
            p.add_argument("--wait", type=_seconds, default=None, metavar=H["m.seconds"], help=H["process.wait"])
            p.add_argument("--refresh", action="store_true", help=H["process.refresh"])
        else:
            p.add_argument("--poll", action="store_true", help=H["watch.poll"])

    p = add("history", commands["history"])
    p.add_argument("id", metavar=H["m.household"], help=H["history.id"])
    p.add_argument("--workspace", default=".", metavar=H["m.workspace"], help=H["dir"])
    p.add_argument("--database", default=None, metavar=H["m.database"], help=H["database"])

    p = add("export", commands["export"])
    p.add_argument("department", metavar=H["m.department"], help=H["export.department"])
    p.add_argument("--since", type=_date, default=None, metavar=H["m.date"], help=H["export.since"])
    p.add_argument("--town", default=None, metavar=H["m.town"], help=H["export.town"])
    p.add_argument("--workspace", default=".", metavar=H["m.workspace"], help=H["dir"])
    p.add_argument("--out", default=None, metavar=H["m.out_file"], help=H["export.out"])
    p.add_argument("--as-of", type=_date, default=None, metavar=H["m.date"], help=H["export.as_of"])
    p.add_argument("--database", default=None, metavar=H["m.database"], help=H["database"])

    p = add("import", commands["import"])
    p.add_argument("file", metavar=H["m.file"], help=H["import.file"])
    p.add_argument("--workspace", default=".", metavar=H["m.workspace"], help=H["dir"])
    p.add_argument("--database", default=None, metavar=H["m.database"], help=H["database"])
    p.add_argument("--as-of", type=_date, default=None, metavar=H["m.date"], help=H["as_of"])

    p = add("report", commands["report"])
    p.add_argument("dir", nargs="?", default=".", metavar=H["m.workspace"], help=H["dir"])
    p.add_argument("--month", default=None, metavar=H["m.month"], help=H["report.month"])
    p.add_argument("--as-of", type=_date, default=None, metavar=H["m.date"], help=H["report.as_of"])
    p.add_argument("--database", default=None, metavar=H["m.database"], help=H["database"])

    p = add("round", commands["round"])
    p.add_argument("dir", metavar=H["m.workspace"], help=H["round.dir"])
    p.add_argument("year", type=_count, metavar=H["m.year"], help=H["round.year"])
    p.add_argument("--until", type=_date, default=None, metavar=H["m.date"], help=H["round.until"])
    p.add_argument("--database", default=None, metavar=H["m.database"], help=H["database"])
    p = add("city", commands["city"])
    p.add_argument("settings", type=Path, metavar=H["m.settings"], help=H["city.settings"])
    p.add_argument("--month", default=None, metavar=H["m.month"], help=H["city.month"])
    p.add_argument("--as-of", type=_date, default=None, metavar=H["m.date"], help=H["report.as_of"])

    p = add("rules-page", commands["rules-page"])
    p.add_argument("dir", nargs="?", default=".", metavar=H["m.workspace"], help=H["dir"])
    p.add_argument("--rules", type=Path, default=None, metavar=H["m.folder"], help=H["rules_page.rules"])

    p = add("demo", commands["demo"])
    p.add_argument("dir", nargs="?", default="demo-district", metavar=H["m.folder"], help=H["demo.dir"])
    p.add_argument("--villages", type=_count, default=3, metavar=H["m.count"], help=H["demo.villages"])
    p.add_argument("--households", type=_count, default=40, metavar=H["m.count"], help=H["demo.households"])
    p.add_argument("--mistakes", type=_count, default=3, metavar=H["m.count"], help=H["demo.mistakes"])
    p.add_argument("--seed", type=_count, default=2021, metavar=H["m.count"], help=H["demo.seed"])
    p.add_argument("--workers", type=_count, default=None, metavar=H["m.count"], help=H["workers"])
    return parser
