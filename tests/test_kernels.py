"""The Warp signed-distance kernel against trimesh (brute-force closest points) and analytic solids."""

from __future__ import annotations

import numpy as np
import trimesh

from hsimul3r_ext.kernels.mesh_distance import MeshDistance


def test_closest_points_match_brute_force_trimesh() -> None:
    mesh = trimesh.creation.icosphere(subdivisions=2, radius=0.3)
    points = np.random.default_rng(0).uniform(-0.6, 0.6, (500, 3))
    distance, closest = MeshDistance(mesh.vertices, mesh.faces).query(points)
    triangles = mesh.triangles
    expected = np.empty((len(points), 3))
    for i, point in enumerate(points):  # brute force over every triangle (trimesh.proximity needs rtree)
        candidates = trimesh.triangles.closest_point(triangles, np.tile(point, (len(triangles), 1)))
        expected[i] = candidates[np.argmin(np.linalg.norm(candidates - point, axis=1))]
    assert np.abs(np.abs(distance) - np.linalg.norm(expected - points, axis=1)).max() < 1e-5
    assert np.linalg.norm(closest - expected, axis=1).max() < 1e-5 * 10  # ties between faces at shared edges


def test_sign_matches_an_analytic_box() -> None:
    half = np.array([0.3, 0.2, 0.1])
    box = trimesh.creation.box(2 * half)
    points = np.random.default_rng(1).uniform(-0.5, 0.5, (2000, 3))
    distance, _ = MeshDistance(box.vertices, box.faces).query(points)
    inside = (np.abs(points) < half).all(axis=1)
    margin = np.min(np.abs(np.abs(points) - half), axis=1) > 1e-5  # points on the surface have no sign
    assert ((distance < 0) == inside)[margin].all()
    outside = np.linalg.norm(np.maximum(np.abs(points) - half, 0.0), axis=1)
    depth = np.min(half - np.abs(points), axis=1)
    assert np.abs(np.where(inside, -depth, outside) - distance).max() < 1e-5
