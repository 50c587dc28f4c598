"""What the shipped generator sees of an observation: a square crop around the object, resampled.

Channels: the object's mask, its depth relative to the object's median depth (in units of 0.5 m, 0 off the
object) and the occluder's mask. Scalars make it metric and say where the camera is: the crop's side in
metres at the median depth, the median depth, the optical axis' elevation, the crop centre's bearing.
The same function makes the training data and reads a user's observation, so they cannot drift apart.
"""

from __future__ import annotations

import math

import numpy as np

from ..hsi.errors import CaseError
from ..hsi.observation import Observation

CROP_PIXELS = 48
CHANNELS = 3
SCALARS = 5
MARGIN = 1.15  # the crop's side over the mask's longer side


def condition_arrays(observation: Observation, source: str = "observation") -> tuple[np.ndarray, np.ndarray]:
    """(image (CHANNELS, CROP_PIXELS, CROP_PIXELS) float32, scalars (SCALARS,) float32)."""
    camera, mask = observation.camera, observation.mask & (observation.depth > 0)
    rows, cols = np.nonzero(mask)
    if len(rows) < 4:
        raise CaseError(source, "mask", f"only {len(rows)} object pixels with depth: too little to condition on")
    centre_r, centre_c = (rows.min() + rows.max() + 1) / 2, (cols.min() + cols.max() + 1) / 2
    side = max(rows.max() + 1 - rows.min(), cols.max() + 1 - cols.min(), 4) * MARGIN
    steps = (np.arange(CROP_PIXELS) + 0.5) / CROP_PIXELS - 0.5
    sample_r = np.floor(centre_r + steps * side).astype(int)
    sample_c = np.floor(centre_c + steps * side).astype(int)
    inside_r = (sample_r >= 0) & (sample_r < camera.height)
    inside_c = (sample_c >= 0) & (sample_c < camera.width)
    grid_r, grid_c = np.meshgrid(
        np.clip(sample_r, 0, camera.height - 1), np.clip(sample_c, 0, camera.width - 1), indexing="ij"
    )
    inside = inside_r[:, None] & inside_c[None, :]
    median = float(np.median(observation.depth[mask]))
    crop_mask = mask[grid_r, grid_c] & inside
    crop_depth = np.where(crop_mask, (observation.depth[grid_r, grid_c] - median) / 0.5, 0.0)
    occluder = observation.occluder if observation.occluder is not None else np.zeros_like(mask)
    crop_occluder = occluder[grid_r, grid_c] & inside
    image = np.stack([crop_mask, np.clip(crop_depth, -2.0, 2.0), crop_occluder]).astype(np.float32)
    forward = camera.camera_to_world[:3, 2]
    elevation = math.asin(float(np.clip(-forward[2], -1.0, 1.0)))
    focal = (camera.fx + camera.fy) / 2
    scalars = np.array(
        [
            side * median / focal,
            median / 3.0,
            elevation,
            (centre_c - camera.cx) / camera.fx,
            (centre_r - camera.cy) / camera.fy,
        ],
        dtype=np.float32,
    )
    return image, scalars
