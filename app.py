"""posecheck's Streamlit page, started from a checkout: ``bash scripts/app.sh`` (or
``streamlit run app.py``).

The pages themselves live in the package (:mod:`posecheck.page`), so ``posecheck page`` runs the
same pages from an installed wheel. Started here, they also offer the checkout's sample videos
and label file (an installed package has neither); the environment variables still win.
"""

import os
from pathlib import Path

from posecheck import page
ROOT = Path(__file__).resolve().parent
os.environ.setdefault("POSECHECK_SAMPLE_DIR", str(ROOT / "sample_videos"))
os.environ.setdefault("POSECHECK_LABELS", str(ROOT / "labels" / "real_footage.toml"))

page.run()
