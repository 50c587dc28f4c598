"""Turn a raw object mesh into one closed, outward-oriented solid: the body mass and hulls come from it.

Reconstructed and ShapeNet-style meshes are open shells, loose parts that overlap (a seat box through
four leg boxes) and flipped patches. Each part is closed on its own (MeshFix fills its holes), oriented
outward, then all parts are united with an exact boolean (manifold3d), so overlaps count once in the
volume and the collision hulls see one surface. Every step taken is counted in the report.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import manifold3d
import numpy as np
import pymeshfix
import trimesh

from ..hsi.errors import CaseError
from .simplify import from_manifold, to_manifold


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
    repairs: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def repair_solid(
    mesh: trimesh.Trimesh, file: Path, min_piece_volume_fraction: float = 1e-3
) -> tuple[trimesh.Trimesh, RepairReport]:
    """The closed solid `mesh` describes, and the report; CaseError if it encloses no volume at all."""
    work = mesh.copy()
    work.merge_vertices()
    work.update_faces(work.nondegenerate_faces())
    work.update_faces(work.unique_faces())
    work.remove_unreferenced_vertices()
    parts = work.split(only_watertight=False, repair=False) if len(work.faces) else []
    report = RepairReport(
        faces_before=len(mesh.faces),
        watertight_before=bool(work.is_watertight),
        winding_consistent_before=bool(work.is_winding_consistent),
        parts_before=len(parts),
    )
    solids = [solid for solid in (_closed_part(part, report) for part in parts) if solid is not None]
    if not solids:
        raise CaseError(file, "mesh", "encloses no volume: every part is flat or degenerate, nothing to simulate")
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
    report.repairs = _summary(report)
    return solid, report


def _closed_part(part: trimesh.Trimesh, report: RepairReport) -> manifold3d.Manifold | None:
    """One connected part as a closed, outward manifold; None (counted as dropped) if it cannot be one."""
    if part.is_watertight:
        solid = _outward_solid(part, report)
        if solid is not None:
            return solid
    fixer = pymeshfix.MeshFix(np.asarray(part.vertices, dtype=np.float64), np.asarray(part.faces, dtype=np.int32))
    fixer.repair()
    fixed = trimesh.Trimesh(fixer.points, fixer.faces, process=False)
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
    done = []
    if report.parts_closed:
        done.append(f"closed {report.parts_closed} open or non-manifold part(s)")
    if report.parts_reoriented:
        done.append(f"fixed the orientation of {report.parts_reoriented} part(s)")
    if report.parts_dropped:
        done.append(f"dropped {report.parts_dropped} flat or degenerate part(s) that enclose no volume")
    if report.parts_merged:
        done.append(f"united {report.parts_merged} parts into one solid")
    if report.pieces_removed:
        done.append(f"removed {report.pieces_removed} sliver(s) or cavity(ies)")
    return done
