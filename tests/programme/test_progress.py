"""Progress over days (posecheck.programme.progress), the physio report and the progress page.

Pure layer on fabricated sessions, plus the page through Streamlit's AppTest (page layer)
after a few sessions are recorded in a real database file.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from posecheck.programme import progress
from posecheck.programme.history import History, HoldEntry, SessionRecord
from posecheck.programme.report import report_html

HK = "half_kneeling_hip_flexor"
TODAY = date(2026, 11, 20)
PAGE = Path(__file__).resolve().parents[2] / "posecheck" / "page" / "progress.py"


def at(day: date, hour: int = 8) -> datetime:
    """Local time on that day (the history's days are local days)."""
    return datetime.combine(day, time(hour)).astimezone()


def hold(side: str, valid: float, rom: float | None, rep: int = 1, stretch: str = HK,
         target: float = 30.0) -> HoldEntry:
    return HoldEntry(stretch, side, rep, valid, target, valid >= target, rom,
                     "stretched_hip_extension_deg" if rom is not None else None)


def fabricated() -> list[SessionRecord]:
    """Five days ending today, one missed day (TODAY - 3); ROM grows on the left."""
    out = []
    for k, (left_rom, right_rom) in enumerate([(8.0, 12.0), (9.0, 12.5), (None, None),
                                               (11.0, 13.0), (12.0, 13.0), (13.0, 13.5)]):
        day = TODAY - timedelta(days=5 - k)
        if left_rom is None:
            continue
        out.append(SessionRecord(started_at=at(day), source="live", routine="daily_psoas",
                                 holds=(hold("left", 20.0 + k, left_rom),
                                        hold("left", 15.0, left_rom + 2, rep=2),
                                        hold("right", 25.0, right_rom))))
    # a second session on the last day, another stretch
    out.append(SessionRecord(started_at=at(TODAY, 19), source="analyze",
                             holds=(hold("both", 5.0, 4.0, stretch="glute_bridge",
                                         target=5.0),)))
    return out


def test_daily_per_side():
    st = progress.daily(fabricated(), HK, "left")
    assert [d.day for d in st] == [TODAY - timedelta(days=n) for n in (5, 4, 2, 1, 0)]
    first = st[0]
    assert first.holds == 2 and first.valid_s == 35.0 and first.best_hold_s == 20.0
    assert first.rom_deg == pytest.approx(9.0)  # median of 8 and 10
    assert [d.rom_deg for d in st] == [9.0, 10.0, 12.0, 13.0, 14.0]
    assert progress.change(st, "rom_deg") == pytest.approx(5.0)
    assert progress.change(st, "best_hold_s") == pytest.approx(5.0)  # 25 - 20
    assert progress.daily(fabricated(), HK, "both") == []


def test_left_minus_right():
    lr = progress.left_right(fabricated(), HK)
    assert len(lr) == 5
    assert lr[0].rom_deg == pytest.approx(9.0 - 12.0)
    assert lr[-1].rom_deg == pytest.approx(14.0 - 13.5)
    assert lr[-1].hold_s == pytest.approx(25.0 - 25.0)
    assert progress.left_right(fabricated(), "glute_bridge") == []


@pytest.mark.parametrize("days, today, current, longest", [
    ([], TODAY, 0, 0),
    ([TODAY], TODAY, 1, 1),
    ([TODAY - timedelta(days=1), TODAY - timedelta(days=2)], TODAY, 2, 2),  # not yet today
    ([TODAY - timedelta(days=2)], TODAY, 0, 1),                              # a day missed
    ([TODAY - timedelta(days=n) for n in (0, 1, 2, 4, 5, 6, 7)], TODAY, 3, 4),
])
def test_streaks(days, today, current, longest):
    assert progress.current_streak(days, today) == current
    assert progress.longest_streak(days) == longest


def test_summary_streaks_and_stretch_order():
    s = fabricated()
    assert progress.stretches(s) == [HK, "glute_bridge"]
    assert progress.sides(s, HK) == ["left", "right"]
    summ = progress.stretch_summary(s, HK, TODAY)
    assert summ["current_streak_days"] == 3 and summ["longest_streak_days"] == 3
    assert summ["sides"]["left"]["rom_deg"] == 14.0
    assert summ["sides"]["right"]["rom_change_deg"] == pytest.approx(1.5)
    assert summ["left_minus_right"]["rom_deg"] == pytest.approx(0.5)
    assert progress.since(s, TODAY)[0].started_at.date() == TODAY


def test_plot_has_a_left_right_panel_only_for_two_sided_stretches():
    fig = progress.plot_stretch(fabricated(), HK)
    assert len(fig.axes) == 3
    png = progress.figure_png(fig)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(progress.plot_stretch(fabricated(), "glute_bridge").axes) == 2


def test_report_is_one_self_contained_page():
    page = report_html(fabricated(), days=14, name="A. Person", today=TODAY)
    assert page.count("data:image/png;base64,") == 2  # one plot per stretch
    assert "<script" not in page and "http" not in page
    assert "A. Person" in page and "@page" in page
    assert "Half-kneeling hip-flexor stretch" in page
    assert "+5.0" in page  # the left ROM change
    empty = report_html(fabricated(), days=7, today=TODAY + timedelta(days=30))
    assert "No stretching recorded" in empty


# ---------------------------------------------------------------------------- page layer
def test_progress_page_shows_the_recorded_sessions(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "h.sqlite3"
    today = datetime.now().astimezone().date()
    with History(db) as h:
        for n in (2, 1, 0):
            day = today - timedelta(days=n)
            h.add(SessionRecord(started_at=at(day), source="live", holds=(
                hold("left", 20.0 + n, 10.0 + n), hold("right", 22.0, 12.0))))
        h.add(SessionRecord(started_at=at(today, 20), source="analyze", holds=(
            hold("both", 5.0, 3.0, stretch="glute_bridge", target=5.0),)))
    monkeypatch.setenv("POSECHECK_DB", str(db))
    app = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Days stretched in a row"] == "3"
    assert metrics["Days with stretching"] == "3"
    assert str(db) in app.caption[0].value
    assert app.selectbox[0].value == HK
    table = app.table[0].value
    assert list(table["side"]) == ["left", "right"]
    assert list(table["ROM (deg)"]) == ["10.0", "12.0"]
    assert any("Left minus right" in m.value for m in app.markdown)
    app.selectbox[0].select("glute_bridge").run()
    assert not app.exception
    assert list(app.table[0].value["side"]) == ["both"]


def test_progress_page_with_no_history_and_with_a_damaged_file(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "new.sqlite3"))
    app = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not app.exception and "No sessions stored yet" in app.info[0].value
    bad = tmp_path / "bad.sqlite3"
    bad.write_bytes(b"x" * 64)
    monkeypatch.setenv("POSECHECK_DB", str(bad))
    app = AppTest.from_file(str(PAGE), default_timeout=60).run()
    assert not app.exception and str(bad) in app.error[0].value
    assert bad.read_bytes() == b"x" * 64


def test_report_keeps_to_one_page_with_many_stretches():
    from posecheck.programme.report import MAX_PLOTS

    many = ["camel", "cobra", "deep_lunge", "pigeon", "seated_psoas", "standing_psoas"]
    sessions = [SessionRecord(started_at=at(TODAY), source="live",
                              holds=tuple(hold("left", 20.0, 10.0, stretch=s) for s in many))]
    page = report_html(sessions, today=TODAY)
    assert page.count("data:image/png;base64,") == MAX_PLOTS < len(many)
    assert page.count("<tr><td>") == len(many)  # every stretch still in the table
    assert "most practised" in page
