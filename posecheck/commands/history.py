"""``posecheck history list | show | export | delete | report``: the stored stretching history.

The database is :func:`posecheck.programme.database.default_path` (``POSECHECK_DB`` overrides it, and so
does ``--db``). Nothing here touches the network.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path
from typing import Any

EXPORT_COLUMNS = ("session_id", "started_at", "day", "source", "routine", "video", "stretch",
                  "side", "rep", "valid_hold_s", "target_s", "completed", "rom_deg",
                  "rom_metric", "in_pose_s", "start_s", "end_s", "faults")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "history",
        help="the stored stretching history: list, show, export, delete, physio report",
        description="Sessions stored by the live page and by `posecheck analyze "
                    "--save-history`, kept in a SQLite file on this machine only "
                    "(POSECHECK_DB or --db chooses the file).",
    )
    parser.add_argument("--db", default=None, metavar="FILE",
                        help="history database (default: $POSECHECK_DB or the per-user file)")
    sub = parser.add_subparsers(dest="history_command", metavar="ACTION", required=True)

    p = sub.add_parser("list", help="one line per hold (stretch, side, valid s, target, ROM)")
    p.add_argument("--json", action="store_true", help="a JSON list of holds instead")
    p.add_argument("--stretch", default=None, metavar="ID", help="only this stretch")
    p.set_defaults(func=_list)

    p = sub.add_parser("show", help="one session with its holds and faults")
    p.add_argument("id", type=int, metavar="ID")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_show)

    p = sub.add_parser("export", help="every hold as CSV or JSON")
    p.add_argument("--format", choices=("csv", "json"), default="csv")
    p.add_argument("--out", default="-", metavar="FILE", help="output file (default: stdout)")
    p.set_defaults(func=_export)

    p = sub.add_parser("delete", help="delete one session, or everything with --all")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("id", type=int, nargs="?", metavar="ID")
    who.add_argument("--all", action="store_true", help="delete the whole history")
    p.add_argument("--yes", action="store_true", help="do not ask before --all")
    p.set_defaults(func=_delete)

    p = sub.add_parser("report", help="a printable one-page HTML report for a physiotherapist")
    p.add_argument("--out", default="posecheck-report.html", metavar="FILE")
    p.add_argument("--days", type=int, default=42, metavar="N",
                   help="the last N days (default: 42, six weeks)")
    p.add_argument("--name", default="", help="the person's name, printed on the report")
    p.set_defaults(func=_report)


def _db(args: argparse.Namespace) -> Any:
    from posecheck.programme.history import History

    return History(args.db)


def _rows(args: argparse.Namespace, stretch: str | None = None) -> list[dict[str, Any]]:
    with _db(args) as db:
        sessions = db.sessions(stretch=stretch)
    return [row for s in sessions for row in s.entry_rows()]


def _fmt(v: Any, digits: int = 1) -> str:
    return "-" if v is None else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))


def _list(args: argparse.Namespace) -> int:
    rows = _rows(args, args.stretch)
    if args.json:
        print(json.dumps(rows, indent=1))
        return 0
    if not rows:
        print("no sessions stored yet")
        return 0
    print(f"{'id':>4s}  {'when':16s}  {'stretch':26s} {'side':5s} {'rep':>3s} "
          f"{'valid s':>7s} {'target':>6s} {'ROM deg':>7s}")
    for r in rows:
        print(f"{r['session_id']:>4d}  {r['started_at'][:16].replace('T', ' '):16s}  "
              f"{r['stretch']:26s} {r['side']:5s} {r['rep']:>3d} {_fmt(r['valid_hold_s']):>7s} "
              f"{_fmt(r['target_s'], 0):>6s} {_fmt(r['rom_deg']):>7s}")
    return 0


def _show(args: argparse.Namespace) -> int:
    from posecheck.core.errors import PosecheckError

    with _db(args) as db:
        s = db.session(args.id)
    if s is None:
        raise PosecheckError(f"no session {args.id}. Fix: see the ids with `posecheck history "
                             "list`")
    if args.json:
        print(json.dumps(s.to_json(), indent=1))
        return 0
    print(f"session {s.id}: {s.started_at.astimezone():%Y-%m-%d %H:%M} ({s.source})"
          + (f", routine {s.routine}" if s.routine else "")
          + (f", video {s.video}" if s.video else ""))
    for h in s.holds:
        faults = ", ".join(f"{f.check} {f.seconds:.1f} s" for f in h.faults) or "none"
        rom = "-" if h.rom_deg is None else f"{h.rom_deg:.1f} deg ({h.rom_metric})"
        print(f"  {h.stretch} {h.side} rep {h.rep}: {h.valid_hold_s:.1f} of {h.target_s:g} s "
              f"valid{' (done)' if h.completed else ''}; ROM {rom}; faults: {faults}")
    return 0


def _export(args: argparse.Namespace) -> int:
    rows = _rows(args)
    if args.format == "json":
        text = json.dumps(rows, indent=1) + "\n"
    else:
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS, extrasaction="ignore",
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        text = buf.getvalue()
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"{len(rows)} holds written to {args.out}", file=sys.stderr)
    return 0


def _delete(args: argparse.Namespace) -> int:
    from posecheck.core.errors import PosecheckError

    with _db(args) as db:
        if args.all:
            if not args.yes:
                if not sys.stdin.isatty():
                    raise PosecheckError("delete --all needs --yes when not run in a terminal")
                answer = input(f"Delete the whole history in {db.path}? [y/N] ")
                if answer.strip().lower() not in ("y", "yes"):
                    print("nothing deleted")
                    return 1
            n = db.delete_all()
            print(f"deleted {n} session(s) from {db.path}")
            return 0
        if not db.delete(args.id):
            raise PosecheckError(f"no session {args.id}. Fix: see the ids with `posecheck "
                                 "history list`")
        print(f"deleted session {args.id}")
    return 0


def _report(args: argparse.Namespace) -> int:
    from posecheck.programme.report import report_html

    with _db(args) as db:
        sessions = db.sessions()
    html = report_html(sessions, days=args.days, name=args.name)
    Path(args.out).write_text(html, encoding="utf-8")
    print(f"report: {args.out}", file=sys.stderr)
    return 0
