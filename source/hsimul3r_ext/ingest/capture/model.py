"""A capture in one place: cameras, people, their 2D evidence, scene points, masks and generated objects.

Importers fill it from the files perception tools write; the world step (`world.py`) and the capture
alignment (`align/capture.py`) move it into the case's metric, gravity-aligned world (Z up, floor at z = 0).
Until then positions are in the capture frame, the frame of the scene reconstruction (DUSt3R's first
camera, say), in its units; `Capture.metric` says whether those are metres.

Frames: `frame` is the index of an image in the capture's time line (video frame, or 0 for one instant seen
by several cameras). Cameras use OpenCV axes (x right, y down, z forward).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import trimesh

from ...hsi.motion import Motion
from ...hsi.observation import PinholeCamera


@dataclass
class CameraTrack:
    """One camera through the capture: intrinsics and a camera-to-world pose per frame."""

    name: str
    intrinsics: np.ndarray  # (3, 3) K in pixels
    width: int
    height: int
    frames: np.ndarray  # (F,) capture frames the poses belong to; one pose = a fixed camera for all frames
    camera_to_world: np.ndarray  # (F, 4, 4)

    def pose(self, frame: int) -> np.ndarray:
        """The camera-to-world pose at `frame` (the fixed pose of a fixed camera)."""
        if len(self.frames) == 1:
            return self.camera_to_world[0]
        hits = np.flatnonzero(self.frames == frame)
        if not len(hits):
            raise KeyError(f"camera {self.name!r} has no pose at frame {frame}")
        return self.camera_to_world[hits[0]]

    def project(self, points: np.ndarray, frame: int) -> tuple[np.ndarray, np.ndarray]:
        """Pixels (..., 2) and z-depths (...) of world `points` (..., 3) seen at `frame`."""
        pose = self.pose(frame)
        local = (points - pose[:3, 3]) @ pose[:3, :3]
        depth = local[..., 2]
        pixels = local[..., :2] / depth[..., None] * np.diag(self.intrinsics)[:2] + self.intrinsics[:2, 2]
        return pixels, depth

    def pinhole(self, frame: int) -> PinholeCamera:
        k = self.intrinsics
        return PinholeCamera(k[0, 0], k[1, 1], k[0, 2], k[1, 2], self.width, self.height, self.pose(frame))


@dataclass
class Keypoints2D:
    """One person's detected 2D keypoints in one camera; confidence 0 marks a keypoint not detected."""

    layout: str  # a key of keypoint_layouts.LAYOUTS
    frames: np.ndarray  # (T,) capture frames
    pixels: np.ndarray  # (T, J, 2)
    confidence: np.ndarray  # (T, J) in [0, 1]


@dataclass
class Person:
    """One person as a tool reconstructed them, with the 2D evidence found for them."""

    person_id: str
    motion: Motion | None  # None: only 2D evidence (a detector ran, no body reconstruction)
    frames: np.ndarray  # (T,) the capture frame of each motion frame
    # "capture": the capture frame; "camera:<name>": that camera's OpenCV frame, per frame (the camera
    # moves with it); "gravity": a Z-up world of the tool's own (heading and origin its own choice)
    frame_of_reference: str = "capture"
    keypoints: dict[str, Keypoints2D] = field(default_factory=dict)  # camera name -> keypoints
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass
class PointMap:
    """A dense point map of one camera image (DUSt3R's pts3d): a capture-frame point per pixel."""

    camera: str
    frame: int
    points: np.ndarray  # (H, W, 3)
    confidence: np.ndarray  # (H, W)


@dataclass
class SceneGeometry:
    """The scene reconstruction: points in the capture frame and, when the tool gave them, point maps."""

    points: np.ndarray  # (N, 3)
    confidence: np.ndarray  # (N,)
    point_maps: list[PointMap] = field(default_factory=list)
    colors: np.ndarray | None = None  # (N, 3) uint8
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass
class MaskTrack:
    """Segmentation of one camera: an id map per frame and what each id is."""

    camera: str
    frames: np.ndarray  # (T,)
    ids: np.ndarray  # (T, H, W) integers, 0 = background
    labels: dict[int, str]  # id -> "person:<person_id>" or "object:<name>"


@dataclass
class GeneratedObject:
    """An object mesh from an image-to-3D model, in its own normalised frame (no metric scale)."""

    name: str
    mesh: trimesh.Trimesh
    mask_label: str | None  # the MaskTrack label whose scene points place it
    provenance: dict[str, Any] = field(default_factory=dict)


@dataclass
class Capture:
    """Everything imported from one capture folder."""

    fps: float
    cameras: dict[str, CameraTrack] = field(default_factory=dict)
    people: list[Person] = field(default_factory=list)
    scene: SceneGeometry | None = None
    masks: dict[str, MaskTrack] = field(default_factory=dict)
    objects: list[GeneratedObject] = field(default_factory=list)
    metric: bool = False  # capture-frame units are metres
    provenance: list[dict[str, Any]] = field(default_factory=list)
