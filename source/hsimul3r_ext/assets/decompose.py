"""Collision geometry: a set of convex hulls from CoACD, or one convex hull as a reported fallback.

Physics engines collide convex shapes robustly and fast; a concave chair as a single hull would fill
the space under its seat. CoACD cuts the solid into near-convex parts instead. Its input is the
repaired solid simplified to a face budget (still closed, see `simplify`): on fine, noisy surfaces its
run time and hull count grow with every small dent.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import trimesh

from .config import CoacdConfig
from .hull_cache import cache_key, load_hulls, store_hulls
from .simplify import coarse_solid


@dataclass
class Decomposition:
    """Convex hulls in the object's frame and how they were obtained, for `convert.json`."""

    hulls: list[trimesh.Trimesh]
    method: str  # "coacd" or "convex_hull"
    input_faces: int
    seconds: float
    cache_hit: bool = False
    fallback_reason: str | None = None  # why CoACD's result is not used; None when it is
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "hull_count": len(self.hulls),
            "hull_vertices": [len(hull.vertices) for hull in self.hulls],
            "input_faces": self.input_faces,
            "seconds": self.seconds,
            "cache_hit": self.cache_hit,
            "fallback_reason": self.fallback_reason,
            "notes": self.notes,
        }


def decompose(solid: trimesh.Trimesh, config: CoacdConfig) -> Decomposition:
    """Convex decomposition of `solid`, from the cache when the same input was decomposed before."""
    start = time.perf_counter()
    if not config.enabled:
        return _fallback(solid, start, "CoACD disabled (convert.coacd.enabled=false)")
    source = coarse_solid(solid, config.max_input_faces)
    parameters = config.run_kwargs()
    key = cache_key(source.vertices, source.faces, parameters)
    cache_dir = config.cache_path()
    parts = load_hulls(cache_dir, key)
    cache_hit = parts is not None
    if parts is None:
        try:
            parts = _run_coacd(source, parameters)
        except Exception as err:  # CoACD raises bare RuntimeErrors / ctypes errors on bad input
            return _fallback(solid, start, f"CoACD failed ({type(err).__name__}: {err})")
    hulls = [hull for hull in (_convex(vertices) for vertices, _ in parts) if hull is not None]
    if not hulls:
        return _fallback(solid, start, "CoACD returned no usable hull")
    result = Decomposition(hulls, "coacd", len(source.faces), 0.0, cache_hit=cache_hit)
    if not cache_hit:
        try:
            store_hulls(cache_dir, key, [(hull.vertices, hull.faces) for hull in hulls])
        except OSError as err:
            result.notes.append(f"decomposition not cached ({cache_dir}: {err.strerror or err})")
    result.seconds = time.perf_counter() - start
    return result


def _run_coacd(mesh: trimesh.Trimesh, parameters: dict[str, Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    import coacd

    coacd.set_log_level("error")
    parts = coacd.run_coacd(coacd.Mesh(np.asarray(mesh.vertices), np.asarray(mesh.faces)), **parameters)
    return [(np.asarray(vertices, dtype=np.float64), np.asarray(faces, dtype=np.int64)) for vertices, faces in parts]


def _convex(points: np.ndarray) -> trimesh.Trimesh | None:
    """The closed, outward convex hull of `points`, or None for a flat or degenerate set."""
    if len(points) < 4:
        return None
    try:
        hull = trimesh.convex.convex_hull(points)
    except Exception:  # qhull raises QhullError for coplanar / degenerate input
        return None
    return hull if hull.volume > 0 else None


def _fallback(solid: trimesh.Trimesh, start: float, reason: str) -> Decomposition:
    """One convex hull around the whole solid: collides, but fills concavities (under a seat, a table)."""
    hull = solid.convex_hull
    return Decomposition([hull], "convex_hull", len(solid.faces), time.perf_counter() - start, fallback_reason=reason)
