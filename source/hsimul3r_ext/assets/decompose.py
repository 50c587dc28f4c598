"""Collision geometry: a set of convex hulls from CoACD, else from cutting the solid into near-convex parts.

Physics engines collide convex shapes robustly and fast; a concave chair as a single hull would fill
the space under its seat. CoACD cuts the solid into near-convex parts instead. Its input is the
repaired solid simplified to a face budget (still closed, see `simplify`): on fine, noisy surfaces its
run time and hull count grow with every small dent. CoACD can abort inside C++ on real many-piece
shells, so every attempt runs in a child process (`native_child`), and a failed one is retried with
other settings; when all fail, plain plane cuts of the solid give the parts (one hull of the whole
object only as a last resort, reported).
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import manifold3d
import numpy as np
import trimesh

from .config import CoacdConfig
from .hull_cache import cache_key, load_failure, load_hulls, store_failure, store_hulls
from .native_child import run_in_child
from .simplify import coarse_solid, from_manifold, to_manifold

# What a decomposition step returns from its child: the face count of the mesh it decomposed, and one
# point set per part (each part's hull is taken here).
StepResult = tuple[int, list[np.ndarray]]
# Where the plane cuts of the fallback may fall along a part's bounding box, as fractions of its size.
_CUT_FRACTIONS = (0.25, 0.5, 0.75)
_MAX_FALLBACK_PARTS = 64  # when max_convex_hull is -1 (no limit)


@dataclass
class Attempt:
    """One try at the hulls, for `convert.json`."""

    method: str  # "coacd" or "convex_parts"
    parameters: dict[str, Any]
    outcome: str  # "ok", "cached", "failed", or "failed before" (remembered by the cache, not run again)
    seconds: float
    reason: str | None = None  # why it failed, e.g. "killed by SIGABRT (...)", "timed out after 180 s"
    hull_count: int = 0


@dataclass
class Decomposition:
    """Convex hulls in the object's frame and how they were obtained, for `convert.json`."""

    hulls: list[trimesh.Trimesh]
    method: str  # "coacd", "convex_parts" (CoACD failed) or "convex_hull" (one hull of the whole solid)
    input_faces: int
    seconds: float
    cache_hit: bool = False
    fallback_reason: str | None = None  # why CoACD's result is not used; None when it is
    notes: list[str] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)

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
            "attempts": [asdict(attempt) for attempt in self.attempts],
        }


def decompose(
    solid: trimesh.Trimesh,
    config: CoacdConfig,
    *,
    coacd_step: Callable[..., StepResult] | None = None,
    split_step: Callable[..., StepResult] | None = None,
) -> Decomposition:
    """Convex decomposition of `solid`: CoACD's attempts in order, then the plane-cut fallback; each result
    from the cache when the same solid was decomposed with the same settings before (no child then).

    `coacd_step` and `split_step` replace the functions run in the child (`coacd_parts`, `convex_parts`),
    e.g. by one that crashes (see `native_child.run_in_child` for what qualifies)."""
    start = time.perf_counter()
    if not config.enabled:
        return _single_hull(solid, config, start, "CoACD disabled (convert.coacd.enabled=false)")
    run = _Run(config, solid)
    for settings in config.attempts():
        parameters = {"max_input_faces": settings.max_input_faces, **settings.run_kwargs()}
        if run.attempt("coacd", coacd_step or coacd_parts, parameters):
            return run.decomposition("coacd", start)
    max_parts = config.max_convex_hull if config.max_convex_hull > 0 else _MAX_FALLBACK_PARTS
    parameters = {"max_input_faces": config.max_input_faces, "max_parts": max_parts, "max_excess": config.threshold}
    failed = f"CoACD failed on all {len(run.attempts)} attempt(s) (last: {run.attempts[-1].reason})"
    if run.attempt("convex_parts", split_step or convex_parts, parameters):
        result = run.decomposition("convex_parts", start)
        result.fallback_reason = f"{failed}; the solid cut into {len(result.hulls)} near-convex part(s) instead"
        return result
    return _single_hull(solid, config, start, f"{failed}, and so did cutting it into convex parts", run)


class _Run:
    """The attempts of one decomposition, and the hulls of the one that worked."""

    def __init__(self, config: CoacdConfig, solid: trimesh.Trimesh) -> None:
        self.cache_dir: Path = config.cache_path()
        self.time_limit_s = config.time_limit_s
        self.max_hull_vertices = config.max_ch_vertex
        self.vertices = np.asarray(solid.vertices, dtype=np.float64)
        self.faces = np.asarray(solid.faces, dtype=np.int64)
        self.attempts: list[Attempt] = []
        self.notes: list[str] = []
        self.hulls: list[trimesh.Trimesh] = []
        self.input_faces = 0
        self.cache_hit = False

    def attempt(self, method: str, step: Callable[..., StepResult], parameters: dict[str, Any]) -> bool:
        """`step(vertices, faces, **parameters)` in a child unless the cache knows the result; True if it gave hulls."""
        key = cache_key(self.vertices, self.faces, {"method": method, "step": _name(step), **parameters})
        cached = load_hulls(self.cache_dir, key)
        if cached is not None:
            self.hulls = [trimesh.Trimesh(v, f, process=False) for v, f in cached[0]]
            self.input_faces, self.cache_hit = cached[1], True
            self.attempts.append(Attempt(method, parameters, "cached", 0.0, hull_count=len(self.hulls)))
            return True
        known = load_failure(self.cache_dir, key)
        if known is not None:
            self.attempts.append(Attempt(method, parameters, "failed before", 0.0, reason=known))
            return False
        result = run_in_child(partial(step, **parameters), self.vertices, self.faces, time_limit_s=self.time_limit_s)
        reason = result.reason
        if result.ok:
            self.input_faces, point_sets = result.value
            hulls = (_convex(points, self.max_hull_vertices) for points in point_sets)
            self.hulls = [hull for hull in hulls if hull is not None]
            reason = None if self.hulls else "no usable hull (every part flat or degenerate)"
        outcome = "ok" if self.hulls else "failed"
        self.attempts.append(Attempt(method, parameters, outcome, result.seconds, reason, len(self.hulls)))
        try:
            if self.hulls:
                store_hulls(self.cache_dir, key, [(h.vertices, h.faces) for h in self.hulls], self.input_faces)
            elif result.ok or result.repeatable:  # timeouts and outside kills depend on the machine: not kept
                store_failure(self.cache_dir, key, reason)
        except OSError as err:
            self.notes.append(f"{method} result not cached ({self.cache_dir}: {err.strerror or err})")
        return bool(self.hulls)

    def decomposition(self, method: str, start: float) -> Decomposition:
        return Decomposition(
            self.hulls, method, self.input_faces, time.perf_counter() - start, self.cache_hit,
            notes=self.notes, attempts=self.attempts,
        )  # fmt: skip


def coacd_parts(vertices: np.ndarray, faces: np.ndarray, max_input_faces: int, **parameters: Any) -> StepResult:
    """CoACD (`parameters` as in `coacd.run_coacd`) on the solid simplified to `max_input_faces` (in the child)."""
    source = coarse_solid(trimesh.Trimesh(vertices, faces, process=False), max_input_faces)
    return len(source.faces), _coacd(np.asarray(source.vertices), np.asarray(source.faces), parameters)


def raw_coacd_hulls(vertices: np.ndarray, faces: np.ndarray, parameters: dict[str, Any]) -> list[np.ndarray]:
    """CoACD's hull vertices for a mesh as it is, unrepaired (the judge's independent reference; in a child)."""
    return [points for points in _coacd(vertices, faces, {"seed": 0, **parameters}) if len(points) >= 4]


def _coacd(vertices: np.ndarray, faces: np.ndarray, parameters: dict[str, Any]) -> list[np.ndarray]:
    """The vertices of each part `coacd.run_coacd` makes of the mesh."""
    import coacd

    coacd.set_log_level("error")
    parts = coacd.run_coacd(coacd.Mesh(vertices, faces), **parameters)
    return [np.asarray(part_vertices, dtype=np.float64) for part_vertices, _ in parts]


def convex_parts(
    vertices: np.ndarray, faces: np.ndarray, *, max_input_faces: int, max_parts: int, max_excess: float
) -> StepResult:
    """The solid's connected pieces, cut by axis-aligned planes while a piece's hull exceeds it by more than
    `max_excess` x the solid's volume, up to `max_parts` pieces (runs in the child).

    The worst piece is cut first, by the plane (three axes, three positions) whose halves have the least hull
    volume; a thin-legged chair loses its legs' surroundings within a few cuts. Disjoint pieces are never
    joined, so there may be more than `max_parts` of them."""
    source = coarse_solid(trimesh.Trimesh(vertices, faces, process=False), max_input_faces)
    solid = to_manifold(source)
    tolerance = max_excess * solid.volume()
    order = itertools.count()  # ties in the heap are broken by insertion order, never by comparing manifolds
    queue = [(-_excess(piece), next(order), piece) for piece in _pieces(solid)]
    heapq.heapify(queue)
    done: list[manifold3d.Manifold] = []
    while queue and len(queue) + len(done) < max_parts:
        excess, _, piece = heapq.heappop(queue)
        halves = _best_cut(piece) if -excess > tolerance else None
        if halves is None:
            done.append(piece)
            continue
        for half in halves:
            heapq.heappush(queue, (-_excess(half), next(order), half))
    parts = done + [piece for _, _, piece in queue]
    return len(source.faces), [np.asarray(from_manifold(part.hull()).vertices) for part in parts]


def _pieces(solid: manifold3d.Manifold) -> list[manifold3d.Manifold]:
    return [piece for piece in solid.decompose() if piece.volume() > 0]


def _excess(piece: manifold3d.Manifold) -> float:
    """How much space the piece's convex hull adds to it."""
    return piece.hull().volume() - piece.volume()


def _best_cut(piece: manifold3d.Manifold) -> list[manifold3d.Manifold] | None:
    """The pieces of `piece` after the axis-aligned cut that leaves the least hull volume; None if no cut splits it."""
    box = np.asarray(piece.bounding_box(), dtype=np.float64)
    low, high = box[:3], box[3:]
    best, best_volume = None, np.inf
    for axis, fraction in itertools.product(range(3), _CUT_FRACTIONS):
        normal = np.eye(3)[axis]
        halves = piece.split_by_plane(normal, low[axis] + fraction * (high[axis] - low[axis]))
        pieces = [part for half in halves for part in _pieces(half)]
        volume = sum(part.hull().volume() for part in pieces)
        if len(pieces) >= 2 and volume < best_volume:
            best, best_volume = pieces, volume
    return best


def _convex(points: np.ndarray, max_vertices: int) -> trimesh.Trimesh | None:
    """The closed, outward convex hull of `points` with at most `max_vertices` vertices (the farthest-spread
    subset of its vertices when it has more), or None for a flat or degenerate set."""
    if len(points) < 4:
        return None
    try:
        hull = trimesh.convex.convex_hull(points)
        if len(hull.vertices) > max_vertices:
            hull = trimesh.convex.convex_hull(_spread_subset(np.asarray(hull.vertices), max_vertices))
    except Exception:  # qhull raises QhullError for coplanar / degenerate input
        return None
    return hull if hull.volume > 0 else None


def _spread_subset(points: np.ndarray, count: int) -> np.ndarray:
    """`count` of `points` chosen one by one, each farthest from those chosen (farthest-point sampling)."""
    chosen = [int(np.argmax(np.linalg.norm(points - points.mean(axis=0), axis=1)))]
    distance = np.linalg.norm(points - points[chosen[0]], axis=1)
    for _ in range(count - 1):
        chosen.append(int(np.argmax(distance)))
        distance = np.minimum(distance, np.linalg.norm(points - points[chosen[-1]], axis=1))
    return points[chosen]


def _single_hull(
    solid: trimesh.Trimesh, config: CoacdConfig, start: float, reason: str, run: _Run | None = None
) -> Decomposition:
    """One convex hull around the whole solid: collides, but fills concavities (under a seat, a table)."""
    hull = _convex(np.asarray(solid.vertices), config.max_ch_vertex) or solid.convex_hull
    return Decomposition(
        [hull], "convex_hull", len(solid.faces), time.perf_counter() - start, fallback_reason=reason,
        notes=run.notes if run else [], attempts=run.attempts if run else [],
    )  # fmt: skip


def _name(step: Callable[..., Any]) -> str:
    return f"{step.__module__}.{step.__qualname__}"
