"""The command line: parse, call one library function, print, map errors to exit codes. Nothing else."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .argparse_zh import chinese
from .cli_parser import build_parser
from .errors import BridgeError, LedgerBusy, UsageError
from .messages import ARGPARSE, SEVERITY_WORD, TEXT, os_problem, render, status_word

if TYPE_CHECKING:
    from .read import ReadAhead

# exit codes (README, Commands)
EXIT_OK = 0
EXIT_FOUND = 1  # check: the file has errors; history: no such household
EXIT_USAGE = 2  # the command line or a path it names cannot be used (argparse's own code for a wrong command)
EXIT_CONFIG = 3  # the workspace, its settings, schemas, rules or ledger need fixing
EXIT_INTERNAL = 4  # a bug: the traceback is shown under a Chinese line
EXIT_BUSY = 5  # process: another program is processing the same ledger (another workspace copy or machine)
EXIT_INTERRUPTED = 130
SUMMARY_ISSUES = 20
SPREADSHEETS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".et")

log = logging.getLogger("excel_bridge.cli")  # not __name__: run as `python -m excel_bridge.cli` that is __main__


def _config(args: argparse.Namespace, file: Path | None = None, *, meta_of: Callable[[], dict[str, str]] | None = None):
    """The settings `check` and `template` use: --workspace; else the workspace this folder is in (or above);
    else (check) the workspace of the district the file's hidden sheet names (`meta_of()`: that sheet, from the
    child reading the file); else 曲江区's, said on stderr (`args.bundled`)."""
    from .config import Config, load_config
    from .ruleset import load_rules
    from .schema import load_schemas
    from .workspace import Workspace, find_workspace, workspace_of_district

    root = Path(args.workspace) if getattr(args, "workspace", None) else find_workspace(Path.cwd())
    if root is None and file is not None and file.is_file() and meta_of is not None:
        district = meta_of().get("区", "")
        if district:
            root = workspace_of_district(district, [file.parent, Path.cwd()])
    if root is not None:
        config = Workspace.open(root).config()
        if getattr(args, "schemas", None) or getattr(args, "rules", None):  # given on the command line: theirs
            config = Config(schemas=load_schemas(args.schemas) if args.schemas else config.schemas,
                            rules=load_rules(args.rules) if args.rules else config.rules, settings=config.settings)
        s = config.settings
        log.info(TEXT["cli.log.settings_workspace"], root, s.district, s.district_code, len(s.towns))
        return config
    config = load_config(schemas_dir=getattr(args, "schemas", None), rules_dir=getattr(args, "rules", None))
    args.bundled = True  # said once the file is judged or the template written (an error alone otherwise)
    return config


def _bundled_note(args: argparse.Namespace, config) -> str | None:
    """The line saying 曲江区's built-in settings were used (no workspace found), if they were."""
    if not getattr(args, "bundled", False):
        return None
    return TEXT["cli.settings_bundled"].format(district=config.settings.district, towns=len(config.settings.towns))


def _say_bundled(args: argparse.Namespace, config) -> None:
    """曲江区's built-in settings were used (no workspace found): say so, on stderr (stdout may be --json)."""
    note = _bundled_note(args, config)
    if note:
        print(note, file=sys.stderr)


# --- check ---

def _folder_result(path: Path):
    """A folder given to check: an unreadable result saying so, and what to give instead (one of its
    workbooks; `process` for a workspace)."""
    from .check import unreadable_result
    from .errors import UnreadableFile
    from .workspace import SETTINGS_FILE

    if (path / SETTINGS_FILE).is_file():
        code, fields = "FILE_IS_WORKSPACE", {}
    else:
        inside = sorted(p.name for p in path.iterdir() if p.suffix.lower() in SPREADSHEETS and p.is_file())
        code, fields = "FILE_IS_FOLDER", {"example": path / (inside[0] if inside else "某村监测台账.xlsx")}
    return unreadable_result(path, UnreadableFile(code, *render(code, value=path, **fields)))


def _where(issue) -> str:
    return "".join(x for x in (issue.sheet or "",
                               TEXT["cli.issue_row"].format(row=issue.row) if issue.row else "",
                               TEXT["cli.issue_column"].format(column=issue.column) if issue.column else ""))


def cmd_check(args: argparse.Namespace) -> int:
    file = Path(args.file)
    if file.is_dir():
        from .check import summarize

        config = _config(args, file)
        summary = summarize(_folder_result(file), shown=SUMMARY_ISSUES, with_json=args.json)
        return _said_check(args, file, summary, None, config, _bundled_note(args, config), 0.0)
    from .isolate import Child, Died
    from .read import ReadAhead

    # The child that reads the file starts first and reads it on a thread while it loads the checks and finds the
    # settings; this process only prints what it sends back (it loads neither, unless --out has a copy to write).
    options = {name: getattr(args, name, None) for name in ("workspace", "schemas", "rules", "verbose")}
    if args.out is not None:  # the copy's writer, and the checks its result needs, loaded first: a forked child
        importlib.import_module("excel_bridge.returned")  # has them then (on two cores, faster than both loading)
    with Child(ReadAhead.start, file, imports=("excel_bridge.check",)) as child:
        try:
            summary, whole, note, seconds = child.call(_checked_in_child, options, file, args.as_of, SUMMARY_ISSUES,
                                                       args.json, args.out is not None)
        except Died:  # the file took the child down (memory cap, a crash in the reader): said as such
            from .check import read_limit_summary

            summary, whole, note, seconds = read_limit_summary(file, shown=SUMMARY_ISSUES, with_json=args.json), \
                None, None, 0.0
    result, config = whole if whole is not None else (None, None)
    return _said_check(args, file, summary, result, config, note, seconds)


def _checked_in_child(ahead: ReadAhead | None, options: dict[str, object], file: Path, as_of: dt.date | None,
                      shown: int, with_json: bool, whole: bool):
    """`check`'s work in the child reading the file (`ahead`, a ReadAhead or None): the settings as _config finds
    them (the hidden sheet from that reading), then the check. Returns (the summary printed, (the result, the
    settings) when --out writes the returned copy, the line saying the bundled settings were used, the check's
    seconds). What _config raises (a broken workspace) is raised in the command."""
    from .check import check_file, summarize
    from .read import peek_meta

    if not logging.getLogger().handlers:  # a spawned child (Windows): -v lines as from the command
        _configure_logging(bool(options.get("verbose")))
    args = argparse.Namespace(**options)
    config = _config(args, file, meta_of=lambda: ahead.meta() if ahead is not None else peek_meta(file))
    started = time.perf_counter()
    result = check_file(file, config, as_of=as_of, district=True, ahead=ahead)
    seconds = time.perf_counter() - started
    return (summarize(result, shown=shown, with_json=with_json), (result, config) if whole else None,
            _bundled_note(args, config), seconds)


def _said_check(args: argparse.Namespace, file: Path, summary, result, config, note: str | None,
                seconds: float) -> int:
    """What `check` prints of a summary and writes (the returned copy of `result`, with --out); `seconds`: the
    check's own, for the -v line."""
    placed = None
    if result is not None and result.parsed is not None:
        from .returned import default_output, write_returned_copy  # openpyxl only when writing

        out = Path(args.out) if args.out != "" else default_output(file)
        try:
            placed = write_returned_copy(result, out, config)
        except OSError as exc:  # the folder cannot be written: say which, not our temporary file's name
            raise UsageError(TEXT["check.cannot_write"].format(folder=out.parent, reason=os_problem(exc))) from exc
    if summary.readable:
        log.info(TEXT["cli.log.check"], file.name, seconds, file.stat().st_size,
                 (summary.sha256 or "")[:12])
        if note:
            print(note, file=sys.stderr)
    if summary.json is not None:
        sys.stdout.write(json.dumps(summary.json, ensure_ascii=False, default=str) + "\n")
        return summary.exit_code
    name = file.name or str(file)
    if not summary.readable:
        issue = summary.issues[0]
        print(TEXT["check.unreadable"].format(file=name, message=issue.message))
        print(TEXT["check.unreadable_hint"].format(hint=issue.hint))
        return summary.exit_code
    if not summary.parsed:  # read, and found to be no village ledger (the national system's export): said what to do
        issue = summary.issues[0]
        print(TEXT["check.national"].format(file=name, message=issue.message))
        print(TEXT["check.unreadable_hint"].format(hint=issue.hint))
        return summary.exit_code
    counts = dict(file=name, households=summary.households, members=summary.members,
                  errors=summary.errors, warnings=summary.warnings)
    print(TEXT["check.errors" if summary.errors else "check.ok"].format(**counts))
    for issue in summary.issues:
        where, severity = _where(issue), SEVERITY_WORD[issue.severity]
        print(TEXT["cli.issue"].format(severity=severity, where=where, message=issue.message) if where
              else TEXT["cli.issue_nowhere"].format(severity=severity, message=issue.message))
        if issue.hint:
            print(TEXT["cli.issue_hint"].format(hint=issue.hint))
    if summary.more:
        print(TEXT["check.more"].format(n=summary.more))
    print(TEXT["check.proposed"].format(n=summary.proposed))
    if placed is not None:
        print(TEXT["check.out"].format(path=placed.path))
    return summary.exit_code


# --- template, init ---

def cmd_template(args: argparse.Namespace) -> int:
    from .writers.template import write_template

    config = _config(args)
    existed = Path(args.out).exists()
    placed = write_template(Path(args.out), config, town=args.town, village=args.village, force=args.force)
    if placed.locked:
        print(_locked_line(placed))
    else:
        print(TEXT["template.replaced" if existed else "template.written"].format(path=placed.path))
    _say_bundled(args, config)
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    from .settings import load_settings, new_district
    from .workspace import init_workspace

    root = Path(args.dir)
    asked = [flag for flag, value in (("--name", args.name), ("--code", args.code), ("--from", args.source))
             if value is not None]
    text = None
    if args.source is not None:
        if args.name is not None or args.code is not None:
            raise UsageError(TEXT["init.from_with"].format(options="、".join(f for f in asked if f != "--from")))
        source = Path(args.source)
        if not source.is_file():
            raise UsageError(TEXT["init.from_missing"].format(path=source))
        settings = load_settings(source)  # a complete, valid settings file, or a ConfigError saying what is wrong
        text = source.read_text(encoding="utf-8")
    else:
        name = (args.name or root.resolve().name).strip()
        if not name:
            raise UsageError(TEXT["init.no_name"].format(path=root))
        settings = new_district(name, code=args.code or "")
    result = init_workspace(root, settings, settings_text=text)
    s, ws = result.settings, result.workspace
    settings_file = ws.settings_path
    print(TEXT["init.done" if result.settings_written else "init.exists"].format(path=ws.root.resolve()))
    print(TEXT["init.district"].format(district=s.district or TEXT["init.no_code"],
                                       code=s.district_code or TEXT["init.no_code"], towns=len(s.towns)))
    if s.ledger_schema is not None and s.database is not None:
        print(TEXT["init.schema"].format(schema=s.ledger_schema))
    if result.settings_written and args.source is not None:
        print(TEXT["init.settings_from"].format(source=Path(args.source).resolve()))
    if not result.settings_written:
        added = [p.relative_to(ws.root).as_posix() for p in result.created]
        if added:
            print(TEXT["init.added"].format(paths="、".join(added)))
    todo = s.unfinished()
    if todo:
        print(TEXT["init.todo"].format(settings=settings_file.resolve(), todo="；".join(todo)))
        print(TEXT["init.then"].format(path=root))
    elif not s.supervision_phone:
        print(TEXT["init.no_phone"].format(settings=settings_file.resolve()))
    print(TEXT["init.ready"])
    if asked and not result.settings_written:
        print(TEXT["cli.error"].format(error=TEXT["init.not_applied"].format(
            options="、".join(asked), settings=settings_file.resolve())), file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


# --- process, watch, demo, history ---

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


def _say(timed: bool) -> Callable[..., None]:
    """print, or print with the time of day in front (watch runs for days: each line says when)."""
    def say(line: str, *, file=None) -> None:
        if timed:
            line = TEXT["cli.timed"].format(time=dt.datetime.now().strftime("%H:%M:%S"), line=line)
        print(line, file=file or sys.stdout, flush=timed)
    return say


def _locked_line(placed) -> str:
    """The line for a workbook written beside its target: open (the office lock file named), or in use."""
    if placed.lock is not None:
        return TEXT["pass.locked_open"].format(lock=placed.lock.name, path=placed.path)
    return TEXT["pass.locked"].format(path=placed.path)


def _print_report(report, ws, say: Callable[..., None] = print, *, say_writing: bool = True) -> None:
    from .intake import shown

    for f in report.files:
        where = TEXT["pass.where"].format(path=ws.key(f.feedback)) if f.say_where and f.feedback else ""
        say(TEXT["pass.file"].format(town=f.town, name=shown(f.name), status=status_word(f.status),
                                     message=f.message) + where)
    for line in report.problems:
        say(TEXT["pass.problem"].format(line=line))
    for line in report.skipped:  # said every pass until moved (the note in the town's folder says it too)
        say(TEXT["pass.skipped"].format(line=line))
    if report.waiting:
        say(TEXT["pass.waiting"].format(n=report.waiting))
    for o in report.outputs:
        if o.locked:
            say(_locked_line(o))
        else:
            log.info(TEXT["cli.log.output"], ws.key(o.path))
    if report.files:
        say(TEXT["pass.summary"].format(n=len(report.files), seconds=report.seconds, master=ws.master_path))
    if report.writing and say_writing:
        say(TEXT["pass.writing"])
    log.info(TEXT["cli.log.pass"], len(report.files), len(report.outputs), report.waiting, report.seconds)


class _WatchReports:
    """Each report under watch, printed; "being written in the background" said once until the writer is done
    (a pass and the writer's next job would each say it again)."""

    def __init__(self, ws, say: Callable[..., None]) -> None:
        self.ws, self.say, self.writing = ws, say, False

    def __call__(self, report) -> None:
        _print_report(report, self.ws, self.say, say_writing=not self.writing)
        self.writing = report.writing

    def error(self, exc: BaseException) -> None:
        key = "watch.config_error" if isinstance(exc, BridgeError) else "watch.error"
        self.say(TEXT[key].format(error=exc), file=sys.stderr)


def _open_workspace(directory: str):
    """The workspace with settings the district has finished (ConfigError saying what to fill in otherwise)."""
    from .workspace import Workspace

    ws = Workspace.open(Path(directory))
    s = ws.settings()
    log.info(TEXT["cli.log.settings_workspace"], ws.root.resolve(), s.district, s.district_code, len(s.towns))
    return ws, s


def cmd_process(args: argparse.Namespace) -> int:
    from .pipeline import Processor

    ws, settings = _open_workspace(args.dir)
    wait = args.wait if args.wait is not None else settings.poll_seconds
    with Processor(ws, as_of=args.as_of, workers=args.workers, database=args.database,
                   on_wait=lambda text: print(text, flush=True)) as processor:
        report = processor.run_pass(wait=wait, progress=_Progress(), force_outputs=args.refresh,
                                    wait_for_ledger=False)
    _print_report(report, ws)
    if not report.files and not report.skipped:
        print(TEXT["pass.nothing"])
    return EXIT_OK


def cmd_watch(args: argparse.Namespace) -> int:
    import signal

    from .pipeline import Processor
    from .watch import Watcher

    say = _say(timed=True)
    ws, _ = _open_workspace(args.dir)
    with Processor(ws, as_of=args.as_of, workers=args.workers, database=args.database,
                   on_wait=lambda text: say(text)) as processor:
        reports = _WatchReports(ws, say)
        watcher = Watcher(ws, processor, poll=args.poll, on_report=reports, on_error=reports.error)
        # Ctrl-C stops it however it was started: a process started in the background of a script inherits
        # SIGINT ignored, and Python then leaves it ignored (the watcher would never stop on Ctrl-C)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for name in ("SIGTERM", "SIGBREAK"):  # a service stopped; SIGBREAK: Ctrl-Break on Windows
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), lambda *_: watcher.stop())
        processor.warm()
        say(TEXT["watch.start"].format(path=ws.inbox.resolve(), mode=TEXT["watch.poll" if args.poll else "watch.native"]))
        try:
            watcher.run()
        except KeyboardInterrupt:
            watcher.stop()
    say(TEXT["watch.stopped"])
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import build_demo
    from .pipeline import Processor
    from .workspace import Workspace

    demo = build_demo(Path(args.dir), villages=args.villages, households=args.households, seed=args.seed,
                      mistakes=args.mistakes)
    print(TEXT["demo.built"].format(files=len(demo.files), households=demo.households, mistakes=demo.mistakes,
                                    path=demo.root.resolve()))
    ws = Workspace.open(demo.root)
    with Processor(ws, workers=args.workers) as processor:
        report = processor.run_pass(wait=0.05, progress=_Progress())
    _print_report(report, ws)
    towns = {t for t in ws.config().settings.towns  # the towns given a returned copy or a review workbook
             if any(o.path.is_relative_to(ws.town_feedback(t)) for o in report.outputs)}
    print(TEXT["demo.where"].format(master=ws.master_path.resolve(), feedback=ws.root.resolve() / "反馈",
                                    archive=ws.archive.resolve(), n=len(towns)))
    return EXIT_OK


def cmd_history(args: argparse.Namespace) -> int:
    from .history import find_stories
    ws, _ = _open_workspace(args.workspace)
    with ws.open_store(args.database) as store:
        stories = find_stories(store, args.id)
    if not stories:
        print(TEXT["history.none"].format(key=args.id))
        return EXIT_FOUND
    for story in stories:
        print(story.title)
        if story.member:
            print(story.member)
        for s in story.steps:
            move = f"{s.from_state or '—'} → {s.to_state}" if s.to_state else ""
            who = TEXT["cli.history_who"].format(
                level=s.level, person=TEXT["cli.history_person"].format(person=s.person) if s.person else "")
            source = TEXT["history.source"].format(sha=s.source) if s.source else ""
            print(f"  {s.at:%Y-%m-%d %H:%M:%S}  {s.event:<4} {move:<16} {who:<10} {s.comment or ''}{source}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .departments.config import load_departments
    from .departments.measure_export import export_measures
    from .departments.share_back import export_share
    from .provincial.export import TARGET

    ws, _ = _open_workspace(args.workspace)
    config = ws.config()
    out = Path(args.out) if args.out else None
    if args.department == TARGET:
        return _export_provincial(ws, config, args, out)
    if args.department not in load_departments(ws.root / "rules").shared_with():  # its measures (issue 22)
        with ws.open_store(args.database) as store:
            placed, export = export_measures(store, ws, config, args.department, as_of=args.as_of or dt.date.today(),
                                             out=out)
        if placed.locked:
            print(_locked_line(placed))
        print(TEXT["measures.export_done"].format(department=export.department, path=placed.path,
                                                  households=export.households, measures=export.measures,
                                                  money=export.money, done=export.done))
        return EXIT_OK
    with ws.open_store(args.database) as store:
        placed, data = export_share(store, ws, config, args.department, as_of=args.as_of or dt.date.today(),
                                    since=args.since, out=out)
    if placed.locked:
        print(_locked_line(placed))
    print(TEXT["share.done"].format(department=data.department, path=placed.path, households=len(data.households),
                                    members=sum(len(h.members) for h in data.households),
                                    measures=sum(len(h.measures) for h in data.households)))
    return EXIT_OK


def _export_provincial(ws, config, args: argparse.Namespace, out: Path | None) -> int:
    from .provincial.export import export_provincial

    with ws.open_store(args.database) as store:
        done = export_provincial(store, ws, config, town=args.town, since=args.since, out=out)
    for export, placed in done:
        if placed is None:
            since = TEXT["export.provincial_nothing_since"].format(since=export.since) if export.since else \
                TEXT["export.provincial_nothing_ever"]
            print(TEXT["export.provincial_nothing"].format(town=export.town, since=since))
            continue
        if placed.locked:
            print(_locked_line(placed))
        print(TEXT["export.provincial_done"].format(town=export.town, households=export.households,
                                                    persons=len(export.rows), path=placed.path))
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from .national.note import summary_lines
    from .pipeline.national_import import import_file
    from .runner import Runner

    ws, _ = _open_workspace(args.workspace)
    runner = Runner(ws.settings().workers or None)  # the export read in one, the villages' workbooks in all
    try:
        with ws.open_store(args.database) as store, \
                store.pass_lock(wait=False, on_wait=lambda text: print(text, flush=True)):
            result = import_file(ws, store, Path(args.file), runner=runner, as_of=args.as_of)
    finally:
        runner.close()
    for line in summary_lines(result):
        print(line)
    if result.note is not None:
        print(TEXT["import.note_written"].format(path=result.note))
    if result.prefilled:
        print(TEXT["import.prefilled"].format(villages=len(result.prefilled), example=result.prefilled[0]))
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from .report import bulletin_path, make_bulletin, parse_month, to_pdf
    from .statistics import MONITORED, TOTAL
    from .writers.bulletin import write_bulletin

    ws, _ = _open_workspace(args.dir)
    config = ws.config()
    today = args.as_of or dt.date.today()
    year, month = parse_month(args.month) if args.month else (today.year, today.month)
    with ws.open_store(args.database) as store:
        bulletin = make_bulletin(store, config, year=year, month=month, today=today)
    placed = write_bulletin(bulletin_path(ws, bulletin.district, year, month), bulletin)
    if placed.locked:
        print(_locked_line(placed))
    total = bulletin.table(MONITORED).row(TOTAL)
    frozen = TEXT["report.done_frozen"].format(at=bulletin.frozen_at) if bulletin.frozen_at else ""
    print(TEXT["report.done"].format(district=bulletin.district, year=year, month=month, path=placed.path,
                                     as_of=bulletin.as_of, households=total["合计（户）"], people=total["合计（人）"])
          + frozen)
    pdf = to_pdf(placed.path)
    print(TEXT["report.pdf"].format(path=pdf) if pdf else TEXT["report.no_pdf"])
    return EXIT_OK


def cmd_round(args: argparse.Namespace) -> int:
    from .yearly_round import round_lines, start_round

    ws, _ = _open_workspace(args.dir)
    with ws.open_store(args.database) as store:
        result = start_round(ws, store, ws.config(), args.year, until=args.until)
    for line in round_lines(result, ws.root):
        print(line)
    return EXIT_OK


def cmd_city(args: argparse.Namespace) -> int:
    from .city_departments import CityList, city_lists, read_city_list, split_list, write_split
    from .city_rollup import ONE_QUERY, present_in, read_in, roll_up, total_row
    from .city_settings import City, load_city
    from .report import parse_month
    from .runner import Runner
    from .statistics import MONITORED
    from .writers.city_summary import write_city_summary

    path = Path(args.settings)
    if not path.is_file():
        raise UsageError(TEXT["city.settings_missing"].format(path=path))
    settings = load_city(path)
    city = City(path)
    today = args.as_of or dt.date.today()
    year, month = parse_month(args.month) if args.month else (today.year, today.month)
    if dt.date(year, month, 1) > today:
        raise UsageError(TEXT["report.future_month"].format(year=year, month=month))
    runner = Runner(1)
    try:
        rollup = roll_up(city, settings, year=year, month=month, today=today, read_files=read_in(runner))
        lists = city_lists(city)
        read_lists = runner.map(read_city_list, lists) if lists else []
    finally:
        runner.close()
    placed = write_city_summary(city.summary_path, rollup)
    for d in rollup.districts:
        total = total_row(d.table(MONITORED))
        hh, people = total.get("合计（户）", 0), total.get("合计（人）", 0)
        print(TEXT["city.done_district"].format(district=d.district, source=d.source, households=hh, people=people,
                                                as_of=d.as_of))
    for line in rollup.missing:
        print(line)
    for refused in rollup.refused:
        print(TEXT["city.done_refused"].format(path=refused.path, reason=refused.reason))
    for job, got in zip(lists, read_lists, strict=True):
        if not isinstance(got, CityList) or got.problem is not None:
            print(TEXT["city.list_unusable"].format(path=job[0], reason=got.problem if isinstance(got, CityList)
                                                    else got))
            continue
        split = split_list(got, settings, present_in(settings))
        write_split(split, city, settings, today=today)
        parts = "、".join(TEXT["city.split_part"].format(district=name, rows=len(rows))
                         for name, rows in split.by_district.items())
        print(TEXT["city.split_done"].format(path=job[0], department=got.department, parts=parts or "—",
                                             left=len(split.left)))
    how = TEXT["city.how_one_query" if rollup.matched_by == ONE_QUERY else "city.how_streamed"]
    print(TEXT["city.done_duplicates"].format(people=len({p.person_id for p in rollup.duplicates}), how=how))
    if placed.locked:
        print(_locked_line(placed))
    city_total = rollup.totals[0].rows[-1] if rollup.totals else ("", 0, 0)
    print(TEXT["city.done"].format(city=rollup.city, year=year, month=month, path=placed.path,
                                   households=city_total[-2], people=city_total[-1], n=len(rollup.districts)))
    return EXIT_OK


def cmd_rules_page(args: argparse.Namespace) -> int:
    from .rules_page import write_page

    if args.rules is not None:
        rules_dir = args.rules
        if not rules_dir.is_dir():
            raise UsageError(TEXT["rules_page.not_folder"].format(path=rules_dir))
    else:
        ws, _ = _open_workspace(args.dir)
        rules_dir = ws.root / "rules"
    print(TEXT["rules_page.written"].format(path=write_page(rules_dir)))
    return EXIT_OK


class _LogFormatter(logging.Formatter):
    """Log lines as `HH:MM:SS 信息 …`: the level in Chinese."""

    def format(self, record: logging.LogRecord) -> str:
        record.levelword = TEXT.get("log." + record.levelname, record.levelname)
        return super().format(record)


def _not_printed_twice(record: logging.LogRecord) -> bool:
    """Each file's outcome is printed by the CLI itself; its log line would say it again."""
    return record.msg != TEXT.get("process.log.file")


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LogFormatter(TEXT["log.format"], datefmt="%H:%M:%S"))
    handler.addFilter(_not_printed_twice)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)  # other libraries: warnings only
    logging.getLogger("excel_bridge").setLevel(logging.INFO if verbose else logging.WARNING)


def _never_unprintable() -> None:
    """A character the terminal's encoding lacks (Windows' GBK console or a redirected log: a file name with
    “−” or “²”) is printed as “?” rather than stopping the command."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    _never_unprintable()
    commands = {"check": cmd_check, "template": cmd_template, "init": cmd_init, "process": cmd_process,
                "watch": cmd_watch, "history": cmd_history, "demo": cmd_demo, "export": cmd_export,
                "report": cmd_report, "rules-page": cmd_rules_page, "import": cmd_import,
                "round": cmd_round, "city": cmd_city}
    with chinese():
        args, unknown = build_parser(commands).parse_known_args(argv)
        if unknown:  # argparse would blame the top level; the command's own usage is the one that helps
            args.parser.error(ARGPARSE["unrecognized arguments: %s"] % " ".join(unknown))
    _configure_logging(args.verbose)
    try:
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(TEXT["cli.error"].format(error=exc), file=sys.stderr)
        return EXIT_USAGE
    except LedgerBusy as exc:
        print(TEXT["cli.error"].format(error=exc), file=sys.stderr)
        return EXIT_BUSY
    except BridgeError as exc:
        print(TEXT["cli.error"].format(error=exc), file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        print(TEXT["cli.interrupted"], file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # `excel-bridge check F | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FOUND
    except OSError as exc:  # a path the user named: missing, not writable, a file where a folder should be
        where = exc.filename if exc.filename is not None else ""
        print(TEXT["cli.error"].format(error=TEXT["cli.os_error"].format(path=where, reason=os_problem(exc))
                                       if where else os_problem(exc)), file=sys.stderr)
        return EXIT_USAGE
    except Exception:  # noqa: BLE001 - a bug: say so in Chinese, keep the traceback for whoever fixes it
        print(TEXT["cli.internal"], file=sys.stderr)
        traceback.print_exc()
        return EXIT_INTERNAL


def _command(argv: Sequence[str]) -> str | None:
    """The command a command line runs: its first word that is no option (-v may come before it)."""
    return next((a for a in argv if not a.startswith("-")), None)


def entry() -> None:
    """The program as run (`excel-bridge`, `python -m excel_bridge.cli`): main(), then exit with its code.
    After `check` the process ends at once, without Python tearing down every module and object it loaded
    (some 30 ms of a clerk's 0.4 s wait, bench/check_village.py): a check leaves nothing to finish — its
    reading child has been joined, it opened no ledger and left no temporary file — and what it printed and
    logged is flushed first. Every other command ends the ordinary way (pools, ledgers, temporary folders)."""
    argv = sys.argv[1:]
    code = main(argv)
    if _command(argv) != "check":
        sys.exit(code)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader left (`check F | head`) or the stream is closed
            pass
    os._exit(code)


if __name__ == "__main__":
    entry()
