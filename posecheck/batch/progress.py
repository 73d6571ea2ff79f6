"""Progress on the terminal (tqdm): one bar for the batch, one for each video in work."""

from __future__ import annotations

import threading
import time
from typing import Any

from posecheck.batch.jobs import VideoResult


class Progress:
    """An overall bar (videos, with frames per second) and one bar per running video."""

    def __init__(self, total_videos: int, enabled: bool, slots: int) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()  # updated from the prepare thread and the main thread
        self._bars: dict[str, Any] = {}
        self._free = list(range(1, slots + 1))
        self._slot: dict[str, int] = {}
        self._frames = 0
        self._t0 = time.monotonic()
        self.overall = None
        if enabled:
            from tqdm import tqdm

            self._tqdm = tqdm
            self.overall = tqdm(total=total_videos, desc="videos", unit="video", position=0,
                                dynamic_ncols=True, leave=True)

    def update(self, slug: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._update(slug, done, total)

    def _update(self, slug: str, done: int, total: int) -> None:
        bar = self._bars.get(slug)
        if bar is None:
            pos = self._free.pop(0) if self._free else len(self._slot) + 1
            self._slot[slug] = pos
            bar = self._bars[slug] = self._tqdm(total=total or None, desc=slug[:40],
                                                unit="frame", position=pos, leave=False,
                                                dynamic_ncols=True)
        if total and bar.total != total:
            bar.total = total
        step = done - bar.n
        if step > 0:
            self._frames += step
            bar.update(step)
            elapsed = max(time.monotonic() - self._t0, 1e-6)
            self.overall.set_postfix_str(f"{self._frames / elapsed:.1f} frames/s", refresh=False)

    def finish(self, slug: str, result: VideoResult) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._finish(slug, result)

    def _finish(self, slug: str, result: VideoResult) -> None:
        bar = self._bars.pop(slug, None)
        if bar is not None:
            bar.close()
            self._free.append(self._slot.pop(slug))
            self._free.sort()
        self.overall.update(1)
        if not result.ok:
            self.overall.write(f"  error: {result.row['error']}")

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        if self.overall is not None:
            self.overall.close()
