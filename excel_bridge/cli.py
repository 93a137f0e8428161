"""The command line: parse, call one library function, print, map errors to exit codes. Nothing else."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import BridgeError
from .messages import SEVERITY_WORD, TEXT, status_word

EXIT_CONFIG = 3
SUMMARY_ISSUES = 20


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(TEXT["cli.date_format"].format(text=text)) from exc


def _config(args: argparse.Namespace):
    from .config import load_config
    from .workspace import Workspace

    if getattr(args, "workspace", None):
        return Workspace.open(Path(args.workspace)).config()
    return load_config(schemas_dir=getattr(args, "schemas", None), rules_dir=getattr(args, "rules", None))


def cmd_check(args: argparse.Namespace) -> int:
    from .check import isolated_check

    config = _config(args)
    result = isolated_check(Path(args.file), config, as_of=args.as_of)
    placed = None
    if args.out is not None and result.parsed is not None:
        from .returned import default_output, write_returned_copy  # openpyxl only when writing

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
        where = "".join(x for x in (issue.sheet or "",
                                    TEXT["cli.issue_row"].format(row=issue.row) if issue.row else "",
                                    TEXT["cli.issue_column"].format(column=issue.column) if issue.column else ""))
        print(TEXT["cli.issue"].format(severity=SEVERITY_WORD[issue.severity], where=where, message=issue.message))
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


def cmd_init(args: argparse.Namespace) -> int:
    from .workspace import Workspace

    ws = Workspace.init(Path(args.dir))
    print(TEXT["init.done"].format(path=ws.root.resolve(), settings=ws.settings_path.name))
    return 0


class _Progress:
    """A one-line progress bar on a terminal (stderr); silent when output is redirected."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int, name: str) -> None:
        if not self.enabled or total <= 0:
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {name[:40]:<40}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _print_report(report, ws) -> None:
    for f in report.files:
        print(TEXT["pass.file"].format(town=f.town, name=f.name, status=status_word(f.status),
                                       message=f.message))
    if report.waiting:
        print(TEXT["pass.waiting"].format(n=report.waiting))
    locked = [o for o in report.outputs if o.locked]
    for o in locked:
        print(TEXT["pass.locked"].format(path=o.path))
    if report.files:
        print(TEXT["pass.summary"].format(n=len(report.files), seconds=report.seconds, master=ws.master_path))


def cmd_process(args: argparse.Namespace) -> int:
    from .process import Processor
    from .workspace import Workspace

    ws = Workspace.open(Path(args.dir))
    wait = args.wait if args.wait is not None else ws.settings().poll_seconds
    with Processor(ws, as_of=args.as_of, workers=args.workers) as processor:
        report = processor.run_pass(wait=wait, progress=_Progress(), force_outputs=args.refresh)
    _print_report(report, ws)
    if not report.files:
        print(TEXT["pass.nothing"])
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    import signal

    from .process import Processor
    from .watch import Watcher
    from .workspace import Workspace

    ws = Workspace.open(Path(args.dir))
    with Processor(ws, as_of=args.as_of, workers=args.workers) as processor:
        watcher = Watcher(ws, processor, poll=args.poll, on_report=lambda r: _print_report(r, ws),
                          on_error=lambda e: print(TEXT["watch.error"].format(error=e), file=sys.stderr))
        signal.signal(signal.SIGTERM, lambda *_: watcher.stop())
        processor.runner.warm()
        print(TEXT["watch.start"].format(path=ws.inbox.resolve(), mode=TEXT["watch.poll" if args.poll else "watch.native"]))
        sys.stdout.flush()
        try:
            watcher.run()
        except KeyboardInterrupt:
            watcher.stop()
    print(TEXT["watch.stopped"])
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import build_demo
    from .process import Processor
    from .workspace import Workspace

    demo = build_demo(Path(args.dir), villages=args.villages, households=args.households, seed=args.seed,
                      mistakes=args.mistakes)
    print(TEXT["demo.built"].format(files=len(demo.files), households=demo.households, mistakes=demo.mistakes,
                                    path=demo.root.resolve()))
    ws = Workspace.open(demo.root)
    with Processor(ws, workers=args.workers) as processor:
        report = processor.run_pass(wait=0.05, progress=_Progress())
    _print_report(report, ws)
    feedback = sorted({o.path.parent for o in report.outputs if o.path.parent != ws.district_dir})
    print(TEXT["demo.where"].format(master=ws.master_path.resolve(), feedback=ws.root.resolve() / "反馈",
                                    archive=ws.archive.resolve(), n=len(feedback)))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from .history import find_stories
    from .workspace import Workspace

    ws = Workspace.open(Path(args.workspace))
    with ws.open_store() as store:
        stories = find_stories(store, args.id)
    if not stories:
        print(TEXT["history.none"].format(key=args.id))
        return 1
    for story in stories:
        print(story.title)
        for s in story.steps:
            move = f"{s.from_state or '—'} → {s.to_state}" if s.to_state else ""
            who = TEXT["cli.history_who"].format(
                level=s.level, person=TEXT["cli.history_person"].format(person=s.person) if s.person else "")
            source = TEXT["history.source"].format(sha=s.source) if s.source else ""
            print(f"  {s.at:%Y-%m-%d %H:%M:%S}  {s.event:<4} {move:<16} {who:<10} {s.comment or ''}{source}")
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

    p = sub.add_parser("init", help="建立区级工作目录（收件箱、反馈、归档、区级总台账、设置）")
    p.add_argument("dir", help="工作目录")
    p.set_defaults(func=cmd_init)

    for name, func, text in (("process", cmd_process, "处理一轮收件箱后退出（供计划任务/cron 使用）"),
                             ("watch", cmd_watch, "持续监视收件箱，文件放入后自动处理（Ctrl-C 停止）")):
        p = sub.add_parser(name, help=text)
        p.add_argument("dir", nargs="?", default=".", help="工作目录（默认当前目录）")
        p.add_argument("--as-of", type=_date, default=None, help="按哪一天研判（默认今天）")
        p.add_argument("--workers", type=int, default=None, help="并行进程数（默认每个 CPU 核一个）")
        if name == "process":
            p.add_argument("--wait", type=float, default=None, help="确认文件已复制完成的等待秒数（默认取设置）")
            p.add_argument("--refresh", action="store_true", help="即使没有新文件也重新生成镇级核查表和区级总台账")
        else:
            p.add_argument("--poll", action="store_true", help="轮询模式：用于网络共享/SMB 文件夹（收不到系统通知时）")
        p.set_defaults(func=func)

    p = sub.add_parser("history", help="列出一户的全部流程记录（谁、何时、从什么状态到什么状态、依据哪个文件）")
    p.add_argument("id", help="户编号或户主身份证号")
    p.add_argument("--workspace", default=".", help="工作目录（默认当前目录）")
    p.set_defaults(func=cmd_history)

    p = sub.add_parser("demo", help="生成一个模拟的区（各镇各村台账），放入收件箱并处理一轮")
    p.add_argument("dir", nargs="?", default="demo-district", help="演示工作目录（默认 demo-district）")
    p.add_argument("--villages", type=int, default=3, help="每个镇的村数（默认 3）")
    p.add_argument("--households", type=int, default=40, help="每个村的户数（默认 40）")
    p.add_argument("--mistakes", type=int, default=3, help="每个村故意制造的填写错误数（默认 3）")
    p.add_argument("--seed", type=int, default=2021, help="随机种子（相同种子生成相同数据）")
    p.add_argument("--workers", type=int, default=None, help="并行进程数")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
    try:
        return int(args.func(args) or 0)
    except BridgeError as exc:
        print(TEXT["cli.error"].format(error=exc), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `excel-bridge check F | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
