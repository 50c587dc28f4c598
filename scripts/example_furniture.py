"""Procedural furniture for the bundled examples: low-poly overlapping boxes and cylinders, like a reconstruction.

Every piece is built where the authored pose needs it (world frame: Z up, metres, the side a person uses facing
+X), from dimensions measured on that pose (see `example_motions.py`). Parts overlap and the result is not
watertight, as reconstructed meshes are; the converter makes it a solid.
"""

from __future__ import annotations

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

LEG = 0.04  # chair leg side (m)
LEG_NAMES = ("front_left", "front_right", "back_left", "back_right")


def box(size: tuple[float, float, float], centre: tuple[float, float, float], tilt_deg: float = 0.0) -> trimesh.Trimesh:
    """An axis-aligned box, optionally tilted back about Y (top towards -X) around its own centre."""
    transform = np.eye(4)
    transform[:3, :3] = Rotation.from_euler("y", -tilt_deg, degrees=True).as_matrix()
    transform[:3, 3] = centre
    return trimesh.creation.box(size, transform)


def cylinder(radius: float, height: float, centre: tuple[float, float, float], axis: str = "z") -> trimesh.Trimesh:
    """A 12-sided cylinder along a world axis."""
    transform = np.eye(4)
    turn = {"x": Rotation.from_euler("y", 90, degrees=True), "y": Rotation.from_euler("x", 90, degrees=True)}
    if axis in turn:
        transform[:3, :3] = turn[axis].as_matrix()
    transform[:3, 3] = centre
    return trimesh.creation.cylinder(radius=radius, height=height, sections=12, transform=transform)


def backrest_panel(
    bottom_x: float, bottom_z: float, tilt_deg: float, height: float, thickness: float, width: float
) -> trimesh.Trimesh:
    """A tilted panel whose front face passes through (bottom_x, bottom_z), leaning back by `tilt_deg`."""
    tilt = np.radians(tilt_deg)
    along = np.array([-np.sin(tilt), np.cos(tilt)])  # up the front face, in (x, z)
    inward = np.array([-np.cos(tilt), -np.sin(tilt)])  # from the front face into the panel
    centre = np.array([bottom_x, bottom_z]) + along * height / 2 + inward * thickness / 2
    return box((thickness, width, height), (centre[0], 0.0, centre[1]), tilt_deg)


def chair(
    seat_height: float,
    seat_front_x: float,
    back_x: float,
    back_tilt_deg: float,
    back_height: float,
    width: float,
    legs: tuple[str, ...] = LEG_NAMES,
    leg: float = LEG,
    round_legs: bool = False,
) -> trimesh.Trimesh:
    """Seat, legs (square of side `leg`, or round of that diameter) and a tilted backrest; `back_x` is where the
    backrest's front face meets the seat top."""
    thickness = 0.04
    back_thickness = 0.03
    seat_back_x = back_x - back_thickness / np.cos(np.radians(back_tilt_deg))
    depth = seat_front_x - seat_back_x
    centre_x = (seat_front_x + seat_back_x) / 2
    parts = [box((depth, width, thickness), (centre_x, 0.0, seat_height - thickness / 2))]
    corners = {
        "front_left": (seat_front_x - leg / 2, (width - leg) / 2),
        "front_right": (seat_front_x - leg / 2, -(width - leg) / 2),
        "back_left": (seat_back_x + leg / 2, (width - leg) / 2),
        "back_right": (seat_back_x + leg / 2, -(width - leg) / 2),
    }
    leg_height = seat_height - thickness
    for name in legs:
        centre = (*corners[name], leg_height / 2)
        parts.append(cylinder(leg / 2, leg_height, centre) if round_legs else box((leg, leg, leg_height), centre))
    parts.append(backrest_panel(back_x, seat_height, back_tilt_deg, back_height, back_thickness, width))
    return trimesh.util.concatenate(parts)


def armchair(
    seat_height: float,
    seat_front_x: float,
    back_x: float,
    back_tilt_deg: float,
    inner_half_width: float,
    arm_height: float,
    arm_width: float,
    back_height: float,
) -> trimesh.Trimesh:
    """Solid base with a seat cushion, two side panels whose rounded tops are the armrests, a thick tilted back."""
    back_thickness = 0.16
    seat_back_x = back_x - 0.05
    depth = seat_front_x - seat_back_x + back_thickness
    centre_x = seat_front_x - depth / 2
    outer = inner_half_width + arm_width
    base_height = seat_height - 0.12
    seat_depth = seat_front_x - seat_back_x
    parts = [
        box((depth, 2 * outer, base_height), (centre_x, 0.0, base_height / 2)),
        box((seat_depth, 2 * inner_half_width, 0.12), (seat_front_x - seat_depth / 2, 0.0, seat_height - 0.06)),
    ]
    roll = 0.04  # radius of the rounded armrest top
    for side in (-1, 1):
        y = side * (inner_half_width + arm_width / 2)
        parts.append(box((depth, arm_width, arm_height - roll), (centre_x, y, (arm_height - roll) / 2)))
        parts.append(cylinder(roll, depth, (centre_x, side * (inner_half_width + roll), arm_height - roll), "x"))
        parts.append(cylinder(roll, depth, (centre_x, side * (outer - roll), arm_height - roll), "x"))
        parts.append(box((depth, arm_width - 2 * roll, roll), (centre_x, y, arm_height - roll / 2)))
    parts.append(backrest_panel(back_x, seat_height, back_tilt_deg, back_height, back_thickness, 2 * inner_half_width))
    return trimesh.util.concatenate(parts)


def sofa(
    seat_height: float,
    seat_front_x: float,
    seat_depth: float,
    seat_length: float,
    arm_height: float,
    back_tilt_deg: float = 10.0,
    back_height: float = 0.45,
) -> trimesh.Trimesh:
    """Long seat on a solid base, a tilted back along it and an arm at each end."""
    back_thickness = 0.2
    arm_width = 0.16
    seat_back_x = seat_front_x - seat_depth
    total_depth = seat_depth + back_thickness
    centre_x = seat_front_x - total_depth / 2
    half = seat_length / 2
    base_height = seat_height - 0.14
    parts = [
        box((total_depth, seat_length, base_height), (centre_x, 0.0, base_height / 2)),
        box((seat_depth, seat_length, 0.14), (seat_front_x - seat_depth / 2, 0.0, seat_height - 0.07)),
        backrest_panel(seat_back_x, seat_height, back_tilt_deg, back_height, back_thickness, seat_length),
    ]
    for side in (-1, 1):
        parts.append(
            box((total_depth, arm_width, arm_height), (centre_x, side * (half + arm_width / 2), arm_height / 2))
        )
        parts.append(cylinder(arm_width / 2, total_depth, (centre_x, side * (half + arm_width / 2), arm_height), "x"))
    return trimesh.util.concatenate(parts)


def table(top_height: float, front_x: float, depth: float = 0.8, length: float = 1.2) -> trimesh.Trimesh:
    """A top (`depth` along X from its front edge at `front_x`, `length` along Y) on four round legs."""
    thickness = 0.04
    radius = 0.025
    centre_x = front_x + depth / 2
    parts = [box((depth, length, thickness), (centre_x, 0.0, top_height - thickness / 2))]
    leg_height = top_height - thickness
    for sx in (-1, 1):
        for sy in (-1, 1):
            centre = (centre_x + sx * (depth / 2 - 0.06), sy * (length / 2 - 0.06), leg_height / 2)
            parts.append(cylinder(radius, leg_height, centre))
    return trimesh.util.concatenate(parts)
