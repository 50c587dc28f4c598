"""Read the pickled containers people trackers leave (joblib dumps, `np.save`d dicts) without running code.

joblib writes each NumPy array as a `joblib.numpy_pickle.NumpyArrayWrapper` record (subclass, shape, order,
dtype, alignment) and puts the raw array bytes into the file right after the record's BUILD opcode: after one
byte giving a padding length and that many padding bytes when the record has an alignment, none when it has
none; arrays of Python objects follow as a nested pickle instead. `joblib.dump(..., compress=n)` wraps the
whole stream in zlib (or gzip, bz2, xz). Here the record becomes an inert `_ArrayRecord`, the bytes are read
by this module, and every other class a file names must pass the house allowlist of `hsi.safe_pickle`
(plus `collections.defaultdict` of a builtin container, which WHAM's results dictionary is).
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import pickle
import zlib
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from ....hsi.errors import CaseError
from ....hsi.safe_pickle import find_safe_class

_CONTAINERS = {("builtins", "dict"): dict, ("builtins", "list"): list, ("collections", "defaultdict"): defaultdict}
_DECOMPRESSORS = (
    (b"\x1f\x8b", gzip.decompress),
    (b"BZh", bz2.decompress),
    (b"\xfd7zXZ", lzma.decompress),
    (b"\x78", zlib.decompress),
)
_NPY_HEADERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


class _ArrayRecord:
    """What a NumpyArrayWrapper stands for: the layout of the array whose bytes follow in the file."""

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict):
            raise pickle.UnpicklingError("array record without a state dictionary")
        self.shape = state.get("shape")
        self.order = state.get("order", "C")
        self.dtype = state.get("dtype")
        self.alignment = state.get("numpy_array_alignment_bytes")


class _JoblibUnpickler(pickle._Unpickler):
    """The pure-Python unpickler (its BUILD can be overridden) with the allowlist and joblib's array records."""

    dispatch = pickle._Unpickler.dispatch.copy()

    def __init__(self, stream: io.BytesIO) -> None:
        super().__init__(stream, encoding="latin1")
        self._stream = stream

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == ("joblib.numpy_pickle", "NumpyArrayWrapper"):
            return _ArrayRecord
        if (module, name) in _CONTAINERS:
            return _CONTAINERS[(module, name)]
        return find_safe_class(module, name)

    def load_build(self) -> None:
        super().load_build()
        if isinstance(self.stack[-1], _ArrayRecord):
            self.stack[-1] = self._array(self.stack[-1])

    dispatch[pickle.BUILD[0]] = load_build

    def _array(self, record: _ArrayRecord) -> np.ndarray:
        """The array whose bytes follow `record`, checked against the record before anything is read."""
        shape, dtype = record.shape, record.dtype
        if not isinstance(dtype, np.dtype) or record.order not in ("C", "F"):
            raise pickle.UnpicklingError("array record without a dtype or with an unknown order")
        if not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape):
            raise pickle.UnpicklingError(f"array record with a bad shape {shape!r}")
        if dtype.hasobject:  # a nested pickle, through the same restrictions
            return np.asarray(_JoblibUnpickler(self._stream).load())
        if record.alignment is not None:
            padding = self.read(1)
            if len(padding) != 1 or len(self.read(padding[0])) != padding[0]:
                raise pickle.UnpicklingError("file ends inside an array's padding")
        size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
        data = self.read(size) if size else b""
        if len(data) != size:
            raise pickle.UnpicklingError(f"file ends inside an array of shape {shape}")
        array = np.frombuffer(data, dtype=dtype).copy()
        return array.reshape(shape[::-1]).T if record.order == "F" else array.reshape(shape)


def load_joblib(path: Path) -> Any:
    """A `joblib.dump` file (compressed or not) or a plain pickle, restricted to arrays and containers."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise CaseError(path, "file", f"cannot read: {err.strerror or err}") from None
    try:
        for magic, decompress in _DECOMPRESSORS:
            if raw.startswith(magic):
                raw = decompress(raw)
                break
        return _JoblibUnpickler(io.BytesIO(raw)).load()
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as err:
        raise CaseError(path, "pickle", f"not a readable joblib / pickle file ({err})") from None
    except (pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError, KeyError) as err:
        raise CaseError(path, "pickle", f"not a safe array pickle ({err})") from None


def load_npy_object(path: Path) -> Any:
    """What `np.save` stored in a `.npy`: a plain array, or the object (a dict, say) of a pickled object array."""
    try:
        stream = io.BytesIO(path.read_bytes())
    except OSError as err:
        raise CaseError(path, "file", f"cannot read: {err.strerror or err}") from None
    try:
        version = np.lib.format.read_magic(stream)
        read_header = _NPY_HEADERS.get(version)
        if read_header is None:
            raise ValueError(f"unsupported .npy format version {version}")
        shape, _, dtype = read_header(stream)
        if not dtype.hasobject:
            stream.seek(0)
            return np.lib.format.read_array(stream, allow_pickle=False)
        array = np.asarray(_JoblibUnpickler(stream).load())
    except (ValueError, EOFError, OSError) as err:
        raise CaseError(path, "file", f"not a readable .npy file ({err})") from None
    except (pickle.UnpicklingError, AttributeError, ImportError, IndexError, TypeError, KeyError) as err:
        raise CaseError(path, "pickle", f"not a safe array pickle ({err})") from None
    if array.shape != shape:
        raise CaseError(path, "file", f"header says shape {shape}, the pickle holds {array.shape}")
    return array.item() if array.shape == () else array
