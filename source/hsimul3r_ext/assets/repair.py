"""Turn a raw object mesh into one closed, outward-oriented solid: the body mass and hulls come from it.

Reconstructed and ShapeNet-style meshes are open shells, loose parts that overlap (a seat box through
four leg boxes) and flipped patches. Each part is closed on its own (MeshFix fills its holes), oriented
outward, then all parts are united with an exact boolean (manifold3d), so overlaps count once in the
volume and the collision hulls see one surface. Every step taken is counted in the report. MeshFix and
manifold3d can abort inside C++, so the repair runs in a child process (`native_child`); when it dies, it
runs again with each open part closed by its convex hull instead of MeshFix, and says so.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import manifold3d
import numpy as np
import pymeshfix
import trimesh

from ..hsi.errors import CaseError
from .native_child import run_in_child
from .simplify import from_manifold, to_manifold

# Repairs take seconds here (a 28k-face chair 1 s, a 220-piece sofa shell 3 s): a child still busy after this hangs.
REPAIR_TIME_LIMIT_S = 300.0


@dataclass
class RepairReport:
    """What the input was and what was done to it, for `convert.json`."""

    faces_before: int
    watertight_before: bool
    winding_consistent_before: bool
    parts_before: int
    parts_closed: int = 0  # open or non-manifold parts MeshFix made closed
    parts_reoriented: int = 0  # closed parts whose winding was made consistent or turned outward
    parts_dropped: int = 0  # flat or degenerate parts that enclose no volume
    parts_merged: int = 0  # closed parts united into one solid
    pieces_removed: int = 0  # slivers and enclosed cavities left by the union
    pieces_after: int = 0  # disconnected solid pieces kept (1 for a well-connected object)
    faces_after: int = 0
    watertight_after: bool = False
    volume_m3: float = 0.0
    closed_with: str = "MeshFix"  # what closed the open parts
    native_failures: list[str] = field(default_factory=list)  # repairs that died before, and why
    repairs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def close_with_meshfix(part: trimesh.Trimesh) -> trimesh.Trimesh:
    """MeshFix's closed version of an open or non-manifold part (check `is_watertight`)."""
    fixer = pymeshfix.MeshFix(np.asarray(part.vertices, dtype=np.float64), np.asarray(part.faces, dtype=np.int32))
    fixer.repair()
    return trimesh.Trimesh(fixer.points, fixer.faces, process=False)


def close_with_convex_hull(part: trimesh.Trimesh) -> trimesh.Trimesh:
    """The part's convex hull: closed whatever the part, but fills its concavities; empty for a flat part."""
    try:
        return part.convex_hull
    except Exception:  # qhull raises QhullError for flat or degenerate input
        return trimesh.Trimesh()


Closer = tuple[str, Callable[[trimesh.Trimesh], trimesh.Trimesh]]


def repair_solid(
    mesh: trimesh.Trimesh,
    file: Path,
    min_piece_volume_fraction: float = 1e-3,
    *,
    closers: Sequence[Closer] = (("MeshFix", close_with_meshfix), ("convex hulls", close_with_convex_hull)),
    time_limit_s: float = REPAIR_TIME_LIMIT_S,
) -> tuple[trimesh.Trimesh, RepairReport]:
    """The closed solid `mesh` describes, and the report; CaseError if it encloses no volume at all, or if the
    repair dies in a child with each of `closers` (name, module-level function) closing the open parts."""
    vertices = np.asarray(mesh.vertices, dtype=np.float64)
    faces = np.asarray(mesh.faces, dtype=np.int64)
    failures = []
    for name, close in closers:
        result = run_in_child(_repaired, vertices, faces, min_piece_volume_fraction, close, time_limit_s=time_limit_s)
        if result.ok:
            break
        failures.append(f"repair with {name} failed ({result.reason})")
    else:
        raise CaseError(file, "mesh", "; ".join(failures) or "no way to close open parts was given")
    if result.value is None:
        raise CaseError(file, "mesh", "encloses no volume: every part is flat or degenerate, nothing to simulate")
    solid_vertices, solid_faces, report = result.value
    report.closed_with, report.native_failures = name, failures
    report.repairs = _summary(report)
    return trimesh.Trimesh(solid_vertices, solid_faces, process=False), report


def _repaired(
    vertices: np.ndarray,
    faces: np.ndarray,
    min_piece_volume_fraction: float,
    close: Callable[[trimesh.Trimesh], trimesh.Trimesh],
) -> tuple[np.ndarray, np.ndarray, RepairReport] | None:
    """The repair itself (runs in the child): the solid's arrays and the report, None if no part has volume."""
    work = trimesh.Trimesh(vertices, faces, process=False)
    work.merge_vertices()
    work.update_faces(work.nondegenerate_faces())
    work.update_faces(work.unique_faces())
    work.remove_unreferenced_vertices()
    parts = work.split(only_watertight=False, repair=False) if len(work.faces) else []
    report = RepairReport(
        faces_before=len(faces),
        watertight_before=bool(work.is_watertight),
        winding_consistent_before=bool(work.is_winding_consistent),
        parts_before=len(parts),
    )
    solids = [solid for solid in (_closed_part(part, close, report) for part in parts) if solid is not None]
    if not solids:
        return None
    union = solids[0]
    if len(solids) > 1:
        union = manifold3d.Manifold.batch_boolean(solids, manifold3d.OpType.Add)
        report.parts_merged = len(solids)
    pieces = union.decompose()
    largest = max(piece.volume() for piece in pieces)
    kept = [piece for piece in pieces if piece.volume() >= min_piece_volume_fraction * largest]
    report.pieces_removed = len(pieces) - len(kept)
    report.pieces_after = len(kept)
    if report.pieces_removed:
        union = manifold3d.Manifold.compose(kept)
    solid = from_manifold(union)
    report.faces_after = len(solid.faces)
    report.watertight_after = bool(solid.is_watertight and solid.is_winding_consistent and solid.volume > 0)
    report.volume_m3 = float(solid.volume)
    return np.asarray(solid.vertices), np.asarray(solid.faces), report


def _closed_part(
    part: trimesh.Trimesh, close: Callable[[trimesh.Trimesh], trimesh.Trimesh], report: RepairReport
) -> manifold3d.Manifold | None:
    """One connected part as a closed, outward manifold; None (counted as dropped) if it cannot be one."""
    if part.is_watertight:
        solid = _outward_solid(part, report)
        if solid is not None:
            return solid
    fixed = close(part)
    solid = _outward_solid(fixed, report) if len(fixed.faces) and fixed.is_watertight else None
    if solid is None:
        report.parts_dropped += 1
    else:
        report.parts_closed += 1
    return solid


def _outward_solid(part: trimesh.Trimesh, report: RepairReport) -> manifold3d.Manifold | None:
    """A closed part with consistent, outward winding as a manifold, or None if it encloses no volume."""
    reoriented = not part.is_winding_consistent
    if reoriented:
        trimesh.repair.fix_winding(part)
    if part.volume < 0:
        part.invert()
        reoriented = True
    solid = to_manifold(part)
    if solid.status() != manifold3d.Error.NoError or solid.is_empty() or solid.volume() <= 0:
        return None
    report.parts_reoriented += reoriented
    return solid


def _summary(report: RepairReport) -> list[str]:
    """One phrase per repair that happened, in the order they were done."""
    done = list(report.native_failures)
    if report.parts_closed:
        how = f" with {report.closed_with}" if report.native_failures else ""
        done.append(f"closed {report.parts_closed} open or non-manifold part(s){how}")
    if report.parts_reoriented:
        done.append(f"fixed the orientation of {report.parts_reoriented} part(s)")
    if report.parts_dropped:
        done.append(f"dropped {report.parts_dropped} flat or degenerate part(s) that enclose no volume")
    if report.parts_merged:
        done.append(f"united {report.parts_merged} parts into one solid")
    if report.pieces_removed:
        done.append(f"removed {report.pieces_removed} sliver(s) or cavity(ies)")
    return done
