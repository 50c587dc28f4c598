"""Motions stored as world transforms of the SMPL humanoid's bodies (ProtoMotions, BeyondMimic).

They are turned back into SMPL parameters: local rotations become axis-angle, body positions stay
as reference joints, and the body shape, which such files do not carry, becomes neutral betas.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ...body.reference_skeleton import REFERENCE_REST_JOINTS
from ...hsi.errors import CaseError
from ...hsi.limits import DEFAULT_LIMITS
from ...hsi.motion import Motion
from ...hsi.smpl_layout import (
    HUMANOID_BODY_ORDER,
    HUMANOID_FROM_SMPL,
    SMPL_JOINT_NAMES,
    SMPL_PARENTS,
    canonical_joint_name,
)
from .common import MotionImportOptions, numbers, resolve_pelvis_rest

NUM_BETAS = 10
_ORDERS: dict[str, tuple[str, ...]] = {"humanoid depth-first": HUMANOID_BODY_ORDER, "SMPL joint": SMPL_JOINT_NAMES}


def unit_quaternions(path: Path, key: str, quats: Any, order: str) -> Rotation:
    """(T, B, 4) quaternions in `order` as Rotations, after checking they are unit length."""
    array = numbers(quats, path, key)
    if array.ndim != 3 or array.shape[-1] != 4:
        raise CaseError(path, key, f"expected (T, B, 4) quaternions, got {array.shape}")
    if not np.isfinite(array).all():
        raise CaseError(path, key, "contains NaN or inf")
    norms = np.linalg.norm(array, axis=-1)
    worst = float(np.abs(norms - 1.0).max())
    if worst > DEFAULT_LIMITS.quat_norm_tolerance:
        raise CaseError(path, key, f"quaternion norms deviate from 1 by up to {worst:.4f}")
    if order == "wxyz":
        array = array[..., [1, 2, 3, 0]]
    elif order != "xyzw":
        raise CaseError(path, key, f"quaternion order must be xyzw or wxyz, got {order!r}")
    return Rotation.from_quat(array.reshape(-1, 4))


def smpl_order(
    path: Path, names: tuple[str, ...] | None, positions: np.ndarray, rotations: Rotation, record: dict[str, Any]
) -> np.ndarray:
    """Indices that pick SMPL's 24 joints out of the file's bodies.

    With names, by name. Without, the two orders in use are tried and the one under which every
    bone is rigid in its parent's frame (and the left hip is on the left) wins; the choice is recorded.
    """
    if names is not None:
        lookup = {canonical_joint_name(n): i for i, n in enumerate(names)}
        missing = [joint for joint in SMPL_JOINT_NAMES if joint not in lookup]
        if missing:
            raise CaseError(path, "body_names", f"no body for SMPL joint(s) {', '.join(missing)}")
        record["body_order"] = "by name"
        return np.array([lookup[joint] for joint in SMPL_JOINT_NAMES])
    if positions.shape[1] != len(SMPL_JOINT_NAMES):
        raise CaseError(path, "body_names", f"{positions.shape[1]} bodies and no names: cannot find the 24 SMPL joints")
    matrices = rotations.as_matrix().reshape(*positions.shape[:2], 3, 3)
    scores = {}
    for label, order in _ORDERS.items():
        index = np.array([order.index(joint) for joint in SMPL_JOINT_NAMES])
        scores[label] = (_bone_wobble(positions[:, index], matrices[:, index]), index)
    label, (wobble, index) = min(scores.items(), key=lambda item: item[1][0])
    if wobble > 0.01:
        raise CaseError(path, "body_names", "bodies follow neither the SMPL nor the humanoid order: give body names")
    record["body_order"] = f"{label} order, detected (bone wobble {wobble * 1000:.2f} mm)"
    return index


def reorder_bodies(rotations: Rotation, shape: tuple[int, int], order: np.ndarray) -> Rotation:
    """Pick and reorder bodies of flattened (T * B) rotations."""
    quats = rotations.as_quat().reshape(*shape, 4)[:, order]
    return Rotation.from_quat(quats.reshape(-1, 4))


def _bone_wobble(positions: np.ndarray, matrices: np.ndarray) -> float:
    """How much bones deform over time (m), plus how far their directions are from an SMPL skeleton's.

    In the humanoid's body frames a bone's offset from its parent is the rest offset turned by
    HUMANOID_FROM_SMPL, whatever the pose, so even a single frame shows whether the order is right.
    """
    parents = np.array(SMPL_PARENTS[1:])
    children = np.arange(1, len(SMPL_PARENTS))
    offsets = np.einsum("tjba,tjb->tja", matrices[:, parents], positions[:, children] - positions[:, parents])
    wobble = float(offsets.std(axis=0).max())
    expected = HUMANOID_FROM_SMPL.apply(REFERENCE_REST_JOINTS[children] - REFERENCE_REST_JOINTS[parents])
    mean = offsets.mean(axis=0)
    cosine = np.sum(mean * expected, axis=1) / (np.linalg.norm(mean, axis=1) * np.linalg.norm(expected, axis=1) + 1e-12)
    return wobble + float(np.clip(0.9 - cosine.mean(), 0.0, None))


def motion_from_body_transforms(
    path: Path, fps: float, positions: np.ndarray, rotations: Rotation, contacts: np.ndarray | None,
    options: MotionImportOptions, record: dict[str, Any],
) -> Motion:  # fmt: skip
    """SMPL parameters from humanoid body transforms already in SMPL joint order, Z-up."""
    frames, count = positions.shape[:2]
    smpl_global = rotations * HUMANOID_FROM_SMPL  # undo the humanoid's per-body frame change
    matrices = smpl_global.as_matrix().reshape(frames, count, 3, 3)
    parents = np.array(SMPL_PARENTS[1:])
    local = np.einsum("tjba,tjbc->tjac", matrices[:, parents], matrices[:, 1:])
    body_pose = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_rotvec().reshape(frames, -1)
    global_orient = Rotation.from_matrix(matrices[:, 0]).as_rotvec()
    betas = np.zeros(NUM_BETAS)
    gender = options.gender or "neutral"
    record["notes"].append("body shape unknown in body-transform files: neutral betas (zeros)")
    pelvis_rest = resolve_pelvis_rest(options, "smpl", gender, betas, record)
    if pelvis_rest is None:
        pelvis_rest = np.zeros(3)
        record["pelvis_rest_source"] = "none available: transl is the pelvis position (pelvis_rest_m = 0)"
    return Motion(
        fps=fps,
        betas=betas,
        global_orient=global_orient,
        body_pose=body_pose,
        transl=positions[:, 0] - pelvis_rest,
        model_type="smpl",
        gender=gender,
        joints=positions,
        joint_names=SMPL_JOINT_NAMES,
        contact_labels=None if contacts is None else contacts.astype(bool),
        contact_body_names=None if contacts is None else SMPL_JOINT_NAMES,
        pelvis_rest=pelvis_rest,
    )
