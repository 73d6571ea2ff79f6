"""The one JSON form of the batch's files (posecheck.batch.files).

Layer: pure.
"""

from __future__ import annotations

import json

import numpy as np

from posecheck import batch


def test_dump_json_has_no_nan_and_is_stable():
    text = batch.dump_json({"b": float("nan"), "a": np.float64(1.5), "c": np.arange(2)})
    assert json.loads(text) == {"a": 1.5, "b": None, "c": [0, 1]}
    assert text.index('"a"') < text.index('"b"')
