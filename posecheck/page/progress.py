"""The progress page: the stored history over days and weeks (Streamlit).

Only wiring: the numbers and plots come from :mod:`posecheck.programme.progress`, the data from
:mod:`posecheck.programme.history`, the printable report from :mod:`posecheck.programme.report`.
Runs alone with ``streamlit run posecheck/page/progress.py``; the database is
``POSECHECK_DB`` or the per-user default.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import streamlit as st

from posecheck.programme import progress
from posecheck.core.errors import PosecheckError
from posecheck.programme.history import History
from posecheck.programme.report import report_html

PERIODS = {"2 weeks": 14, "6 weeks": 42, "3 months": 91, "everything": 36500}


def _spec_name(sid: str) -> str:
    from posecheck.specs.parse import load_spec

    try:
        return load_spec(sid).name
    except PosecheckError:
        return sid


def main() -> None:
    st.title("Progress")
    try:
        with History() as db:
            sessions, path = db.sessions(), db.path
    except PosecheckError as exc:
        st.error(str(exc))
        return
    st.caption(f"History file: {path} (on this computer only; `posecheck history delete` "
               "removes entries)")
    if not sessions:
        st.info("No sessions stored yet. Stretch on the live page, or run "
                "`posecheck analyze CLIP --save-history`.")
        return
    today = datetime.now().astimezone().date()
    period = st.radio("Period", list(PERIODS), index=1, horizontal=True)
    recent = progress.since(sessions, today - timedelta(days=PERIODS[period] - 1))
    days = progress.active_days(recent)
    c1, c2, c3 = st.columns(3)
    c1.metric("Days stretched in a row", progress.current_streak(days, today))
    c2.metric("Longest run (days)", progress.longest_streak(days))
    c3.metric("Days with stretching", len(days))
    ids = progress.stretches(recent)
    if not ids:
        st.info("Nothing stored in this period.")
        return
    sid = st.selectbox("Stretch", ids, format_func=_spec_name)
    summ = progress.stretch_summary(recent, sid, today)
    rows = [{"side": side, "days": d["days"], "holds": d["holds"],
             "best hold (s)": progress.fmt(d["best_hold_s"]),
             "target (s)": progress.fmt(d["target_s"], 0),
             "hold change (s)": progress.fmt(d["best_hold_change_s"], signed=True),
             "ROM (deg)": progress.fmt(d["rom_deg"]),
             "ROM change (deg)": progress.fmt(d["rom_change_deg"], signed=True)}
            for side, d in summ["sides"].items()]
    st.table(rows)
    lr = summ["left_minus_right"]
    if lr:
        st.write(f"Left minus right on {lr['day']}: ROM "
                 f"{progress.fmt(lr['rom_deg'], signed=True, unit=' deg')}, best hold "
                 f"{progress.fmt(lr['hold_s'], signed=True, unit=' s')}")
    fig = progress.plot_stretch(recent, sid, title=_spec_name(sid))
    st.image(progress.figure_png(fig), caption=f"{_spec_name(sid)}: per day and side")
    st.download_button("Report for the physiotherapist (HTML, printable)",
                       report_html(sessions, days=PERIODS[period], today=today),
                       file_name=f"posecheck-report-{today.isoformat()}.html",
                       mime="text/html")


main()
