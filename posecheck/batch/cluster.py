"""``--executor ray``: videos analysed by actors on a Ray cluster (the optional ``ray`` extra).

Each actor (``VideoActor``, one CPU) lives for the whole batch: it imports MediaPipe and loads
the model once, then runs today's per-video work (``stages.analyze_video``) on one video at a
time, into a temporary folder of its own node. It hands back the files it made as bytes; the
driver (``run_ray``) resumes, writes every output with the same atomic writes as the other
runners and builds the summary rows, so nothing but the driver writes into ``--out``.

An actor that dies (a native crash, its node lost, killed) costs only the video it was on: that
video is retried once on another actor, and a video whose actor dies twice gets an error row,
as with ``--workers``. A replacement actor is started for each one lost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Sequence

from posecheck.io.files import atomic_write_bytes
from posecheck.batch.jobs import Job, VideoResult
from posecheck.batch.parallel import limit_threads, worker_count
from posecheck.batch.progress import Progress
from posecheck.batch.stages import GIL_SWITCH_S, analyze_video, error_result, resume_result
from posecheck.batch.summary import row_from_report
from posecheck.core import report_json
from posecheck.core.errors import PosecheckError

POLL_S = 0.25  # s between the driver's looks at the actors' progress
ACTOR_NAME = "posecheck-video-{}"  # named, so a test (or an operator) can find them


def ray_installed() -> bool:
    """True if the optional ``ray`` extra is importable (``posecheck doctor`` says so)."""
    import importlib.util

    return importlib.util.find_spec("ray") is not None


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise PosecheckError("--executor ray needs Ray: pip install 'posecheck[ray]'") from None
    return ray


# ============================================================================ on each node
class VideoActor:
    """One CPU of the cluster: analyses one video at a time and returns its files."""

    def __init__(self, model_name: str, model_sha256: str) -> None:
        from posecheck.model import provision as models
        from posecheck.model.landmarks import check_model

        limit_threads()
        sys.setswitchinterval(GIL_SWITCH_S)
        path = models.resolve_model(model_name, progress=False)
        if models.sha256_file(Path(path)) != model_sha256:
            raise PosecheckError(f"model {model_name} on this node ({path}) differs from the "
                                 "driver's; provision the same model on every node")
        check_model(path)  # loaded once here: a node that cannot run it fails at start
        self.model_path = str(path)
        self._lock = threading.Lock()
        self._progress: tuple[str, int, int] | None = None

    def pid(self) -> int:
        return os.getpid()

    def progress(self) -> tuple[str, int, int] | None:
        """(slug, frames done, frames total) of the video in work (answered while busy)."""
        with self._lock:
            return self._progress

    def _on_progress(self, slug: str, done: int, total: int) -> None:
        with self._lock:
            self._progress = (slug, done, total)

    def run(self, job: Job) -> tuple[VideoResult, dict[str, bytes]]:
        """Analyse ``job``'s video into a temporary folder; its result and files by name.

        The driver has already decided the video is not up to date, hence ``force``."""
        tmp = tempfile.mkdtemp(prefix="posecheck-ray-")
        try:
            local = replace(job, out_dir=tmp, force=True, model_path=self.model_path)
            self._on_progress(job.slug, 0, 0)
            try:
                result = analyze_video(local, self._on_progress)
            except PosecheckError as exc:  # this node's temporary folder is full
                result = error_result(local, f"{job.video}: {exc}")
            files = {p.name: p.read_bytes() for p in Path(tmp).iterdir()
                     if p.is_file() and not p.name.startswith(".")}
            return result, files
        finally:
            with self._lock:
                self._progress = None
            shutil.rmtree(tmp, ignore_errors=True)


# ============================================================================ in the driver
def connect(address: str | None, workers: int, verbose: bool) -> bool:
    """``ray.init``: join the cluster at ``address``, or start a local one of ``workers``
    CPUs. True if this call started (and so must stop) Ray."""
    ray = _import_ray()
    if ray.is_initialized():
        return False
    # Ray's own INFO and WARNING lines (start-up, token authentication) would break the
    # progress bars and --quiet; its errors still show.
    kwargs: dict[str, Any] = {"log_to_driver": verbose, "logging_level": "ERROR",
                              "include_dashboard": False, "configure_logging": True}
    if address is None and not os.environ.get("RAY_ADDRESS"):
        kwargs["num_cpus"] = workers
    try:
        ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise PosecheckError(f"--executor ray: cannot reach the Ray cluster at "
                             f"{address or 'RAY_ADDRESS'} ({exc}); start it with "
                             "`ray start --head`, and set RAY_AUTH_MODE=token when it uses "
                             "token authentication (docs/BATCH.md)") from None
    return True


def actor_count(requested: int | str, videos: int) -> int:
    """Actors to start: one per CPU of the cluster for ``auto``, else as asked; at most one
    per video."""
    ray = _import_ray()
    if requested == "auto":
        requested = int(ray.cluster_resources().get("CPU", 1))
    return max(1, min(int(requested), videos))


def run_ray(args: argparse.Namespace, jobs: Sequence[Job], progress: Progress,
            results: dict[str, VideoResult]) -> None:
    """Run ``jobs`` (largest first) on Ray actors, one per CPU; fill ``results``."""

    ray = _import_ray()
    started = connect(getattr(args, "address", None), worker_count(args.workers, len(jobs)),
                      getattr(args, "verbose", False))
    try:
        _schedule(ray, list(jobs), actor_count(args.workers, len(jobs)), progress, results)
    finally:
        if started:
            ray.shutdown()


class _Pool:
    """The driver's actors: started, ready (answered a ping) and busy with one job each."""

    def __init__(self, ray: Any, job: Job, size: int) -> None:
        self.ray = ray
        self.cls = ray.remote(num_cpus=1, max_concurrency=2)(VideoActor)
        self.args = (job.model_label if job.model_label in ("lite", "full", "heavy")
                     else job.model_path, job.model_sha256)
        self.count = 0
        self.lost_at_start = 0
        self.starting: dict[Any, Any] = {}   # ping ref -> actor
        self.idle: list[Any] = []
        self.busy: dict[Any, tuple[Any, Job]] = {}  # run ref -> (actor, job)
        for _ in range(size):
            self.start()

    def start(self) -> None:
        actor = self.cls.options(name=ACTOR_NAME.format(self.count)).remote(*self.args)
        self.count += 1
        self.starting[actor.pid.remote()] = actor

    def kill_all(self) -> None:
        for actor in [*self.starting.values(), *self.idle,
                      *(a for a, _ in self.busy.values())]:
            try:
                self.ray.kill(actor)
            except Exception:  # already gone
                pass


def _schedule(ray: Any, pending: list[Job], size: int, progress: Progress,
              results: dict[str, VideoResult]) -> None:
    from ray.exceptions import RayActorError, RayTaskError

    todo: list[Job] = []
    for job in pending:  # resume: up-to-date reports are decided here, not on a node
        done = resume_result(job)
        if done is not None:
            results[job.slug] = done
            progress.finish(job.slug, done)
        else:
            todo.append(job)
    if not todo:
        return
    pool = _Pool(ray, todo[0], min(size, len(todo)))
    suspects: set[str] = set()
    try:
        while todo or pool.busy:
            refs = list(pool.starting) + list(pool.busy)
            ready, _ = ray.wait(refs, num_returns=1, timeout=POLL_S)
            for ref in ready:
                if ref in pool.starting:
                    actor = pool.starting.pop(ref)
                    try:
                        ray.get(ref)
                    except RayTaskError as exc:  # the node cannot run the model
                        cause = exc.as_instanceof_cause()
                        raise PosecheckError(f"--executor ray: an actor failed to start: "
                                             f"{cause}") from None
                    except RayActorError:  # died while starting: try another, a few times
                        pool.lost_at_start += 1
                        if pool.lost_at_start > 2 * size:
                            raise PosecheckError("--executor ray: actors keep dying as they "
                                                 "start (see the nodes' Ray logs)") from None
                        pool.start()
                        continue
                    pool.idle.append(actor)
                    continue
                actor, job = pool.busy.pop(ref)
                try:
                    result, files = ray.get(ref)
                except RayActorError:  # the actor (or its node) died mid-video
                    pool.start()
                    if job.slug in suspects:
                        _finished(job, _lost_result(job), results, progress)
                    else:
                        suspects.add(job.slug)
                        todo.insert(0, job)  # next, on another actor
                    continue
                pool.idle.append(actor)
                _finished(job, _write_outputs(job, result, files), results, progress)
            while todo and pool.idle:
                actor = pool.idle.pop(0)
                job = todo.pop(0)
                pool.busy[actor.run.remote(job)] = (actor, job)
            _show_progress(ray, pool, progress)
    except BaseException:
        pool.kill_all()
        raise
    pool.kill_all()


def _show_progress(ray: Any, pool: _Pool, progress: Progress) -> None:
    from ray.exceptions import GetTimeoutError, RayError

    asks = [actor.progress.remote() for actor, _ in pool.busy.values()]
    for ask in asks:
        try:
            state = ray.get(ask, timeout=POLL_S)
        except (GetTimeoutError, RayError):
            continue
        if state is not None and state[2]:
            progress.update(*state)


def _finished(job: Job, result: VideoResult, results: dict[str, VideoResult],
              progress: Progress) -> None:
    results[job.slug] = result
    progress.finish(job.slug, result)


def _write_outputs(job: Job, result: VideoResult, files: dict[str, bytes]) -> VideoResult:
    """Write what the actor made into ``--out`` (atomically, the report last, as the other
    runners do) and rebuild the row against the real output folder."""
    report_name = job.report_path.name
    for name, data in sorted(files.items()):
        if name != report_name:
            atomic_write_bytes(Path(job.out_dir) / name, data)
    if report_name not in files:  # the actor could not even write the error report
        return error_result(job, result.row.get("error") or f"{job.video}: no report")
    atomic_write_bytes(job.report_path, files[report_name])
    report = report_json.from_json(files[report_name], source=str(job.report_path))
    return VideoResult(row=row_from_report(report, job), ok=result.ok, frames=result.frames,
                       seconds=result.seconds)


def _lost_result(job: Job) -> VideoResult:
    return error_result(job, f"{job.video}: the Ray actor analysing it died twice (a decoder "
                        "or model crash, or its node was lost); re-encode it as H.264 MP4 and "
                        "try again")
