"""An object's observation: what a camera saw of it (mask, depth, what hid it) and the camera itself.

Stored per object in a case (`observations/<object>/`) and per condition in a DSRO condition set. Files:
`mask.png` (object pixels the camera saw, 8-bit, nonzero = object), `depth.npy` (float32 z-depth in metres,
0 where unknown), `occluder_mask.png` (optional: pixels where something in front, e.g. the person, hides the
scene), `image.png` (optional RGB, kept for people, unused by the shipped generator) and `camera.json`
(`fx`, `fy`, `cx`, `cy` in pixels, `width`, `height`, `camera_to_world` 4x4 in the case's world frame, OpenCV
axes: x right, y down, z forward).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CaseError

MASK_FILE, DEPTH_FILE, OCCLUDER_FILE, IMAGE_FILE, CAMERA_FILE = (
    "mask.png", "depth.npy", "occluder_mask.png", "image.png", "camera.json",
)  # fmt: skip


@dataclass(frozen=True)
class PinholeCamera:
    """Intrinsics in pixels and the camera-to-world pose (OpenCV axes)."""

    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int
    camera_to_world: np.ndarray  # (4, 4)

    def world_points(self, depth: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """World points of the pixels under `mask` at z-depth `depth` (m)."""
        rows, cols = np.nonzero(mask)
        z = depth[rows, cols]
        local = np.stack([(cols + 0.5 - self.cx) / self.fx * z, (rows + 0.5 - self.cy) / self.fy * z, z], axis=1)
        return local @ self.camera_to_world[:3, :3].T + self.camera_to_world[:3, 3]

    def heading_rad(self) -> float:
        """Yaw of the horizontal direction from the scene towards the camera (the generator frame's +x)."""
        forward = self.camera_to_world[:3, 2]
        return math.atan2(-forward[1], -forward[0])

    def to_json(self) -> dict[str, Any]:
        return {
            "fx": self.fx, "fy": self.fy, "cx": self.cx, "cy": self.cy, "width": self.width, "height": self.height,
            "camera_to_world": np.asarray(self.camera_to_world).tolist(),
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: Any, file: Path) -> PinholeCamera:
        if not isinstance(data, dict):
            raise CaseError(file, "camera", "expected an object")
        values = {}
        for key in ("fx", "fy", "cx", "cy", "width", "height"):
            value = data.get(key)
            if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
                raise CaseError(file, key, f"missing or not a number: {value!r}")
            values[key] = value
        if values["fx"] <= 0 or values["fy"] <= 0:
            raise CaseError(file, "fx", "focal lengths must be positive")
        for key in ("width", "height"):
            if int(values[key]) != values[key] or values[key] < 1:
                raise CaseError(file, key, f"must be a positive whole number of pixels, got {values[key]!r}")
        try:
            pose = np.asarray(data.get("camera_to_world"), dtype=np.float64)
        except (TypeError, ValueError):
            pose = np.zeros(0)
        if pose.shape != (4, 4) or not np.isfinite(pose).all():
            raise CaseError(file, "camera_to_world", "expected a 4x4 matrix of finite numbers")
        rotation = pose[:3, :3]
        if not np.allclose(rotation @ rotation.T, np.eye(3), atol=1e-4) or np.linalg.det(rotation) < 0:
            raise CaseError(file, "camera_to_world", "the upper-left 3x3 is not a rotation")
        return cls(
            float(values["fx"]), float(values["fy"]), float(values["cx"]), float(values["cy"]),
            int(values["width"]), int(values["height"]), pose,
        )  # fmt: skip


@dataclass(frozen=True)
class Observation:
    """One view of one object."""

    camera: PinholeCamera
    mask: np.ndarray  # (H, W) bool
    depth: np.ndarray  # (H, W) float, metres, 0 = unknown
    occluder: np.ndarray | None = None  # (H, W) bool
    image: np.ndarray | None = None  # (H, W, 3) uint8

    def write(self, folder: Path) -> None:
        from PIL import Image

        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(self.mask.astype(np.uint8) * 255).save(folder / MASK_FILE)
        np.save(folder / DEPTH_FILE, self.depth.astype(np.float32))
        if self.occluder is not None:
            Image.fromarray(self.occluder.astype(np.uint8) * 255).save(folder / OCCLUDER_FILE)
        if self.image is not None:
            Image.fromarray(self.image).save(folder / IMAGE_FILE)
        (folder / CAMERA_FILE).write_text(json.dumps(self.camera.to_json(), indent=2) + "\n", encoding="utf-8")


def _image(path: Path, shape: tuple[int, int], field: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as picture:
            pixels = np.asarray(picture)
    except (OSError, UnidentifiedImageError) as err:
        raise CaseError(path, field, f"not a readable image ({err})") from None
    if pixels.shape[:2] != shape:
        raise CaseError(
            path, field, f"image is {pixels.shape[1]}x{pixels.shape[0]}, camera.json says {shape[1]}x{shape[0]}"
        )
    return pixels


def load_observation(folder: str | Path) -> Observation:
    """Read and check an observation folder; bad input names the file and the field."""
    folder = Path(folder)
    camera_file = folder / CAMERA_FILE
    if not camera_file.is_file():
        raise CaseError(camera_file, "camera", "missing file")
    try:
        camera = PinholeCamera.from_json(json.loads(camera_file.read_text(encoding="utf-8")), camera_file)
    except json.JSONDecodeError as err:
        raise CaseError(camera_file, "camera", f"not JSON ({err})") from None
    shape = (camera.height, camera.width)
    if not (folder / MASK_FILE).is_file():
        raise CaseError(folder / MASK_FILE, "mask", "missing file")
    mask = _image(folder / MASK_FILE, shape, "mask")
    mask = (mask if mask.ndim == 2 else mask[..., 0]) > 0
    depth_file = folder / DEPTH_FILE
    try:
        depth = np.load(depth_file, allow_pickle=False).astype(np.float64)
    except (OSError, ValueError) as err:
        raise CaseError(depth_file, "depth", f"missing or unreadable ({err})") from None
    if depth.shape != shape:
        raise CaseError(depth_file, "depth", f"shape {depth.shape}, camera.json says {shape}")
    if not np.isfinite(depth).all() or (depth < 0).any():
        raise CaseError(depth_file, "depth", "values must be finite and >= 0 (0 = unknown)")
    if not (depth[mask] > 0).any():
        raise CaseError(folder / MASK_FILE, "mask", "no object pixel has a depth")
    occluder = None
    if (folder / OCCLUDER_FILE).is_file():
        raw = _image(folder / OCCLUDER_FILE, shape, "occluder_mask")
        occluder = (raw if raw.ndim == 2 else raw[..., 0]) > 0
    image = _image(folder / IMAGE_FILE, shape, "image") if (folder / IMAGE_FILE).is_file() else None
    return Observation(camera, mask, depth, occluder, image)
