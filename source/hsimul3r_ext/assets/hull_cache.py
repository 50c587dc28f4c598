"""On-disk cache of convex decompositions, keyed by the decomposed mesh's content and the parameters.

CoACD takes seconds to a minute per object and is deterministic for a given seed, so a re-run of a
stage (or of the whole pipeline after the judge changed only the motion) must not pay it again, nor
wait again for an attempt that crashed the same way before (a failure is remembered beside the hulls).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

_FORMAT = b"hsimul3r-coacd-cache-2"  # 2: keyed by the solid before simplification


def cache_key(vertices: np.ndarray, faces: np.ndarray, parameters: dict[str, Any]) -> str:
    """sha256 of the mesh arrays, the decomposition parameters and the CoACD version."""
    digest = hashlib.sha256(_FORMAT)
    digest.update(version("coacd").encode())
    digest.update(json.dumps(parameters, sort_keys=True).encode())
    digest.update(np.ascontiguousarray(vertices, dtype=np.float64).tobytes())
    digest.update(np.ascontiguousarray(faces, dtype=np.int64).tobytes())
    return digest.hexdigest()


def load_hulls(cache_dir: Path, key: str) -> tuple[list[tuple[np.ndarray, np.ndarray]], int] | None:
    """The cached hulls as (vertices, faces) pairs and the face count of the mesh they were made from,
    or None when absent or unreadable."""
    path = cache_dir / f"{key}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            vertices, faces = data["vertices"], data["faces"]
            vertex_ends, face_ends = np.cumsum(data["vertex_counts"]), np.cumsum(data["face_counts"])
            input_faces = int(data["input_faces"])
    except (OSError, KeyError, ValueError):
        return None
    vertex_starts = np.concatenate([[0], vertex_ends[:-1]])
    face_starts = np.concatenate([[0], face_ends[:-1]])
    hulls = [
        (vertices[v0:v1], faces[f0:f1])
        for v0, v1, f0, f1 in zip(vertex_starts, vertex_ends, face_starts, face_ends, strict=True)
    ]
    return hulls, input_faces


def store_hulls(cache_dir: Path, key: str, hulls: list[tuple[np.ndarray, np.ndarray]], input_faces: int) -> Path:
    """Write the hulls under `key` atomically (a concurrent reader sees the old file or the new one)."""

    def write(stream: BinaryIO) -> None:
        np.savez(
            stream,
            vertices=np.concatenate([v for v, _ in hulls]).astype(np.float64),
            faces=np.concatenate([f for _, f in hulls]).astype(np.int32),
            vertex_counts=np.array([len(v) for v, _ in hulls]),
            face_counts=np.array([len(f) for _, f in hulls]),
            input_faces=np.array(input_faces),
        )

    return _write_atomically(cache_dir, f"{key}.npz", write)


def load_failure(cache_dir: Path, key: str) -> str | None:
    """Why the decomposition keyed `key` failed before, or None when it did not (or is not known to)."""
    try:
        return json.loads((cache_dir / f"{key}.failed.json").read_text(encoding="utf-8"))["reason"]
    except (OSError, KeyError, TypeError, ValueError):
        return None


def store_failure(cache_dir: Path, key: str, reason: str) -> Path:
    """Remember that the decomposition keyed `key` fails, and why."""
    text = json.dumps({"reason": reason}).encode()
    return _write_atomically(cache_dir, f"{key}.failed.json", lambda stream: stream.write(text))


def _write_atomically(cache_dir: Path, name: str, write: Callable[[BinaryIO], object]) -> Path:
    cache_dir.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=cache_dir)
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; cache entries are plain shared data
        path = cache_dir / name
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
