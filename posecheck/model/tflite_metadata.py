"""Attach TFLite model metadata (input normalization, colour space) to a raw ``.tflite``.

MediaPipe's Tasks API reads how to turn pixels into the model's input tensor from the
model's own metadata. The raw models shipped in the npm package ``@mediapipe/pose`` carry
none, so ``PoseLandmarker`` refuses them. This module writes the minimum it needs:

- an ``ImageProperties`` content block (RGB) on the image input tensor,
- a ``NormalizationOptions`` process unit (``(pixel - mean) / std``),
- one (empty) ``TensorMetadata`` per remaining input and per output, so counts match.

The metadata is a ``ModelMetadata`` flatbuffer (file identifier ``M001``) stored as an extra
buffer of the model and referenced by a ``Metadata`` entry named ``TFLITE_METADATA``: the
same place TFLite's own metadata populator puts it. The flatbuffer schema modules that ship
inside mediapipe are used for both the model and the metadata.
"""

from __future__ import annotations

from dataclasses import dataclass

import flatbuffers
import numpy as np
from mediapipe.tasks.metadata import metadata_schema_py_generated as meta_fb
from mediapipe.tasks.metadata import schema_py_generated as model_fb

METADATA_FIELD_NAME = "TFLITE_METADATA"
MODEL_FILE_IDENTIFIER = b"TFL3"
METADATA_FILE_IDENTIFIER = b"M001"
# Oldest metadata parser that understands ImageProperties and NormalizationOptions.
MIN_PARSER_VERSION = "1.0.0"


@dataclass(frozen=True)
class ImageInputSpec:
    """How pixels map to the model's image input: ``(pixel - mean) / std`` per channel, RGB."""

    name: str
    mean: tuple[float, ...]
    std: tuple[float, ...]
    description: str = ""

    def __post_init__(self) -> None:
        if len(self.mean) != len(self.std) or not self.mean:
            raise ValueError(f"ImageInputSpec {self.name!r}: mean and std need the same, "
                             f"non-zero length (one value or one per channel)")
        if any(s == 0 for s in self.std):
            raise ValueError(f"ImageInputSpec {self.name!r}: std must not be 0")


# BlazePose detector: float input in [-1, 1].
POSE_DETECTOR_INPUT = ImageInputSpec("pose detector", mean=(127.5,), std=(127.5,),
                                     description="RGB image, (pixel - 127.5) / 127.5")
# BlazePose landmark model: float input in [0, 1].
POSE_LANDMARKER_INPUT = ImageInputSpec("pose landmarks detector", mean=(0.0,), std=(255.0,),
                                       description="RGB image, pixel / 255")


def has_metadata(model: bytes) -> bool:
    """True if the model already holds a ``TFLITE_METADATA`` entry."""
    m = _read_model(model)
    return any(m.Metadata(i).Name() == METADATA_FIELD_NAME.encode()
               for i in range(m.MetadataLength()))


def add_image_metadata(model: bytes, spec: ImageInputSpec) -> bytes:
    """Return ``model`` (a raw ``.tflite``) with image-input metadata attached.

    The first input tensor of subgraph 0 is the image. Any metadata already present under
    ``TFLITE_METADATA`` is replaced.

    Raises:
        ValueError: ``model`` is not a TFLite flatbuffer.
    """
    root = _read_model(model)
    if root.SubgraphsLength() < 1:
        raise ValueError("TFLite model has no subgraph")
    graph = root.Subgraphs(0)
    n_in, n_out = graph.InputsLength(), graph.OutputsLength()
    meta = _build_metadata(spec, _tensor_names(graph, "Inputs", n_in),
                           _tensor_names(graph, "Outputs", n_out))

    obj = model_fb.ModelT.InitFromObj(root)
    buf = model_fb.BufferT()
    buf.data = np.frombuffer(meta, dtype=np.uint8)
    obj.buffers = list(obj.buffers or [])
    obj.metadata = list(obj.metadata or [])
    for entry in obj.metadata:
        if _text(entry.name) == METADATA_FIELD_NAME:
            obj.buffers[entry.buffer] = buf
            break
    else:
        obj.buffers.append(buf)
        entry = model_fb.MetadataT()
        entry.name = METADATA_FIELD_NAME
        entry.buffer = len(obj.buffers) - 1
        obj.metadata.append(entry)

    builder = flatbuffers.Builder(len(model) + len(meta) + 1024)
    builder.Finish(obj.Pack(builder), MODEL_FILE_IDENTIFIER)
    return bytes(builder.Output())


def read_normalization(model: bytes) -> tuple[tuple[float, ...], tuple[float, ...]] | None:
    """``(mean, std)`` of the first input's NormalizationOptions, or ``None`` if absent."""
    root = _read_model(model)
    for i in range(root.MetadataLength()):
        entry = root.Metadata(i)
        if entry.Name() != METADATA_FIELD_NAME.encode():
            continue
        data = root.Buffers(entry.Buffer()).DataAsNumpy().tobytes()
        md = meta_fb.ModelMetadataT.InitFromObj(
            meta_fb.ModelMetadata.GetRootAsModelMetadata(data, 0))
        for unit in md.subgraphMetadata[0].inputTensorMetadata[0].processUnits or []:
            if unit.optionsType == meta_fb.ProcessUnitOptions.NormalizationOptions:
                return (tuple(float(v) for v in unit.options.mean),
                        tuple(float(v) for v in unit.options.std))
    return None


# ---------------------------------------------------------------------------- internals
def _read_model(model: bytes) -> "model_fb.Model":
    if len(model) < 8 or model[4:8] != MODEL_FILE_IDENTIFIER:
        raise ValueError("not a TFLite model (flatbuffer identifier TFL3 missing)")
    return model_fb.Model.GetRootAsModel(model, 0)


def _tensor_names(graph: "model_fb.SubGraph", which: str, count: int) -> list[str]:
    index_of = getattr(graph, which)
    return [_text(graph.Tensors(index_of(i)).Name()) for i in range(count)]


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _build_metadata(spec: ImageInputSpec, inputs: list[str], outputs: list[str]) -> bytes:
    norm = meta_fb.NormalizationOptionsT()
    norm.mean = list(spec.mean)
    norm.std = list(spec.std)
    unit = meta_fb.ProcessUnitT()
    unit.optionsType = meta_fb.ProcessUnitOptions.NormalizationOptions
    unit.options = norm

    props = meta_fb.ImagePropertiesT()
    props.colorSpace = meta_fb.ColorSpaceType.RGB
    content = meta_fb.ContentT()
    content.contentPropertiesType = meta_fb.ContentProperties.ImageProperties
    content.contentProperties = props

    image = meta_fb.TensorMetadataT()
    image.name = inputs[0] if inputs else "image"
    image.description = spec.description
    image.content = content
    image.processUnits = [unit]

    sub = meta_fb.SubGraphMetadataT()
    sub.inputTensorMetadata = [image] + [_plain_tensor(n) for n in inputs[1:]]
    sub.outputTensorMetadata = [_plain_tensor(n) for n in outputs]

    md = meta_fb.ModelMetadataT()
    md.name = spec.name
    md.description = f"{spec.name} with input metadata added by posecheck"
    md.subgraphMetadata = [sub]
    md.minParserVersion = MIN_PARSER_VERSION

    builder = flatbuffers.Builder(1024)
    builder.Finish(md.Pack(builder), METADATA_FILE_IDENTIFIER)
    return bytes(builder.Output())


def _plain_tensor(name: str) -> "meta_fb.TensorMetadataT":
    t = meta_fb.TensorMetadataT()
    t.name = name
    return t
