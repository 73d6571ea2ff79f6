"""Uploads of the page's video path, checked before any decoding and kept on disk only while
they are analysed.

``saved_upload(upload)`` is a context manager: it refuses an empty upload, one larger than
``MAX_UPLOAD_MB`` and one whose first bytes are not a video container (whatever its name
says), streams it to a private temporary file, probes it (``VideoInfo``), refuses a clip
longer than ``MAX_UPLOAD_S``, yields the file's path and deletes the file on the way out,
also when the analysis fails. Every error is an ``UploadError`` (a ``VideoError``) whose
message names the uploaded file, not the temporary one, and says what to do.

No Streamlit inside: ``upload`` is anything with ``name`` and ``read`` (Streamlit's
``UploadedFile``, a file opened in binary mode, ``io.BytesIO`` with a ``name``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from posecheck.core.errors import VideoError
from posecheck.io.video import CONTAINER_SUFFIX, SNIFF_BYTES, VideoInfo, container_kind

MAX_UPLOAD_MB = 200  # MB (10**6 bytes); the largest upload the page accepts
MAX_UPLOAD_S = 600   # s; the longest clip the page analyses (longer: `posecheck analyze`)
TEMP_PREFIX = "posecheck-upload-"
_CHUNK = 1 << 20  # bytes copied at a time: the upload is not copied whole in memory again
_FORMATS = "MP4, MOV, WebM, MKV or AVI"

# What a file that is not a video looks like, for the message.
_NOT_VIDEO = ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
              (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a zip archive"),
              (b"ID3", "an MP3 audio file"), (b"fLaC", "a FLAC audio file"))


class UploadError(VideoError):
    """An upload the page cannot analyse; the message names the uploaded file and the fix."""


def describe(head: bytes) -> str:
    """What the first bytes of a non-video file look like ("text", "a PNG image", ...)."""
    for magic, what in _NOT_VIDEO:
        if head.startswith(magic):
            return what
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "a WAV audio file"
    try:
        head.decode("utf-8")
        return "text"
    except UnicodeDecodeError:
        return "unknown data"


def _size(upload: Any) -> int:
    size = getattr(upload, "size", None)
    if isinstance(size, int):
        return size
    pos = upload.tell()
    upload.seek(0, os.SEEK_END)
    end = upload.tell()
    upload.seek(pos)
    return end


@contextlib.contextmanager
def saved_upload(upload: Any, *, max_mb: float = MAX_UPLOAD_MB, max_s: float = MAX_UPLOAD_S,
                 tmp_dir: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """The upload as a checked video file on disk, deleted when the block ends.

    Raises:
        UploadError: empty, too large, not a video, unreadable, or too long; also any
            ``VideoError`` raised inside the block, renamed to the uploaded file.
    """
    name = Path(str(getattr(upload, "name", "") or "the upload")).name
    size = _size(upload)
    if size == 0:
        raise UploadError(f"{name} is empty (0 bytes); upload the file again")
    if size > max_mb * 1e6:
        raise UploadError(f"{name} is {size / 1e6:.0f} MB, more than the {max_mb:g} MB the "
                          "page takes; trim or compress it (e.g. 720p H.264), or use "
                          "`posecheck analyze` on the file")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    kind = container_kind(head)
    if not kind:
        raise UploadError(f"{name} is not a video file (its content is {describe(head)}); "
                          f"upload an {_FORMATS} video")
    # The suffix follows the content, never the name (a video named .jpg stays a video).
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=CONTAINER_SUFFIX[kind], dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(head)
            shutil.copyfileobj(upload, fh, _CHUNK)
        try:
            info = VideoInfo.from_path(tmp)
            if info.duration_s > max_s:
                raise UploadError(f"{name} lasts {info.duration_s:.0f} s, longer than the "
                                  f"{max_s:g} s the page analyses; trim it, or use "
                                  "`posecheck analyze` on the file")
            yield Path(tmp)
        except UploadError:
            raise
        except VideoError as exc:  # name the user's file, not our temporary copy
            raise UploadError(str(exc).replace(tmp, name)) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@contextlib.contextmanager
def video_file(video: Any, **limits: Any) -> Iterator[Path]:
    """A path as it is (a sample video), or an upload through :func:`saved_upload`."""
    if isinstance(video, (str, os.PathLike)):
        yield Path(video)
        return
    with saved_upload(video, **limits) as path:
        yield path
