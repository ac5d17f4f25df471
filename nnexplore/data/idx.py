"""Reader for the IDX format that MNIST is published in.

An IDX file is: two zero bytes, one byte for the element type, one byte for
the number of dimensions, then each dimension as a big-endian uint32, then the
data in row-major order, big-endian. Files are usually gzipped; we look at the
first two bytes (the gzip magic) rather than trusting the file name.
"""

from __future__ import annotations

import gzip
import zlib
from os import PathLike
from pathlib import Path

import numpy as np
import torch

GZIP_MAGIC = b"\x1f\x8b"

# IDX type code -> (big-endian numpy dtype, native numpy dtype)
_IDX_TYPES: dict[int, tuple[str, str]] = {
    0x08: (">u1", "u1"),
    0x09: (">i1", "i1"),
    0x0B: (">i2", "i2"),
    0x0C: (">i4", "i4"),
    0x0D: (">f4", "f4"),
    0x0E: (">f8", "f8"),
}


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"{path.name} is not a valid gzip file (damaged or cut short): {exc}") from exc


def read_idx(path: str | PathLike[str]) -> torch.Tensor:
    """Read an IDX file (gzipped or not) into a tensor of its declared shape.

    Raises ValueError with a plain message if the file is not IDX or its data
    is shorter or longer than its header says.
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise ValueError(f"{path.name} is not an IDX file (its first bytes are not an IDX header).")
    type_code, ndim = data[2], data[3]
    if type_code not in _IDX_TYPES:
        raise ValueError(f"{path.name} has an unknown IDX element type code 0x{type_code:02x}.")
    header_len = 4 + 4 * ndim
    if len(data) < header_len:
        raise ValueError(f"{path.name} is cut short: its header lists {ndim} dimensions.")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    big_endian, native = _IDX_TYPES[type_code]
    itemsize = np.dtype(big_endian).itemsize
    expected = int(np.prod(shape, dtype=np.int64)) * itemsize
    actual = len(data) - header_len
    if actual != expected:
        what = "cut short" if actual < expected else "longer than its header says"
        raise ValueError(
            f"{path.name} is {what}: the header promises {expected} bytes of data "
            f"for shape {shape}, the file holds {actual}."
        )
    array = np.frombuffer(data, dtype=big_endian, offset=header_len).astype(native).reshape(shape)
    return torch.from_numpy(array)
