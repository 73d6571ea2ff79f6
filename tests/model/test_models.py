"""Model provisioning: metadata writer, bundle checks, fallback build, tampered caches."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from posecheck.model import provision as models
from posecheck.model import tflite_metadata as tm
from posecheck.core.errors import ModelError

UNREACHABLE = "http://127.0.0.1:9/{name}.task"  # discard port: connection refused at once


@pytest.fixture(scope="module")
def npm_inputs(real_lite) -> dict[str, bytes]:
    """Raw detector and lite landmark models from the (real) cached npm tarball."""
    tarball = real_lite.parent / models.NPM_TARBALL
    if not tarball.is_file():
        pytest.skip("the lite bundle came from the official URL; no npm tarball cached")
    return models._extract_checked(tarball, [models.NPM_DETECTOR, "pose_landmark_lite.tflite"])


@pytest.fixture(scope="module")
def real_lite() -> Path:
    """The real cached lite bundle (built once, reused by every test that only reads it)."""
    return models.resolve_model("lite", progress=False)


@pytest.fixture
def model_dir(tmp_path, monkeypatch) -> Path:
    """An empty model cache whose official URL cannot be reached."""
    d = tmp_path / "models"
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(d))
    monkeypatch.setenv(models.ENV_OFFICIAL_URL, UNREACHABLE)
    return d


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


# ---------------------------------------------------------------------------- metadata
def test_raw_npm_models_have_no_metadata_and_gain_it(npm_inputs):
    raw = npm_inputs[models.NPM_DETECTOR]
    assert not tm.has_metadata(raw)
    out = tm.add_image_metadata(raw, tm.POSE_DETECTOR_INPUT)
    assert tm.has_metadata(out)
    assert tm.read_normalization(out) == ((127.5,), (127.5,))


def test_metadata_is_replaced_not_duplicated(npm_inputs):
    once = tm.add_image_metadata(npm_inputs["pose_landmark_lite.tflite"], tm.POSE_DETECTOR_INPUT)
    twice = tm.add_image_metadata(once, tm.POSE_LANDMARKER_INPUT)
    root = tm._read_model(twice)
    names = [root.Metadata(i).Name() for i in range(root.MetadataLength())]
    assert names.count(tm.METADATA_FIELD_NAME.encode()) == 1
    assert tm.read_normalization(twice) == ((0.0,), (255.0,))


def test_metadata_writer_rejects_non_tflite_bytes():
    with pytest.raises(ValueError, match="TFL3"):
        tm.add_image_metadata(b"PK\x03\x04 definitely not a model", tm.POSE_DETECTOR_INPUT)


def test_image_input_spec_validates():
    with pytest.raises(ValueError, match="std"):
        tm.ImageInputSpec("x", mean=(0.0,), std=(0.0,))


def test_bundle_with_metadata_is_accepted_by_pose_landmarker(npm_inputs, tmp_path):
    bundle = write_zip(tmp_path / "b.task", {
        "pose_detector.tflite": tm.add_image_metadata(npm_inputs[models.NPM_DETECTOR],
                                                      tm.POSE_DETECTOR_INPUT),
        "pose_landmarks_detector.tflite": tm.add_image_metadata(
            npm_inputs["pose_landmark_lite.tflite"], tm.POSE_LANDMARKER_INPUT)})
    models._verify_bundle(bundle)  # raises ModelError if MediaPipe refuses it


def test_bundle_without_metadata_is_refused(npm_inputs, tmp_path):
    bundle = write_zip(tmp_path / "raw.task", {
        "pose_detector.tflite": npm_inputs[models.NPM_DETECTOR],
        "pose_landmarks_detector.tflite": npm_inputs["pose_landmark_lite.tflite"]})
    with pytest.raises(ModelError, match="refused"):
        models._verify_bundle(bundle)


# ---------------------------------------------------------------------------- user bundles
def test_user_bundle_missing_file_names_it(tmp_path):
    with pytest.raises(ModelError, match="nope.task.*does not exist.*--model"):
        models.resolve_model(str(tmp_path / "nope.task"))


def test_user_bundle_not_a_zip(tmp_path):
    p = tmp_path / "fake.task"
    p.write_text("hello")
    with pytest.raises(ModelError, match="fake.task.*not a zip"):
        models.resolve_model(str(p))


def test_user_bundle_with_wrong_members(tmp_path):
    p = write_zip(tmp_path / "wrong.task", {"pose_detector.tflite": b"x", "other.tflite": b"y"})
    with pytest.raises(ModelError, match="wrong.task.*pose_landmarks_detector.tflite"):
        models.resolve_model(str(p))


def test_user_bundle_that_is_good_is_returned_as_is(real_lite):
    assert models.resolve_model(str(real_lite)) == real_lite.resolve()


def test_unknown_variant_is_a_model_error():
    with pytest.raises(ModelError, match="lite, full, heavy"):
        models.bundle_path("medium")


def test_model_label():
    assert models.model_label("full") == "full"
    assert models.model_label("/x/my_pose.task") == "my_pose"


# ---------------------------------------------------------------------------- provisioning
def test_nothing_works_gives_one_error_listing_attempts_and_the_manual_fix(model_dir, tmp_path,
                                                                         monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no npm
    with pytest.raises(ModelError) as info:
        models.resolve_model("lite", progress=False)
    text = str(info.value)
    assert "127.0.0.1:9" in text and "npm" in text and "--model" in text
    assert not list(model_dir.glob("*.task")), "nothing half-written may be left"


def test_cached_bundle_is_reused_without_rebuilding(real_lite, model_dir, monkeypatch):
    # Seed the temporary cache with a copy of the real, known-good lite bundle.
    real = real_lite
    model_dir.mkdir()
    shutil.copy(real, model_dir / real.name)
    shutil.copy(models._record_path(real), models._record_path(model_dir / real.name))
    monkeypatch.setattr(models, "_provision", lambda *a, **k: pytest.fail("rebuilt"))
    assert models.resolve_model("lite") == model_dir / real.name


@pytest.mark.slow
def test_offline_fallback_builds_then_tampering_is_detected_and_rebuilt(model_dir):
    path = models.resolve_model("lite", progress=False)  # official URL refused -> npm
    info = models.bundle_info(path)
    assert "npm" in info["source"] and info["sha256"] == models.sha256_file(path)
    assert (model_dir / models.NPM_TARBALL).is_file(), "tarball kept for the other variants"
    good = path.read_bytes()

    # 1. flipped bytes inside the bundle
    data = bytearray(good)
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert not models.cached_bundle_ok(path)
    assert models.resolve_model("lite", progress=False).read_bytes() == good

    # 2. a zip with the wrong member, its checksum recorded as if it were right
    write_zip(path, {"pose_detector.tflite": b"x", "something_else.tflite": b"y"})
    record = json.loads(models._record_path(path).read_text())
    record["sha256"] = models.sha256_file(path)
    models._record_path(path).write_text(json.dumps(record))
    assert not models.cached_bundle_ok(path)
    assert models.resolve_model("lite", progress=False).read_bytes() == good

    # 3. wrong checksum recorded beside an intact bundle
    record = json.loads(models._record_path(path).read_text())
    record["sha256"] = "0" * 64
    models._record_path(path).write_text(json.dumps(record))
    assert not models.cached_bundle_ok(path)
    models.resolve_model("lite", progress=False)
    assert models.cached_bundle_ok(path)


def test_tampered_npm_input_is_rejected_and_nothing_installed(model_dir, tmp_path, monkeypatch):
    src = Path(models.DEFAULT_MODEL_DIR).expanduser() / models.NPM_TARBALL
    if not src.is_file():
        pytest.skip("no real npm tarball cached")
    model_dir.mkdir()
    wanted = {"package/pose_landmark_lite.tflite", "package/" + models.NPM_DETECTOR}
    with tarfile.open(src, "r:gz") as tin, \
            tarfile.open(model_dir / models.NPM_TARBALL, "w:gz", compresslevel=1) as tout:
        for member in tin.getmembers():
            if member.name not in wanted:
                continue
            data = bytearray(tin.extractfile(member).read())
            if "landmark" in member.name:
                data[1000] ^= 0xFF  # one flipped byte
            tout.addfile(member, io.BytesIO(bytes(data)))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # so the re-fetch cannot happen
    with pytest.raises(ModelError, match=r"pose_landmark_lite.tflite .*SHA-256"):
        models._extract_checked(model_dir / models.NPM_TARBALL, ["pose_landmark_lite.tflite"])
    with pytest.raises(ModelError, match="npm"):
        models.resolve_model("lite", progress=False)
    assert not (model_dir / "pose_landmarker_lite.task").exists()


def test_cli_models_reports_the_cached_path(capsys):
    from posecheck.cli import main

    assert main(["models", "lite", "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "lite:" in captured.out and "pose_landmarker_lite.task" in captured.out
    assert captured.err == ""  # --quiet: no progress


def test_sha256_of_known_bytes(tmp_path):
    p = tmp_path / "abc"
    p.write_bytes(b"abc")
    assert models.sha256_file(p) == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")  # FIPS 180-2 example


def test_npm_pins_cover_all_variants():
    for name in models.VARIANTS:
        assert f"pose_landmark_{name}.tflite" in models.NPM_SHA256
    assert models.NPM_DETECTOR in models.NPM_SHA256
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in models.NPM_SHA256.values())


@pytest.fixture
def http_dir(tmp_path):
    """A local HTTP server over a temporary folder; yields (folder, url template)."""
    import functools
    import http.server
    import threading

    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/pose_landmarker_{{name}}.task"
    server.shutdown()
    server.server_close()


def test_official_download_is_used_when_reachable(real_lite, http_dir, model_dir, monkeypatch):
    root, url = http_dir
    shutil.copy(real_lite, root / "pose_landmarker_lite.task")
    monkeypatch.setenv(models.ENV_OFFICIAL_URL, url)
    path = models.resolve_model("lite", progress=False)
    assert models.bundle_info(path)["source"].startswith("official")
    assert path.read_bytes() == real_lite.read_bytes()
    assert not (model_dir / models.NPM_TARBALL).exists(), "no fallback needed"


def test_a_broken_download_is_not_installed(http_dir, model_dir, tmp_path, monkeypatch):
    root, url = http_dir
    (root / "pose_landmarker_lite.task").write_bytes(b"<html>captive portal</html>")
    monkeypatch.setenv(models.ENV_OFFICIAL_URL, url)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # and no fallback either
    with pytest.raises(ModelError, match="not a zip") as info:
        models.resolve_model("lite", progress=False)
    assert "--model" in str(info.value)
    assert not (model_dir / "pose_landmarker_lite.task").exists()


def test_cli_models_defaults_to_lite(capsys):
    from posecheck.cli import main

    assert main(["models", "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("lite:")


def test_cli_models_rejects_an_unknown_variant(capsys):
    from posecheck.cli import main

    with pytest.raises(SystemExit) as info:
        main(["models", "medium"])
    assert info.value.code == 2
    assert "unknown variant 'medium'" in capsys.readouterr().err


def test_unwritable_model_dir_is_a_model_error(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(blocker / "models"))
    with pytest.raises(ModelError, match=f"cannot write the model cache.*{models.ENV_MODEL_DIR}"):
        models.resolve_model("lite", progress=False)
