"""posecheck's Streamlit pages, shipped inside the package.

``app.py`` (the live stretch check) and ``tune.py`` (threshold tuning) are page scripts.
:func:`run` joins them into one multipage app with ``st.navigation``, so the layout does not
depend on a ``pages/`` folder beside the script Streamlit was started on. It is called by the
repository's top-level ``app.py`` (``bash scripts/app.sh``) and by :data:`ENTRY`, the script
``posecheck page`` starts, which works from an installed wheel.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
LIVE_PAGE = HERE / "app.py"
TUNE_PAGE = HERE / "tune.py"
PROGRESS_PAGE = HERE / "progress.py"
ENTRY = HERE / "main.py"


def run() -> None:
    """Show the page chosen in the sidebar (the live check unless another is asked for)."""
    import streamlit as st

    pages = [st.Page(LIVE_PAGE, title="Stretch", url_path="app", default=True),
             st.Page(TUNE_PAGE, title="Tune thresholds", url_path="tune"),
             st.Page(PROGRESS_PAGE, title="Progress", url_path="progress")]
    st.navigation(pages).run()
