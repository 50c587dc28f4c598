"""On-disk cache of convex decompositions, keyed by the decomposed mesh's content and the parameters.

CoACD takes seconds to a minute per object and is deterministic for a given seed, so a re-run of a
stage (or of the whole pipeline after the judge changed only the motion) must not pay it again.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

_FORMAT = b"hsimul3r-coacd-cache-1"


def cache_key(vertices: np.ndarray, faces: np.ndarray, parameters: dict[str, Any]) -> str:
    """sha256 of the mesh arrays, the decomposition parameters and the CoACD version."""
    digest = hashlib.sha256(_FORMAT)
    digest.update(version("coacd").encode())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    digest.update(np.ascontiguousarray(vertices, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(faces, dtype=np.int64).tobytes())
    return digest.hexdigest()


def load_hulls(cache_dir: Path, key: str) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """The cached hulls as (vertices, faces) pairs, or None when absent or unreadable."""
    path = cache_dir / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            vertices, faces = data["vertices"], data["faces"]
            vertex_ends, face_ends = np.cumsum(data["vertex_counts"]), np.cumsum(data["face_counts"])
    except (OSError, KeyError, ValueError):
        return None
    vertex_starts = np.concatenate([[0], vertex_ends[:-1]])
    face_starts = np.concatenate([[0], face_ends[:-1]])
    return [
        (vertices[v0:v1], faces[f0:f1])
        for v0, v1, f0, f1 in zip(vertex_starts, vertex_ends, face_starts, face_ends, strict=True)
    ]


def store_hulls(cache_dir: Path, key: str, hulls: list[tuple[np.ndarray, np.ndarray]]) -> Path:
    """Write the hulls under `key` atomically (a concurrent reader sees the old file or the new one)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{key}.", suffix=".npz", dir=cache_dir)
    try:
        with os.fdopen(handle, "wb") as stream:
            np.savez(
                stream,
                vertices=np.concatenate([v for v, _ in hulls]).astype(np.float64),
                faces=np.concatenate([f for _, f in hulls]).astype(np.int32),
                vertex_counts=np.array([len(v) for v, _ in hulls]),
                face_counts=np.array([len(f) for _, f in hulls]),
            )
        os.chmod(temporary, 0o644)  # mkstemp makes it private; cache entries are plain shared data
        path = cache_dir / f"{key}.npz"
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
