"""``--workers N``: videos analysed in N spawned processes.

The parent (``run_parallel``) hands out jobs and collects results; each worker
(``_worker_init``, ``_worker_run``) runs the model on one video while its previous video is
analysed in a background thread, and reports progress and finished results through a queue.
A worker that dies (a native crash) costs only the videos it was on: see ``run_parallel``.
A worker whose parent dies (killed, out of memory) notices at once and exits, deleting its
temporary files; so does a worker the parent stops (Ctrl-C, a full disk).
"""

from __future__ import annotations

import os
import queue
import sys
import time
from typing import Any, Sequence

from posecheck.batch.jobs import Job, VideoResult
from posecheck.batch.progress import Progress
from posecheck.batch.stages import (GIL_SWITCH_S, Prepared, complete_video, error_result,
                                    guarded, prepare_video)
from posecheck.core.errors import OutputError
from posecheck.io.files import remove_own_temps

MAX_AUTO_WORKERS = 8  # processes; each holds a model and two videos' landmarks (~0.6 GB)

# ============================================================================ in each worker
# Environment variables that cap the thread pools of numpy's BLAS, OpenMP and TFLite helpers.
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "TF_NUM_INTRAOP_THREADS",
              "TF_NUM_INTEROP_THREADS")

_WORKER_QUEUE: Any = None
# In a worker, the previous video's analysis runs in this one thread while the main thread
# runs the model on the next video: the same two-stage overlap as the serial runner.
_COMPLETER: Any = None
_COMPLETING: Any = None  # Future of the analysis in flight, if any


class Deferred:
    """What a worker returns for a video whose analysis goes on in the background; the
    finished VideoResult follows as a ``("done", slug, result)`` message on the queue."""

    def __init__(self, slug: str) -> None:
        self.slug = slug


def limit_threads() -> None:
    """One thread each for OpenCV and the math libraries: on a 2-core machine, N worker
    processes with their own thread pools would only fight over the cores."""
    for name in THREAD_ENV:
        os.environ[name] = "1"
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 comes with mediapipe
        pass


PARENT_POLL_S = 0.5  # s between checks that the parent is still there (besides the signal)
_PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h): a signal for us when the parent dies


def _stop_now(signum: int | None = None, frame: Any = None) -> None:
    """Stop at once (the parent's terminate, or the parent gone): delete this process's
    temporary files first, so no hidden half-written file stays in the output folder. The
    videos it was on have no report, so a rerun redoes them."""
    import signal

    remove_own_temps()
    os._exit(128 + signal.SIGTERM)


def watch_parent(parent_pid: int) -> None:
    """Exit when the parent process dies, instead of waiting forever on its pipe: on Linux
    the kernel sends SIGTERM (``PR_SET_PDEATHSIG``); everywhere a thread also polls the
    parent's pid."""
    import signal
    import threading

    signal.signal(signal.SIGTERM, _stop_now)
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM),
                                                    0, 0, 0)
        except (OSError, AttributeError):  # no prctl: the thread below still watches
            pass
    if os.getppid() != parent_pid:  # died before the signal was asked for
        _stop_now()

    def poll() -> None:
        while True:
            time.sleep(PARENT_POLL_S)
            if os.getppid() != parent_pid:
                _stop_now()

    threading.Thread(target=poll, name="posecheck-parent-watch", daemon=True).start()


def _worker_init(q: Any, parent_pid: int | None = None) -> None:
    import signal
    from concurrent.futures import ThreadPoolExecutor

    global _WORKER_QUEUE, _COMPLETER
    _WORKER_QUEUE = q
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C for everyone
    if parent_pid is not None:
        watch_parent(parent_pid)
    limit_threads()
    sys.setswitchinterval(GIL_SWITCH_S)
    _COMPLETER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posecheck-complete")


def _worker_progress(slug: str, done: int, total: int) -> None:
    if _WORKER_QUEUE is not None:
        _WORKER_QUEUE.put(("progress", slug, done, total))


# Test hook: a worker given a video whose path contains this text dies, like a native crash
# in a decoder would (tests/batch/test_parallel.py checks the batch survives it). With
# CRASH_STAGE_ENV=complete it dies in the background analysis instead, after its model stage.
CRASH_TEST_ENV = "POSECHECK_BATCH_CRASH_TEST"
CRASH_STAGE_ENV = "POSECHECK_BATCH_CRASH_STAGE"


def _crash_here(job: Job, stage: str) -> None:
    marker = os.environ.get(CRASH_TEST_ENV)
    if marker and marker in job.video and os.environ.get(CRASH_STAGE_ENV, "start") == stage:
        if stage == "complete":
            time.sleep(1.0)  # a moment into the analysis: the video was handed back by now
        os._exit(70)


def _worker_run(job: Job) -> VideoResult | Deferred:
    """Stage 1 of ``job`` here; stage 2 in the background thread once the previous video's
    stage 2 is done (at most two videos in memory, as in the serial runner)."""
    global _COMPLETING
    if _WORKER_QUEUE is not None:
        _WORKER_QUEUE.put(("start", job.slug, 0, 0))
    _crash_here(job, "start")
    t0 = time.monotonic()
    prepared = guarded(job, t0, lambda: prepare_video(job, _worker_progress, t0))
    if isinstance(prepared, VideoResult):
        return prepared
    if _COMPLETING is not None:
        _COMPLETING.result()
    _COMPLETING = _COMPLETER.submit(_complete_and_send, job, prepared, t0)
    return Deferred(job.slug)


def _complete_and_send(job: Job, prepared: Prepared, t0: float) -> None:
    _crash_here(job, "complete")
    try:
        result = guarded(job, t0, lambda: complete_video(job, prepared))
    except OutputError as exc:  # the output folder is full: the parent stops the batch
        _WORKER_QUEUE.put(("fatal", job.slug, str(exc), 0))
        return
    _WORKER_QUEUE.put(("done", job.slug, result, 0))


# ============================================================================ in the parent
def run_parallel(jobs: Sequence[Job], workers: int, progress: Progress,
                 results: dict[str, VideoResult]) -> None:
    """Run jobs in spawned processes.

    Each worker overlaps two videos like the serial runner: it hands back a ``Deferred`` once
    a video's landmarks are done and finishes its analysis in a thread while the next video
    goes through the model; the result then comes as a message.

    If a worker dies (a native crash in a decoder or the model), every video that may have
    been in it becomes a suspect and is retried alone; a suspect that crashes again gets an
    error row. Each round either finishes a video or makes one a suspect, so this ends.
    """
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("spawn")
    pending = list(jobs)
    suspects: set[str] = set()
    by_slug = {j.slug: j for j in jobs}
    while pending:
        alone = [j for j in pending if j.slug in suspects]
        batch = alone[:1] if alone else list(pending)
        q = ctx.Queue()
        started: set[str] = set()
        books = Collector(pending, results, progress, by_slug)
        pool = ProcessPoolExecutor(max_workers=min(workers, len(batch)), mp_context=ctx,
                                   initializer=_worker_init, initargs=(q, os.getpid()))
        try:
            futures = {pool.submit(_worker_run, j): j for j in batch}
            broken = False
            while (futures or books.deferred) and not broken:
                done, _ = (wait(futures, timeout=0.1, return_when=FIRST_COMPLETED) if futures
                           else (set(), set()))
                for slug, result in _drain(q, progress, started, timeout=0 if futures else 0.1):
                    books.came_back(slug, result)
                for fut in done:
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        break
                    books.returned(futures.pop(fut), result)
                # With nothing queued, the executor does not notice a dead worker: look.
                broken = broken or _a_worker_died(pool)
            if broken:
                for slug, result in _drain(q, progress, started):
                    books.came_back(slug, result)
                unfinished = [j for j in batch if j in pending]
                known = [j for j in unfinished if j.slug in started]
                for job in known or unfinished:
                    if job.slug in suspects:
                        books.finished(job, _crash_result(job))
                    else:
                        suspects.add(job.slug)
        except (KeyboardInterrupt, OutputError):
            # Workers ignore Ctrl-C (no tracebacks from them); stop them here. Their files
            # are written atomically and a stopped worker deletes its temporary ones, so
            # nothing half-written stays behind.
            _terminate(pool)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        if broken:
            _terminate(pool)  # the survivors' videos are retried: no stray writer stays
        pool.shutdown(wait=True, cancel_futures=True)
        q.close()


class Collector:
    """The parent's books for one round of workers: a video is pending until its result is
    in; a video handed back as ``Deferred`` awaits its ``done`` message. The two come by
    different channels, so the message may arrive first."""

    def __init__(self, pending: list[Job], results: dict[str, VideoResult],
                 progress: Progress, by_slug: dict[str, Job]) -> None:
        self.pending, self.results, self.progress, self.by_slug = (pending, results,
                                                                   progress, by_slug)
        self.deferred: set[str] = set()

    def finished(self, job: Job, result: VideoResult) -> None:
        self.results[job.slug] = result
        self.progress.finish(job.slug, result)
        self.pending.remove(job)

    def returned(self, job: Job, result: VideoResult | Deferred) -> None:
        """What a worker's call gave back."""
        if not isinstance(result, Deferred):
            self.finished(job, result)
        elif job in self.pending:  # else its result message came first
            self.deferred.add(job.slug)

    def came_back(self, slug: str, result: VideoResult) -> None:
        """A ``done`` message."""
        self.deferred.discard(slug)
        job = self.by_slug[slug]
        if job in self.pending:
            self.finished(job, result)


def _terminate(pool: Any, grace_s: float = 5.0) -> None:
    """Stop the pool's workers (SIGTERM: each deletes its temporary files and exits) and
    wait a little for them, so the caller's clean-up comes after theirs."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        proc.terminate()
    deadline = time.monotonic() + grace_s
    for proc in procs:
        proc.join(timeout=max(0.0, deadline - time.monotonic()))


def _a_worker_died(pool: Any) -> bool:
    """True if one of the pool's processes has exited (workers only exit at shutdown)."""
    procs = getattr(pool, "_processes", None) or {}
    return any(p.exitcode is not None for p in list(procs.values()))


def _drain(q: Any, progress: Progress, started: set[str], timeout: float = 0.0
           ) -> list[tuple[str, VideoResult]]:
    """Handle the workers' queued messages; return the finished videos ``(slug, result)``."""
    finished = []
    while True:
        try:
            kind, slug, a, b = q.get(timeout=timeout) if timeout else q.get_nowait()
        except queue.Empty:
            return finished
        except (EOFError, OSError):
            return finished
        timeout = 0.0  # wait only for the first message
        if kind == "start":
            started.add(slug)
        elif kind == "done":
            finished.append((slug, a))
        elif kind == "fatal":
            raise OutputError(a)
        else:
            progress.update(slug, a, b)


def _crash_result(job: Job) -> VideoResult:
    return error_result(job, f"{job.video}: the worker process crashed while reading or "
                        "analysing this file (a decoder or model failure); re-encode it as "
                        "H.264 MP4 and try again")


def worker_count(requested: int | str, videos: int) -> int:
    """Processes to use: ``auto`` is one per CPU core this process may use, at most one per
    video and MAX_AUTO_WORKERS; a number is taken as given (but not more than the videos)."""
    if requested == "auto":
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        requested = min(cores, MAX_AUTO_WORKERS)
    return max(1, min(int(requested), videos))
