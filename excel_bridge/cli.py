"""The command line: parse, call one library function, print, map errors to exit codes. Nothing else."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import BridgeError
from .messages import SEVERITY_WORD, TEXT

EXIT_CONFIG = 3
SUMMARY_ISSUES = 20


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期格式应为 2021-08-11：{text}") from exc


def _config(args: argparse.Namespace):
    from .config import load_config
    from .workspace import Workspace

    if getattr(args, "workspace", None):
        return Workspace.open(Path(args.workspace)).config()
    return load_config(schemas_dir=getattr(args, "schemas", None), rules_dir=getattr(args, "rules", None))


def cmd_check(args: argparse.Namespace) -> int:
    from .check import check_file
    from .writers.feedback import default_output, write_returned_copy

    config = _config(args)
    result = check_file(Path(args.file), config, as_of=args.as_of)
    placed = None
    if args.out is not None and result.parsed is not None:
        out = Path(args.out) if args.out != "" else default_output(Path(args.file))
        placed = write_returned_copy(result, out, config)
    if args.json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, default=str) + "\n")
        return result.exit_code
    name = Path(args.file).name
    if not result.readable:
        issue = result.issues[0]
        print(TEXT["check.unreadable"].format(file=name, message=issue.message, hint=issue.hint))
        return result.exit_code
    parsed = result.parsed
    counts = dict(file=name, households=len(parsed.households), members=len(parsed.members),
                  errors=result.errors, warnings=result.warnings)
    print(TEXT["check.errors" if result.errors else "check.ok"].format(**counts))
    shown = sorted(result.issues, key=lambda i: (i.severity != "error", i.sheet or "", i.row or 0))
    for issue in shown[:SUMMARY_ISSUES]:
        where = "".join(x for x in (issue.sheet or "", f" 第{issue.row}行" if issue.row else "",
                                    f"“{issue.column}”" if issue.column else ""))
        print(f"  [{SEVERITY_WORD[issue.severity]}] {where}：{issue.message}")
    if len(shown) > SUMMARY_ISSUES:
        print(TEXT["check.more"].format(n=len(shown) - SUMMARY_ISSUES))
    print(TEXT["check.proposed"].format(n=sum(1 for a in result.assessments if a and a.proposed)))
    if placed is not None:
        print(TEXT["check.out"].format(path=placed.path))
    return result.exit_code


def cmd_template(args: argparse.Namespace) -> int:
    from .writers.template import write_village_workbook

    config = _config(args)
    path = write_village_workbook(Path(args.out), config, town=args.town, village=args.village)
    print(TEXT["template.written"].format(path=path))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="excel-bridge", description="防止返贫动态监测和帮扶：Excel/WPS 台账的校验、研判、汇总与审批")
    parser.add_argument("--version", action="version", version=f"excel-bridge {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="显示详细日志")
    sub = parser.add_subparsers(dest="command", required=True)

    def config_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--workspace", type=Path, help="使用某个区级工作目录中的设置、表结构和规则")
        p.add_argument("--schemas", type=Path, help="表结构目录（默认用程序自带的 schemas/）")
        p.add_argument("--rules", type=Path, help="规则目录（默认用程序自带的 rules/）")

    p = sub.add_parser("check", help="校验一个村级台账并给出研判结果")
    p.add_argument("file", help="村级台账文件（xlsx/xls/ods/xlsb/et）")
    p.add_argument("--json", action="store_true", help="以 JSON 输出（一个对象）")
    p.add_argument("--out", nargs="?", const="", default=None,
                   help="写出反馈文件（不写文件名时为“原文件名_反馈.xlsx”）")
    p.add_argument("--as-of", type=_date, default=None, help="按哪一天研判（默认今天），如 2021-12-31")
    config_options(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("template", help="生成空白的村级台账模板")
    p.add_argument("out", help="输出文件，如 村级监测台账模板.xlsx")
    p.add_argument("--town", help="镇名（写入模板的隐藏信息）")
    p.add_argument("--village", help="村名")
    config_options(p)
    p.set_defaults(func=cmd_template)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    try:
        return int(args.func(args) or 0)
    except BridgeError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
