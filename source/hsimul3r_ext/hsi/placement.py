"""Objects and the floor: one policy for every stage.

Reconstructions leave objects a little above or inside the floor, so ingest and validate accept them
with a warning: convert lifts a sunk dynamic object onto the floor, alignment rests floor objects on
it and the judge starts every object on it, each reporting the shift. Only a placement no
reconstruction can produce (a unit or up-axis error) is rejected. Static objects are colliders that
never move, so where they stand is the case's business: only the absurd checks apply to them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from .errors import CaseError, CaseWarning
from .limits import DEFAULT_LIMITS, ValidationLimits
from .scene import SceneObject


def height_range(vertices: np.ndarray, obj: SceneObject) -> tuple[float, float]:
    """(lowest, highest) world z of the mesh `vertices` (object frame) at the object's case pose."""
    heights = Rotation.from_quat(obj.orientation).apply(vertices)[:, 2] + float(obj.position[2])
    return float(heights.min()), float(heights.max())


def check_floor_placement(
    vertices: np.ndarray, obj: SceneObject, file: str | Path, field: str, limits: ValidationLimits = DEFAULT_LIMITS
) -> CaseWarning | None:
    """A warning when the object floats or sinks; CaseError when it is off the floor absurdly far."""
    lowest, highest = height_range(vertices, obj)
    if lowest > limits.max_lowest_point_m:
        raise CaseError(
            file, field, f"{obj.name}'s lowest point is {lowest:.3g} m above the floor (z = 0), over "
            f"{limits.max_lowest_point_m:g} m: position in cm or mm, or a wrong up axis?",
        )  # fmt: skip
    height = highest - lowest
    if -lowest > limits.max_sunk_heights * height:
        raise CaseError(
            file, field, f"{obj.name} reaches {-lowest:.3g} m below the floor (z = 0), more than "
            f"{limits.max_sunk_heights:g} x its own height ({height:.3g} m): wrong position sign or up axis?",
        )  # fmt: skip
    if obj.static or abs(lowest) <= limits.floor_tolerance_m:
        return None
    if lowest < 0:
        what = f"sinks {-lowest:.3f} m into the floor: convert lifts it onto the floor and alignment rests it there"
    else:
        what = (
            f"floats {lowest:.3f} m above the floor: the judge's tests start it on the floor, alignment rests it "
            "there if it floats by at most align.on_floor_within_m"
        )
    return CaseWarning(str(file), field, f"{obj.name} {what}")
