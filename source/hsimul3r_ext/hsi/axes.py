"""Axis conventions: everything in a case is Z-up metres; sources may be Y-up."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

UP_AXES: tuple[str, ...] = ("y", "z")

# +90 degrees about X takes a Y-up frame to Z-up (y -> z, z -> -y), keeping X.
_Z_UP_FROM_Y_UP = Rotation.from_euler("x", 90.0, degrees=True)


def to_z_up(up_axis: str) -> Rotation:
    """World rotation that takes data declared with `up_axis` up to our Z-up frame."""
    if up_axis == "z":
        return Rotation.identity()
    if up_axis == "y":
        return _Z_UP_FROM_Y_UP
    raise ValueError(f"up axis must be one of {UP_AXES}, got {up_axis!r}")


def rotation_matrix_list(rotation: Rotation) -> list[list[float]]:
    """A rotation as a plain nested list, for provenance records."""
    return np.round(rotation.as_matrix(), 12).tolist()
