"""A person-shaped occluder for the generator's data (paper Fig. 4: the person hides part of the object).

Capsule-like limbs (12-sided cylinders, a sphere head) at everyday proportions, seated on the object's seat
or standing in front of it, in the object frame. The bundled examples' observations use the real posed skin
instead; this shape only has to hide what a person would.
"""

from __future__ import annotations

import numpy as np
import trimesh


def _limb(start, end, radius: float) -> trimesh.Trimesh:
    start, end = np.asarray(start, float), np.asarray(end, float)
    return trimesh.creation.cylinder(radius=radius, segment=np.stack([start, end]), sections=12)


def seated_person(seat_height: float, front_x: float, stature: float, y: float = 0.0) -> trimesh.Trimesh:
    """Sitting on a seat whose front edge is at `front_x`: thighs forward, shins down to the floor."""
    k = stature / 1.75
    hip_x = front_x - 0.40 * k
    hip, knee = np.array([hip_x, y, seat_height + 0.08 * k]), np.array([front_x + 0.05 * k, y, seat_height + 0.08 * k])
    shoulder = hip + [-0.05 * k, 0.0, 0.52 * k]
    parts = [
        _limb(hip, shoulder, 0.15 * k),
        trimesh.creation.icosphere(2, 0.11 * k).apply_translation(shoulder + [0.0, 0.0, 0.2 * k]),
    ]
    for side in (-1, 1):
        offset = np.array([0.0, side * 0.10 * k, 0.0])
        parts.append(_limb(hip + offset, knee + offset, 0.075 * k))
        parts.append(_limb(knee + offset, [knee[0] + 0.02, knee[1] + offset[1], 0.05], 0.055 * k))
        arm = shoulder + [0.0, side * 0.19 * k, 0.0]
        parts.append(_limb(arm, arm + [0.25 * k, 0.0, -0.25 * k], 0.045 * k))
    return trimesh.util.concatenate(parts)


def standing_person(x: float, y: float, stature: float) -> trimesh.Trimesh:
    """Standing upright at (x, y), arms down."""
    k = stature / 1.75
    hip, shoulder = np.array([x, y, 0.90 * k]), np.array([x, y, 1.42 * k])
    parts = [
        _limb(hip, shoulder, 0.15 * k),
        trimesh.creation.icosphere(2, 0.11 * k).apply_translation(shoulder + [0.0, 0.0, 0.2 * k]),
    ]
    for side in (-1, 1):
        offset = np.array([0.0, side * 0.10 * k, 0.0])
        parts.append(_limb(hip + offset, [x, y + offset[1], 0.05], 0.065 * k))
        arm = shoulder + [0.0, side * 0.20 * k, 0.0]
        parts.append(_limb(arm, arm - [0.0, 0.0, 0.6 * k], 0.045 * k))
    return trimesh.util.concatenate(parts)
