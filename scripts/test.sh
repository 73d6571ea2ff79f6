#!/usr/bin/env bash
# Set up (if needed) and run the whole test suite, slow and browser layers included.
# Extra arguments go to pytest, e.g.  bash scripts/test.sh -m "not slow"  for the quick layer.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/browser.sh || echo "[test] no Chromium: the browser tests will be skipped"
set +e
.venv/bin/python -m pytest --durations=15 "$@"   # the 15 slowest tests, to keep the suite in budget
rc=$?
set -e
# pytest exits 5 when it collected no test; that is a failure of the suite, not a pass.
exit $rc
