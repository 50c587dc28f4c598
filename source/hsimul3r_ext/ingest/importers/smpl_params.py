"""Our generic SMPL parameter file (`.npz` or array-only `.pkl`): the canonical keys plus `fps`.

Keys: `betas`, `global_orient`, `body_pose`, `transl`, `fps`; optional `gender`, `model_type`,
`up_axis`, hand / face parameters, `joints` + `joint_names`, `contact_labels` + `contact_body_names`.
Rotation matrices ((T, N, 3, 3)) and per-joint layouts ((T, 23, 3)) are accepted and flattened.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ...hsi.axes import UP_AXES
from ...hsi.errors import CaseError
from ...hsi.motion import OPTIONAL_PARAMS, Motion, name_tuple
from ...hsi.safe_pickle import load_npz, load_pickle
from ...hsi.smpl_layout import SMPL_JOINT_NAMES
from .common import (
    ImportedMotion,
    MotionImportOptions,
    as_float,
    as_str,
    numbers,
    resolve_pelvis_rest,
    smpl_world_to_z_up,
    source_record,
)

ROTATION_PARAMS = ("global_orient", "body_pose", *[k for k in OPTIONAL_PARAMS if k != "expression"])


def import_smpl_params(path: Path, options: MotionImportOptions) -> ImportedMotion:
    """Read, normalise layouts, turn to Z-up, and keep joints and contacts as given."""
    raw = load_npz(path) if path.suffix.lower() == ".npz" else load_pickle(path)
    if not isinstance(raw, dict):
        raise CaseError(path, "file", f"expected a dictionary of arrays, got {type(raw).__name__}")
    record = source_record(path, "smpl")
    for key in ("global_orient", "body_pose", "transl", "betas", "fps"):
        if key not in raw:
            raise CaseError(path, key, "missing")
    params = {key: _axis_angle(path, key, raw[key]) for key in ROTATION_PARAMS if key in raw}
    if "expression" in raw:
        params["expression"] = numbers(raw["expression"], path, "expression")
    betas = numbers(raw["betas"], path, "betas")
    if betas.ndim == 2 and len(betas):  # per-frame shape estimates (common in video methods): one body, so average
        record["notes"].append(f"per-frame betas averaged over {betas.shape[0]} frames")
        betas = betas.mean(axis=0)
    transl = numbers(raw["transl"], path, "transl")
    model_type = _text(path, raw, "model_type") or "smpl"
    gender = options.gender or _text(path, raw, "gender") or "neutral"
    joints, joint_names = _joints(path, raw)
    up_axis = options.up_axis or _text(path, raw, "up_axis") or "z"
    if up_axis not in UP_AXES:
        raise CaseError(path, "up_axis", f"must be one of {', '.join(UP_AXES)}, got {up_axis!r}")
    pelvis = None
    if up_axis != "z":
        pelvis = resolve_pelvis_rest(options, model_type, gender, betas, record)
        if pelvis is None and joints is not None and joint_names and joint_names[0] == SMPL_JOINT_NAMES[0]:
            pelvis = _pelvis_rest_from_joints(path, joints[:, 0], transl)
            record["pelvis_rest_source"] = "the file's own joints (pelvis - transl)"
    orient, transl, joints = smpl_world_to_z_up(
        up_axis, params.pop("global_orient"), transl, pelvis, joints, path, record
    )
    labels, label_names = _contacts(path, raw)
    motion = Motion(
        fps=as_float(raw["fps"], path, "fps"),
        betas=betas,
        global_orient=orient,
        body_pose=params.pop("body_pose"),
        transl=transl,
        model_type=model_type,
        gender=gender,
        hand_face=params,
        joints=joints,
        joint_names=joint_names,
        contact_labels=labels,
        contact_body_names=label_names,
    )
    return ImportedMotion(motion, record)


def _text(path: Path, raw: dict[str, Any], key: str) -> str | None:
    """An optional text field, lower-cased; None when the file does not have it."""
    return as_str(raw[key], path, key).lower() if key in raw else None


def _axis_angle(path: Path, key: str, value: Any) -> np.ndarray:
    """(T, 3N) axis-angle from (T, 3N), (T, N, 3) axis-angle or (T, N, 3, 3) rotation matrices."""
    array = numbers(value, path, key)
    if array.ndim == 4 and array.shape[-2:] == (3, 3):
        frames, count = array.shape[:2]
        if not np.isfinite(array).all():
            raise CaseError(path, key, "contains NaN or inf")
        try:
            rotations = Rotation.from_matrix(array.reshape(-1, 3, 3))
        except ValueError as err:  # e.g. a zero or mirroring matrix
            raise CaseError(path, key, f"not rotation matrices ({err})") from None
        return rotations.as_rotvec().reshape(frames, count * 3)
    if array.ndim == 3 and array.shape[-1] == 3:
        return array.reshape(array.shape[0], array.shape[1] * 3)
    return array


def _joints(path: Path, raw: dict[str, Any]) -> tuple[np.ndarray | None, tuple[str, ...] | None]:
    if "joints" not in raw:
        return None, None
    joints = numbers(raw["joints"], path, "joints")
    if joints.ndim != 3 or joints.shape[2] != 3:
        raise CaseError(path, "joints", f"expected (T, J, 3), got shape {joints.shape}")
    if "joint_names" in raw:
        names = name_tuple(raw["joint_names"])
    elif joints.shape[1] >= len(SMPL_JOINT_NAMES):
        names = SMPL_JOINT_NAMES + tuple(f"joint_{i}" for i in range(len(SMPL_JOINT_NAMES), joints.shape[1]))
    else:
        raise CaseError(path, "joint_names", "missing, and joints are not in SMPL's 24-joint order")
    return joints, names


def _contacts(path: Path, raw: dict[str, Any]) -> tuple[np.ndarray | None, tuple[str, ...] | None]:
    if "contact_labels" not in raw:
        return None, None
    labels = np.asarray(raw["contact_labels"])
    if labels.dtype != bool:
        if not np.isin(labels, (0, 1)).all():
            raise CaseError(path, "contact_labels", "expected booleans or 0/1 values")
        labels = labels.astype(bool)
    if "contact_body_names" not in raw:
        raise CaseError(path, "contact_body_names", "missing (contact_labels needs the body of each column)")
    return labels, name_tuple(raw["contact_body_names"])


def _pelvis_rest_from_joints(path: Path, pelvis: np.ndarray, transl: np.ndarray) -> np.ndarray:
    """SMPL puts the pelvis at rest_pelvis + transl in every frame, so joints reveal rest_pelvis."""
    if transl.shape != pelvis.shape:
        raise CaseError(path, "transl", f"expected {pelvis.shape} like the joints' pelvis, got shape {transl.shape}")
    offsets = pelvis - transl
    spread = float(np.abs(offsets - offsets.mean(axis=0)).max())
    if spread > 1e-3:
        raise CaseError(path, "joints", f"pelvis - transl varies by {spread * 1000:.1f} mm: joints do not match transl")
    return offsets.mean(axis=0)
