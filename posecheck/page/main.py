"""The script ``posecheck page`` hands to ``streamlit run``: the pages of the installed package.

Sample videos are offered when ``$POSECHECK_SAMPLE_DIR`` names a folder of them; none are needed.
"""

from posecheck import page
page.run()
