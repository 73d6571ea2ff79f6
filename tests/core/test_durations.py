"""The one frame-duration rule (posecheck.core.durations): seconds each frame stands for.

Layer: pure (timestamp tables).
"""

from __future__ import annotations

import numpy as np
import pytest

from posecheck.core.durations import frame_durations


@pytest.mark.parametrize("t_ms, kw, want", [
    ([], {}, []),
    ([40], {}, [0.0]),                                        # no interval: default_s
    ([40], {"default_s": 1 / 30}, [1 / 30]),
    ([0, 100, 200], {}, [0.1, 0.1, 0.1]),                     # last = typical
    ([0, 100, 200], {"last_s": 0.0}, [0.1, 0.1, 0.0]),
    ([0, 100, 200, 5000, 5100], {}, [0.1, 0.1, 0.5, 0.1, 0.1]),          # dropout capped
    ([0, 100, 200, 5000, 5100], {"dropout": "typical"}, [0.1] * 5),      # one typical frame
    ([0, 100, 100, 200], {}, [0.1, 0.1, 0.1, 0.1]),          # a repeat lasts a typical frame
    ([0, 1000, 2000], {}, [0.5, 0.5, 0.5]),                   # 1 fps: every interval capped
    ([0, 1000, 2000], {"dropout": "typical"}, [1.0, 1.0, 1.0]),
    ([0, 33, 67, 100], {"last_s": 0.0}, [0.033, 0.034, 0.033, 0.0]),
])
def test_frame_durations_table(t_ms, kw, want):
    np.testing.assert_allclose(frame_durations(t_ms, 0.5, **kw), want, atol=1e-12)


def test_durations_add_up_to_the_clip_length_without_dropouts():
    t = np.cumsum(np.random.default_rng(3).uniform(20, 60, 200)).round()
    d = frame_durations(t, 0.5, last_s=0.0)
    assert d.sum() == pytest.approx((t[-1] - t[0]) / 1000.0)


def test_unknown_dropout_policy_is_refused():
    with pytest.raises(ValueError, match="dropout"):
        frame_durations([0, 100], 0.5, dropout="zero")
