"""Depth and face-id images of triangle meshes seen by a pinhole camera (OpenCV axes), with Warp's BVH.

Observations of objects (mask, depth, what hides what) are rendered here for the generator's data, the
bundled examples' observations and the reverse pass's fidelity score alike.
"""

from __future__ import annotations

import numpy as np
import warp as wp

from ..hsi.observation import PinholeCamera


@wp.kernel
def _cast(
    mesh: wp.uint64,
    origin: wp.vec3,
    rotation: wp.mat33,
    fx: float,
    fy: float,
    cx: float,
    cy: float,
    width: int,
    max_depth: float,
    depth: wp.array(dtype=float),
    face: wp.array(dtype=wp.int32),
):
    tid = wp.tid()
    u = float(tid % width) + 0.5
    v = float(tid // width) + 0.5
    ray_camera = wp.vec3((u - cx) / fx, (v - cy) / fy, 1.0)  # z-depth 1 along the optical axis
    direction = rotation * ray_camera
    scale = wp.length(direction)
    query = wp.mesh_query_ray(mesh, origin, direction / scale, max_depth * scale)
    if query.result:
        depth[tid] = query.t / scale
        face[tid] = query.face
    else:
        depth[tid] = 0.0
        face[tid] = -1


def render(vertices: np.ndarray, faces: np.ndarray, camera: PinholeCamera, max_depth: float = 100.0):
    """(z-depth (H, W) in metres, 0 where nothing is hit; face index (H, W), -1 where nothing is hit)."""
    points = wp.array(np.asarray(vertices, dtype=np.float32), dtype=wp.vec3, device="cpu")
    indices = wp.array(np.asarray(faces, dtype=np.int32).reshape(-1), dtype=wp.int32, device="cpu")
    mesh = wp.Mesh(points=points, indices=indices)
    pixels = camera.width * camera.height
    depth = wp.empty(pixels, dtype=float, device="cpu")
    face = wp.empty(pixels, dtype=wp.int32, device="cpu")
    pose = np.asarray(camera.camera_to_world, dtype=np.float32)
    wp.launch(
        _cast, dim=pixels, device="cpu",
        inputs=[mesh.id, wp.vec3(*pose[:3, 3]), wp.mat33(*pose[:3, :3].reshape(-1)), camera.fx, camera.fy,
                camera.cx, camera.cy, camera.width, max_depth, depth, face],
    )  # fmt: skip
    shape = (camera.height, camera.width)
    return depth.numpy().reshape(shape).astype(np.float64), face.numpy().reshape(shape)


def look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Camera-to-world (OpenCV axes) of a camera at `eye` looking at `target`, image up towards world +Z."""
    forward = np.asarray(target, float) - np.asarray(eye, float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, [0.0, 0.0, 1.0])
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    pose = np.eye(4)
    pose[:3, :3] = np.stack([right, down, forward], axis=1)
    pose[:3, 3] = eye
    return pose
