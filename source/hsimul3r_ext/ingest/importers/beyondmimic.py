"""BeyondMimic-style `.npz`: `fps`, `joint_pos`, `body_pos_w` (T, B, 3), `body_quat_w` (T, B, 4), ...

BeyondMimic's writer stores Isaac Lab 2.x quaternions, (w, x, y, z); `quat_order` in the file or
`--quat-order` overrides that default.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...hsi.errors import CaseError
from ...hsi.motion import name_tuple
from ...hsi.safe_pickle import load_npz
from .body_transforms import motion_from_body_transforms, reorder_bodies, smpl_order, unit_quaternions
from .common import ImportedMotion, MotionImportOptions, as_float, as_str, numbers, source_record


def import_beyondmimic(path: Path, options: MotionImportOptions) -> ImportedMotion:
    arrays = load_npz(path)
    record = source_record(path, "beyondmimic")
    for key in ("fps", "body_pos_w", "body_quat_w"):
        if key not in arrays:
            raise CaseError(path, key, "missing (BeyondMimic files have fps, body_pos_w, body_quat_w)")
    positions = numbers(arrays["body_pos_w"], path, "body_pos_w")
    if positions.ndim != 3 or positions.shape[2] != 3:
        raise CaseError(path, "body_pos_w", f"expected (T, B, 3), got {positions.shape}")
    if not np.isfinite(positions).all():
        raise CaseError(path, "body_pos_w", "contains NaN or inf")
    quat_order = options.quat_order
    if quat_order is None:
        quat_order = as_str(arrays["quat_order"], path, "quat_order") if "quat_order" in arrays else "wxyz"
    record["quat_order"] = quat_order
    if np.asarray(arrays["body_quat_w"]).shape[:2] != positions.shape[:2]:
        raise CaseError(path, "body_quat_w", "frame or body count differs from body_pos_w")
    rotations = unit_quaternions(path, "body_quat_w", arrays["body_quat_w"], quat_order)
    names = options.body_names
    if names is None and "body_names" in arrays:
        names = name_tuple(arrays["body_names"])
    order = smpl_order(path, names, positions, rotations, record)
    record["notes"].append("joint_pos and velocities ignored: they follow from the body transforms")
    motion = motion_from_body_transforms(
        path, as_float(arrays["fps"], path, "fps"), positions[:, order],
        reorder_bodies(rotations, positions.shape[:2], order), None, options, record,
    )  # fmt: skip
    return ImportedMotion(motion, record)
