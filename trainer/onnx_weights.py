"""Reads the weights (graph initializers) back out of an ONNX file, with nothing
but the standard library and numpy, so a new run can start from an exported
model (`train.py --init MODEL_DIR`): continued training, fine-tuning on
feedback. Only the few protobuf fields that hold initializers are decoded.

ModelProto.graph = 7; GraphProto.initializer = 5 (TensorProto) and node = 1;
TensorProto: dims = 1, data_type = 2, float_data = 4, int64_data = 7, name = 8,
raw_data = 9 (little-endian). NodeProto: output = 2, op_type = 4, attribute = 5
(AttributeProto: name = 1, t = 5): constants folded by the exporter.
"""
from __future__ import annotations

import numpy as np

_DTYPES = {1: np.float32, 6: np.int32, 7: np.int64, 10: np.float16, 11: np.float64, 9: np.bool_}


def _varint(b: memoryview, i: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        if not c & 0x80:
            return result, i
        shift += 7


def _fields(b: memoryview):
    """(field number, wire type, value) for each field of one message."""
    i, n = 0, len(b)
    while i < n:
        key, i = _varint(b, i)
        f, w = key >> 3, key & 7
        if w == 0:
            v, i = _varint(b, i)
        elif w == 1:
            v, i = b[i:i + 8], i + 8
        elif w == 2:
            ln, i = _varint(b, i)
            v, i = b[i:i + ln], i + ln
        elif w == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {w}")
        yield f, w, v


def _tensor(b: memoryview) -> tuple[str, np.ndarray]:
    dims: list[int] = []
    dtype, name, raw, floats, ints = 1, "", None, [], []
    for f, w, v in _fields(b):
        if f == 1:
            if w == 2:  # packed
                j = 0
                while j < len(v):
                    d, j = _varint(v, j)
                    dims.append(d)
            else:
                dims.append(v)
        elif f == 2:
            dtype = v
        elif f == 8:
            name = bytes(v).decode("utf-8")
        elif f == 9:
            raw = bytes(v)
        elif f == 4 and w == 2:
            floats.append(np.frombuffer(bytes(v), dtype="<f4"))
        elif f == 7 and w == 2:
            j = 0
            while j < len(v):
                d, j = _varint(v, j)
                ints.append(d - (1 << 64) if d >= 1 << 63 else d)
    if dtype not in _DTYPES:
        raise ValueError(f"tensor {name!r}: unsupported ONNX data type {dtype}")
    if raw is not None:
        arr = np.frombuffer(raw, dtype=np.dtype(_DTYPES[dtype]).newbyteorder("<")).copy()
    elif floats:
        arr = np.concatenate(floats).astype(np.float32)
    else:
        arr = np.asarray(ints, dtype=_DTYPES[dtype])
    return name, arr.reshape(dims)


def read_initializers(path: str) -> dict[str, np.ndarray]:
    """Every initializer of the ONNX file at `path`, by name."""
    with open(path, "rb") as f:
        data = memoryview(f.read())
    graph = next((v for f, w, v in _fields(data) if f == 7 and w == 2), None)
    if graph is None:
        raise ValueError(f"{path}: not an ONNX model (no graph)")
    out: dict[str, np.ndarray] = {}
    for f, w, v in _fields(graph):
        if f == 5 and w == 2:
            name, arr = _tensor(v)
            out[name] = arr
    return out
