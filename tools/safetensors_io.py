#!/usr/bin/python3
"""safetensors files with json and struct only, for the fixture scripts in tools/.

A file is an 8-byte little-endian header length, a JSON header (names, dtypes, shapes, byte
offsets, and "__metadata__" strings) padded with spaces to a multiple of 8 bytes, then the data of
each tensor in C order. This reader and writer are independent of shapelab's C code on purpose:
the fixtures check that code.
"""

import json
import struct
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8"}


def write_safetensors(path: Path, tensors: List[Tuple[str, np.ndarray]], metadata: Dict[str, str],
                      dtype: str = "F64", sort_keys: bool = True) -> None:
    """Write (name, array) pairs as `dtype` tensors, data in the given order; the header's keys
    sorted, or in the given order too with sort_keys=False.

    An array must already have that dtype: nothing is rounded here without the caller asking.
    """
    want = np.dtype(DTYPES[dtype])
    header: Dict[str, object] = {"__metadata__": dict(metadata)}
    blobs = []
    offset = 0
    for name, a in tensors:
        assert a.dtype == want, f"{name}: expected {want}, got {a.dtype}"
        data = np.ascontiguousarray(a, dtype=want).tobytes(order="C")
        header[name] = {"dtype": dtype, "shape": list(a.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, sort_keys=sort_keys, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)  # pad so the data section starts 8-aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for data in blobs:
            f.write(data)


def read_safetensors(path: Path) -> Tuple[Dict[str, str], Dict[str, np.ndarray]]:
    """Read a safetensors file (F32/F64 tensors), checking its layout. Keeps the file's order."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert n % 8 == 0, f"{path.name}: header length must be a multiple of 8"
    assert 8 + n <= len(raw), f"{path.name}: header longer than the file"
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items())
    spans = sorted((info["data_offsets"][0], info["data_offsets"][1], name) for name, info in header.items())
    pos = 0
    for begin, end, name in spans:
        assert begin == pos, f"{path.name}: gap or overlap before {name}"
        pos = end
    assert pos == len(data), f"{path.name}: trailing bytes after the last tensor"
    arrays = {}
    for name, info in header.items():  # json keeps the file's order
        dtype = np.dtype(DTYPES[info["dtype"]])
        begin, end = info["data_offsets"]
        count = int(np.prod(info["shape"], dtype=np.int64))
        assert end - begin == dtype.itemsize * count, f"{path.name}: {name} size does not match its shape"
        arrays[name] = np.frombuffer(data[begin:end], dtype=dtype).reshape(info["shape"]).copy()
    return metadata, arrays
