"""Fewer faces: a light visual mesh, and a coarse but still closed solid for the convex decomposition.

The two need different tools. Quadric decimation (fast-simplification) keeps the look at a face budget
but may open the surface; that is fine for drawing. CoACD instead needs a closed manifold, or it
voxelises the input first and its hulls swell (about 40 % extra volume on a chair in our measurements).
manifold3d's simplification keeps the solid closed; it takes a distance tolerance, not a face count,
so the tolerance grows until the budget is met, within a bound on the geometric error.
"""

from __future__ import annotations

import fast_simplification
import manifold3d
import numpy as np
import trimesh

# Tolerances tried for the solid, as fractions of its bounding-box diagonal: the last one bounds the error.
_FIRST_TOLERANCE = 1e-4
_LAST_TOLERANCE = 5e-3
_TOLERANCE_STEP = 1.5


def decimated(mesh: trimesh.Trimesh, max_faces: int) -> trimesh.Trimesh:
    """`mesh` reduced to about `max_faces` faces by quadric decimation; unchanged if already small."""
    if len(mesh.faces) <= max_faces:
        return mesh
    vertices, faces = fast_simplification.simplify(
        np.array(mesh.vertices, dtype=np.float64),  # a writable copy: the binding refuses read-only arrays
        np.array(mesh.faces, dtype=np.int32),
        target_count=max_faces,
    )
    return trimesh.Trimesh(vertices, faces, process=False)


def coarse_solid(solid: trimesh.Trimesh, max_faces: int) -> trimesh.Trimesh:
    """A closed simplification of the closed `solid` with at most `max_faces` faces where the error bound
    allows, else the fewest faces found within it."""
    if len(solid.faces) <= max_faces:
        return solid
    manifold = to_manifold(solid)
    diagonal = float(np.linalg.norm(solid.extents))
    best, tolerance = manifold, _FIRST_TOLERANCE
    while tolerance <= _LAST_TOLERANCE and best.num_tri() > max_faces:
        candidate = manifold.simplify(tolerance * diagonal)
        if candidate.num_tri() < best.num_tri():  # not monotonic in the tolerance on curved surfaces
            best = candidate
        tolerance *= _TOLERANCE_STEP
    return from_manifold(best)


def to_manifold(mesh: trimesh.Trimesh) -> manifold3d.Manifold:
    """A manifold3d solid from a closed, consistently oriented triangle mesh (check `.status()`)."""
    return manifold3d.Manifold(
        manifold3d.Mesh64(
            vert_properties=np.ascontiguousarray(mesh.vertices, dtype=np.float64),
            tri_verts=np.ascontiguousarray(mesh.faces, dtype=np.uint64),
        )
    )


def from_manifold(manifold: manifold3d.Manifold) -> trimesh.Trimesh:
    out = manifold.to_mesh64()
    vertices = np.array(out.vert_properties[:, :3], dtype=np.float64)  # a copy: manifold's buffer is read-only
    return trimesh.Trimesh(vertices, np.array(out.tri_verts, dtype=np.int64), process=False)
