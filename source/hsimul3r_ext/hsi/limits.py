"""Plausibility bounds applied by validation. Values outside them are almost always unit or axis errors."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ValidationLimits:
    """Bounds a case must satisfy; every rejection message quotes the bound it broke."""

    person_height_m: tuple[float, float] = (1.0, 2.3)
    object_size_m: tuple[float, float] = (0.05, 5.0)
    max_abs_beta: float = 10.0
    max_root_speed_m_s: float = 15.0
    max_abs_position_m: float = 1000.0  # transl, joints, object positions: farther is garbage or mm data
    max_abs_axis_angle_rad: float = 1000.0  # rotation components: larger is garbage, not an unwrapped angle
    fps: tuple[float, float] = (1e-3, 1000.0)
    quat_norm_tolerance: float = 1e-3
    # Objects and the floor (z = 0), see `placement.py`. Within the tolerance an object stands on the floor;
    # off it by more, it is accepted with a warning (convert lifts a sunk object, alignment and the judge
    # put floor objects on the floor) unless it is off by more than the bounds below: an absurd placement.
    floor_tolerance_m: float = 0.01
    max_lowest_point_m: float = 2.5  # higher than a standing person reaches: cm / mm positions or a wrong up axis
    max_sunk_heights: float = 1.0  # sunk by more than this many of its own heights: wholly under the floor


DEFAULT_LIMITS = ValidationLimits()
