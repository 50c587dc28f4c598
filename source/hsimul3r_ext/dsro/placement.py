"""Put a generated object where the observed one stands: turned as the generator saw it from the observation's
camera, scaled to the observed object's footprint, centred on it, resting where it rests."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.spatial import ConvexHull
from scipy.spatial.transform import Rotation

from ..hsi.observation import PinholeCamera

SCALE_LIMITS = (0.75, 1.33)  # a footprint ratio outside this is clipped (and reported): trust the generator's size


@dataclass(frozen=True)
class Placement:
    mesh: trimesh.Trimesh  # in the object's own frame: footprint centre at the origin, base at z = 0
    position: np.ndarray  # (3,) world position of that origin
    orientation_xyzw: np.ndarray
    scale: float  # applied to the generated object
    scale_clipped: bool

    def world_mesh(self) -> trimesh.Trimesh:
        transform = np.eye(4)
        transform[:3, :3] = Rotation.from_quat(self.orientation_xyzw).as_matrix()
        transform[:3, 3] = self.position
        return self.mesh.copy().apply_transform(transform)


def footprint_area(points_xy: np.ndarray) -> float:
    try:
        return float(ConvexHull(points_xy).volume)
    except Exception:  # a degenerate footprint (a flat panel seen edge-on)
        return float(np.ptp(points_xy[:, 0]) * np.ptp(points_xy[:, 1]))


def _box_centre(points_xy: np.ndarray, yaw: float) -> np.ndarray:
    """Centre of the footprint's bounding box in a frame turned by `yaw`, in world coordinates."""
    c, s = np.cos(yaw), np.sin(yaw)
    local = points_xy @ np.array([[c, -s], [s, c]])
    centre = (local.min(axis=0) + local.max(axis=0)) / 2
    return np.array([[c, -s], [s, c]]) @ centre


def place(mesh: trimesh.Trimesh, camera: PinholeCamera, reference: trimesh.Trimesh) -> Placement:
    """A generated mesh (in the generator frame of `camera`'s view: x towards the camera, horizontally; z up)
    placed on `reference` (the observed object, world frame)."""
    yaw = camera.heading_rad()
    turned = Rotation.from_euler("z", yaw).as_matrix()
    world_xy = (mesh.vertices @ turned.T)[:, :2]
    ratio = np.sqrt(footprint_area(reference.vertices[:, :2]) / max(footprint_area(world_xy), 1e-9))
    scale = float(np.clip(ratio, *SCALE_LIMITS))
    local = mesh.copy()
    local.apply_translation([*-_box_centre(local.vertices[:, :2], 0.0), -local.vertices[:, 2].min()])
    local.apply_scale(scale)
    position = np.array([*_box_centre(reference.vertices[:, :2], yaw), reference.vertices[:, 2].min()])
    quaternion = Rotation.from_euler("z", yaw).as_quat()
    return Placement(local, position, quaternion, scale, not np.isclose(scale, ratio))
