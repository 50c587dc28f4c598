"""ProtoMotions `.motion`: a torch-saved dict of SMPL-humanoid body states (Z-up, quaternions xyzw)."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np

from ...hsi.errors import CaseError
from ...hsi.motion import name_tuple
from .body_transforms import motion_from_body_transforms, reorder_bodies, smpl_order, unit_quaternions
from .common import ImportedMotion, MotionImportOptions, as_float, numbers, source_record


def load_torch_dict(path: Path) -> dict[str, Any]:
    """`torch.load` restricted to tensors and containers (`weights_only=True`): no code runs."""
    import torch

    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as err:
        culprit = next((line.strip() for line in str(err).splitlines() if "global" in line.lower()), None)
        reason = culprit or type(err).__name__
        raise CaseError(path, "file", f"refused: not a plain dictionary of tensors and numbers ({reason})") from None
    if not isinstance(data, dict):
        raise CaseError(path, "file", f"expected a dictionary, got {type(data).__name__}")
    return data


def import_protomotions(path: Path, options: MotionImportOptions) -> ImportedMotion:
    data = load_torch_dict(path)
    record = source_record(path, "protomotions")
    for key in ("fps", "rigid_body_pos", "rigid_body_rot"):
        if key not in data:
            raise CaseError(path, key, "missing (a .motion file has fps, rigid_body_pos, rigid_body_rot)")
    positions = numbers(data["rigid_body_pos"], path, "rigid_body_pos")
    if positions.ndim != 3 or positions.shape[2] != 3:
        raise CaseError(path, "rigid_body_pos", f"expected (T, 24, 3), got {positions.shape}")
    quats = numbers(data["rigid_body_rot"], path, "rigid_body_rot")
    rotations = unit_quaternions(path, "rigid_body_rot", quats, options.quat_order or "xyzw")
    if quats.shape[:2] != positions.shape[:2]:
        raise CaseError(path, "rigid_body_rot", "frame or body count differs from rigid_body_pos")
    if not np.isfinite(positions).all():
        raise CaseError(path, "rigid_body_pos", "contains NaN or inf")
    names = options.body_names or (name_tuple(data["body_names"]) if "body_names" in data else None)
    order = smpl_order(path, names, positions, rotations, record)
    rotations = reorder_bodies(rotations, positions.shape[:2], order)
    contacts = None
    if "rigid_body_contacts" in data:
        contacts = numbers(data["rigid_body_contacts"], path, "rigid_body_contacts")
        if contacts.shape != positions.shape[:2]:
            raise CaseError(path, "rigid_body_contacts", f"expected {positions.shape[:2]}, got {contacts.shape}")
        contacts = contacts[:, order] > 0.5
    record["notes"].append("velocities and dof_pos ignored: they follow from the body transforms")
    motion = motion_from_body_transforms(
        path, as_float(data["fps"], path, "fps"), positions[:, order], rotations, contacts, options, record
    )
    return ImportedMotion(motion, record)
