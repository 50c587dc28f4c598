"""Read pickled arrays from other tools without letting the file run code.

`pickle.load` executes whatever callable a file names. This unpickler admits only the classes that
plain NumPy arrays, SciPy sparse matrices and builtin containers need; anything else is refused.
"""

from __future__ import annotations

import io
import pickle
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CaseError

_ALLOWED: set[tuple[str, str]] = {
    ("collections", "OrderedDict"),
    ("builtins", "object"),
    ("builtins", "slice"),
    ("builtins", "complex"),
    ("builtins", "set"),
    ("builtins", "frozenset"),
    ("copyreg", "_reconstructor"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy.core.numeric", "_frombuffer"),
    ("numpy._core.numeric", "_frombuffer"),
}
_ALLOWED_MODULE_PREFIXES = ("numpy.dtypes",)
_SPARSE = {"csc_matrix", "csr_matrix", "coo_matrix", "csc_array", "csr_array", "coo_array"}


def _storage_from_bytes(data: bytes) -> Any:
    """A torch storage as `pickle.dumps` of a tensor carries it (torch.save bytes), read with torch's own
    restricted loader instead of the `torch.load(weights_only=False)` the pickle names."""
    import torch

    return torch.load(io.BytesIO(data), weights_only=True)


def _tensor_from_storage(*args: Any) -> Any:
    from torch._utils import _rebuild_tensor_v2

    return _rebuild_tensor_v2(*args)


# Tensors pickled with the pickle module (HSfM keeps DUSt3R's network output so): rebuilt, never by a callable
# the file chooses.
_TORCH = {("torch.storage", "_load_from_bytes"): _storage_from_bytes,
          ("torch._utils", "_rebuild_tensor_v2"): _tensor_from_storage}  # fmt: skip


def find_safe_class(module: str, name: str) -> Any:
    """The class a pickle names, when it is one plain arrays and containers need; else UnpicklingError.
    Other restricted readers (joblib's array records) start from this allowlist."""
    if (module, name) in _TORCH:
        return _TORCH[module, name]
    allowed = (
        (module, name) in _ALLOWED
        or module.startswith(_ALLOWED_MODULE_PREFIXES)
        or (module.startswith("scipy.sparse") and name in _SPARSE)
    )
    if not allowed:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: only arrays are accepted")
    return pickle.Unpickler.find_class(_RESOLVER, module, name)


class _ArrayUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        return find_safe_class(module, name)


_RESOLVER = _ArrayUnpickler(io.BytesIO())  # resolves an allowed name the way pickle does


def load_pickle(path: str | Path) -> Any:
    """Unpickle a file that may only contain arrays, numbers, strings and containers."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            return _ArrayUnpickler(stream, encoding="latin1").load()
    except OSError as err:
        raise CaseError(path, "file", f"cannot read: {err.strerror or err}") from None
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, IndexError, TypeError, RuntimeError) as err:
        raise CaseError(path, "pickle", f"not a safe array pickle ({str(err).splitlines()[0]})") from None


def load_npz(path: str | Path) -> dict[str, np.ndarray]:
    """Load every array of an `.npz`; object arrays go through the restricted unpickler."""
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as err:
        raise CaseError(path, "file", f"not a readable .npz archive ({err})") from None
    arrays: dict[str, np.ndarray] = {}
    with archive:
        for member in archive.namelist():
            key = member.removesuffix(".npy")
            try:
                with archive.open(member) as raw:
                    stream = io.BytesIO(raw.read())
                dtype = _npy_dtype(stream)
                if dtype.hasobject:
                    arrays[key] = np.asarray(_ArrayUnpickler(stream, encoding="latin1").load())
                else:
                    stream.seek(0)
                    arrays[key] = np.lib.format.read_array(stream, allow_pickle=False)
            except (ValueError, pickle.UnpicklingError, EOFError, AttributeError, ImportError) as err:
                raise CaseError(path, key, f"cannot read array ({err})") from None
            except (zipfile.BadZipFile, zlib.error, OSError) as err:
                raise CaseError(path, key, f"corrupt archive member ({err})") from None
    return arrays


def _npy_dtype(stream: io.BytesIO) -> np.dtype:
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(stream)[2]
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(stream)[2]
    raise ValueError(f"unsupported .npy format version {version}")
