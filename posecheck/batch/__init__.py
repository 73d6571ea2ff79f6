"""``posecheck analyze`` over many videos: one report, plot (and annotated MP4) per video, a
summary table and a static HTML index.

Layout of the output folder (``--out``)::

    DIR/index.html                  every video's plot and numbers side by side
    DIR/summary.csv, summary.json   one row per video (ok or error)
    DIR/<name>.json                 the analysis report, plus video info, model and errors
    DIR/<name>.png                  each metric over time with its threshold band
    DIR/<name>.annotated.mp4        with --annotate: skeleton coloured by check status

``<name>`` is the video's stem (``clip.mp4`` -> ``clip.json``); two videos with the same stem
in one batch are told apart by their folder (``<folder>__<stem>``).

Guarantees:

- One bad file never stops the batch: it gets a row with a clear error and the exit status
  becomes 1. What is not a video's fault stops it with exit status 2 and one line: an
  output folder that cannot be written (checked before the model runs), is an input folder
  or is locked by another run; a model MediaPipe cannot load (loaded once, first); a full
  output folder mid-run.
- Worker processes exit when the parent dies, and a stopped worker deletes its temporary
  files; a run sweeps temporary files a killed run left (it holds ``DIR/.posecheck.lock``).
- Every file is written to a temporary name and moved into place (``os.replace``), so an
  interrupted batch leaves no half files; a rerun skips videos whose report matches the
  video's hash, the model and the spec (``--force`` redoes them).
- Landmarks come from the landmark cache when they are there; ``--no-cache`` re-runs the model.
- ``--workers N`` analyses videos in N spawned processes, each limited to one thread for
  OpenCV and the math libraries; the reports are byte-identical to a serial run's.
- ``--executor ray`` runs the same per-video work in Ray actors (one per CPU of the cluster);
  the driver alone writes ``--out``, with the same resume, error rows and atomic writes, and
  the reports are byte-identical to a serial run's.

Heavy libraries (cv2, mediapipe, matplotlib) are imported inside the functions that need
them, so ``posecheck --help`` stays fast and spawned workers import only what they use.

Where things are (each module imports only those listed before it; start reading at
``runner.run`` and follow the calls down):

- ``files``: the output folder and its lock, the JSON form of summary.json (a report's is
  ``posecheck.core.report_json``)
- ``inputs``: paths, folders and globs -> media files; the output name of each
- ``jobs``: ``Job`` (one video's work, plain data sent to worker processes), ``VideoResult``
- ``landmarks``: a video's pose landmarks: the landmark cache or the model, with decoding in
  a thread ahead of it
- ``track``: the analysis of the landmarks with one spec or after ``--stretch auto``
  recognition (``analyze_track``); warnings such as jumps between people
- ``annotate``: the annotated MP4 (``--annotate``)
- ``summary``: summary rows, summary.csv, summary.json and index.html
- ``stages``: one video's two stages, prepare (landmarks) and complete (analysis, plot,
  report), the resume check and error results
- ``progress``: the progress bars
- ``parallel``: ``--workers``: the worker processes and the parent's loop, which survives a
  worker crashing
- ``cluster``: ``--executor ray``: the actors and the driver's loop, which retries a video
  whose actor died on another actor (imported only when asked for)
- ``runner``: ``run``, the whole batch, serial, parallel or on Ray
- ``cli``: the options of ``posecheck analyze`` and ``main``
"""

from posecheck.batch.cli import (DEFAULT_OUT, EXIT_STATUSES, build_parser, main,
                                 register_arguments, workers_arg)
from posecheck.batch.files import dump_json
from posecheck.batch.inputs import MEDIA_EXTENSIONS, expand_paths, make_slugs
from posecheck.batch.jobs import DEFAULT_MAX_FRAMES, Job, VideoResult
from posecheck.batch.parallel import CRASH_STAGE_ENV, CRASH_TEST_ENV
from posecheck.batch.parallel import MAX_AUTO_WORKERS, worker_count
from posecheck.batch.runner import run
from posecheck.batch.stages import analyze_video, load_specs
from posecheck.batch.track import Outcome, analyze_track, identity_jumps, segment_hold

__all__ = [
    "CRASH_STAGE_ENV", "CRASH_TEST_ENV", "DEFAULT_MAX_FRAMES", "DEFAULT_OUT", "EXIT_STATUSES",
    "MAX_AUTO_WORKERS",
    "MEDIA_EXTENSIONS", "Job", "Outcome", "VideoResult",
    "analyze_track", "analyze_video",
    "build_parser", "dump_json", "expand_paths", "identity_jumps",
    "load_specs", "main", "make_slugs", "register_arguments", "run", "segment_hold",
    "worker_count", "workers_arg",
]
