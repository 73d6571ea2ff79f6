"""The bad-input corpus (tests/bad_inputs.py) through analyze, landmarks, the page's video
path and the live worker: every input handled with a clear message or a complete report, no
traceback, no partial file (worker, CLI and page layers; the lite model on tiny clips)."""

from __future__ import annotations

import pytest

import bad_inputs


@pytest.mark.slow
def test_every_bad_input_gets_a_clear_message_and_good_ones_complete_reports(tmp_path):
    res = bad_inputs.run_all(tmp_path / "corpus")
    counts = res.counts()
    assert res.bad() == [], "\n".join(" | ".join(r) for r in res.bad())
    assert counts["tracebacks"] == counts["partial files"] == counts["lost reports"] == 0
    # Every consumer met every kind of input it can be given.
    consumers = {c for c, *_ in res.rows}
    assert consumers == {"analyze", "landmarks", "page", "live"}
    assert counts["inputs tried"] >= 80 and counts["clear errors"] >= 40
