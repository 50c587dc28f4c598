"""How far a human-scene placement is from physical sense, in millimetres: penetration, contact gaps,
objects off the floor, skin below it. Measured the same way before and after alignment."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..body.posed_surface import PosedSurface
from .problem import ContactPairs, ObjectGeometry

MAX_QUERY_M = 0.5


def measure_alignment(
    surface: PosedSurface, objects: list[ObjectGeometry], contacts: ContactPairs, human_offset: np.ndarray | None = None
) -> dict[str, Any]:
    """Metrics of the skin (shifted by `human_offset`) against the objects where they stand.

    mean/max_penetration_mm: per frame the deepest skin vertex inside any object (0 when none), averaged /
    maximised over the frames; mean_contact_distance_mm: over the (frame, body part) pairs meant to be in
    contact, the gap between the part's skin and its object (0 when touching or inside), None without
    contacts; feet_below_floor_mm: the deepest skin vertex below z = 0 over all frames; per object the
    lowest point's height (positive floats, negative sinks).
    """
    offset = np.zeros(3) if human_offset is None else np.asarray(human_offset, dtype=float)
    skin = surface.vertices + offset
    depth = np.zeros(len(skin))
    for f, frame_skin in enumerate(skin):
        for obj in objects:
            depth[f] = max(depth[f], -float(obj.signed_distance(frame_skin, MAX_QUERY_M).min()))
    gaps = [
        max(0.0, float(objects[k].signed_distance(skin[f, surface.part == part], MAX_QUERY_M).min()))
        for f, part, k in zip(contacts.frame, contacts.part, contacts.object, strict=True)
    ]
    return {
        "mean_penetration_mm": 1000.0 * float(depth.mean()),
        "max_penetration_mm": 1000.0 * float(depth.max()),
        "mean_contact_distance_mm": 1000.0 * float(np.mean(gaps)) if gaps else None,
        "feet_below_floor_mm": 1000.0 * max(0.0, -float(skin[:, :, 2].min())),
        "objects": {obj.name: {"lowest_point_mm": 1000.0 * obj.lowest_z()} for obj in objects},
    }
