"""Signed distance and nearest surface point of many points to a triangle mesh, with Warp's BVH.

The sign comes from the generalised winding number, so it is right for closed meshes and degrades
gracefully on small holes; negative means inside.
"""

from __future__ import annotations

import numpy as np
import warp as wp


@wp.kernel
def _signed_distance(
    mesh: wp.uint64,
    points: wp.array(dtype=wp.vec3),
    max_distance: float,
    distance: wp.array(dtype=float),
    closest: wp.array(dtype=wp.vec3),
):
    tid = wp.tid()
    point = points[tid]
    query = wp.mesh_query_point_sign_winding_number(mesh, point, max_distance)
    if query.result:
        surface = wp.mesh_eval_position(mesh, query.face, query.u, query.v)
        distance[tid] = wp.length(point - surface) * query.sign
        closest[tid] = surface
    else:
        distance[tid] = max_distance
        closest[tid] = point


class MeshDistance:
    """A mesh kept on a Warp device for repeated point queries."""

    def __init__(self, vertices: np.ndarray, faces: np.ndarray, device: str = "cpu") -> None:
        self.device = device
        self._points = wp.array(np.asarray(vertices, dtype=np.float32), dtype=wp.vec3, device=device)
        self._indices = wp.array(np.asarray(faces, dtype=np.int32).reshape(-1), dtype=wp.int32, device=device)
        self.mesh = wp.Mesh(points=self._points, indices=self._indices, support_winding_number=True)

    def query(self, points: np.ndarray, max_distance: float = 1.0e3) -> tuple[np.ndarray, np.ndarray]:
        """(signed distance (N,), nearest surface point (N, 3)); points beyond `max_distance` get it, positive."""
        queries = wp.array(np.asarray(points, dtype=np.float32).reshape(-1, 3), dtype=wp.vec3, device=self.device)
        distance = wp.empty(len(queries), dtype=float, device=self.device)
        closest = wp.empty(len(queries), dtype=wp.vec3, device=self.device)
        wp.launch(
            _signed_distance, dim=len(queries), inputs=[self.mesh.id, queries, max_distance, distance, closest],
            device=self.device,
        )  # fmt: skip
        return distance.numpy().astype(np.float64), closest.numpy().astype(np.float64)
