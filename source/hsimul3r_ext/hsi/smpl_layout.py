"""SMPL-family skeleton facts shared by importers, validation and (later) the humanoid builder."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

SMPL_JOINT_NAMES: tuple[str, ...] = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
    "left_hand", "right_hand",
)  # fmt: skip
SMPL_PARENTS: tuple[int, ...] = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19, 20, 21)

# Names used by PHC / SMPLSim / ProtoMotions for the same 24 joints, in SMPL order.
PHC_JOINT_NAMES: tuple[str, ...] = (
    "Pelvis", "L_Hip", "R_Hip", "Torso", "L_Knee", "R_Knee", "Spine", "L_Ankle", "R_Ankle", "Chest",
    "L_Toe", "R_Toe", "Neck", "L_Thorax", "R_Thorax", "Head", "L_Shoulder", "R_Shoulder", "L_Elbow",
    "R_Elbow", "L_Wrist", "R_Wrist", "L_Hand", "R_Hand",
)  # fmt: skip

# The depth-first body order of the SMPL humanoid MJCF used by PHC and ProtoMotions.
HUMANOID_BODY_ORDER: tuple[str, ...] = (
    "pelvis", "left_hip", "left_knee", "left_ankle", "left_foot", "right_hip", "right_knee",
    "right_ankle", "right_foot", "spine1", "spine2", "spine3", "neck", "head", "left_collar",
    "left_shoulder", "left_elbow", "left_wrist", "left_hand", "right_collar", "right_shoulder",
    "right_elbow", "right_wrist", "right_hand",
)  # fmt: skip

_ALIASES: dict[str, str] = {name.lower(): name for name in SMPL_JOINT_NAMES}
_ALIASES.update({phc.lower(): smpl for phc, smpl in zip(PHC_JOINT_NAMES, SMPL_JOINT_NAMES, strict=True)})
_ALIASES.update({"l_collar": "left_collar", "r_collar": "right_collar", "l_foot": "left_foot", "r_foot": "right_foot"})

BODY_POSE_WIDTH: dict[str, int] = {"smpl": 69, "smplh": 63, "smplx": 63}
MODEL_JOINT_COUNT: dict[str, int] = {"smpl": 24, "smplh": 52, "smplx": 55}  # skinning joints of each model
_FIRST_FINGER: dict[str, int] = {"smplh": 22, "smplx": 25}  # SMPL-X has jaw and eyes (22-24) before the fingers
_FINGERS_PER_HAND = 15
GENDERS: tuple[str, ...] = ("neutral", "male", "female")

# SMPL's rest frame is Y-up, facing +Z. The SMPL humanoid of PHC / ProtoMotions / BeyondMimic gives
# every body a Z-up, X-forward frame: body_rot_humanoid = body_rot_smpl * HUMANOID_FROM_SMPL^-1.
HUMANOID_FROM_SMPL = Rotation.from_quat([0.5, 0.5, 0.5, 0.5])  # xyzw


def canonical_joint_name(name: str) -> str | None:
    """SMPL's joint name for any common spelling, None when the name is not an SMPL joint."""
    return _ALIASES.get(name.strip().lower())


def stature_from_joints(joints: np.ndarray) -> float:
    """Pose-independent stature estimate (m) from the 24 SMPL joint positions (..., 24, 3).

    Bone lengths do not change with pose, so the ankle-to-head chain length measures the body in any
    frame; by anthropometric proportions that chain is about 0.87 of the stature (±10%).
    """
    chain = [7, 4, 1, 0, 3, 6, 9, 12, 15]  # left ankle -> knee -> hip -> pelvis -> spine -> neck -> head
    lengths = np.linalg.norm(np.diff(joints[..., chain, :], axis=-2), axis=-1).sum(axis=-1)
    return float(np.median(lengths)) / 0.87


def smpl_body_of_joint(model_type: str) -> np.ndarray:
    """(J,) index into SMPL_JOINT_NAMES of the body each model joint belongs to on SMPL's 24 bodies:
    SMPL-H/X finger joints count as the hands, jaw and eyes as the head (the humanoid has neither)."""
    bodies = np.arange(MODEL_JOINT_COUNT[model_type])
    if model_type == "smpl":
        return bodies
    first_finger = _FIRST_FINGER[model_type]
    bodies[22:first_finger] = SMPL_JOINT_NAMES.index("head")
    bodies[first_finger : first_finger + _FINGERS_PER_HAND] = SMPL_JOINT_NAMES.index("left_hand")
    bodies[first_finger + _FINGERS_PER_HAND :] = SMPL_JOINT_NAMES.index("right_hand")
    return bodies


def smpl_body_weights(weights: np.ndarray) -> np.ndarray:
    """(V, 24) skinning weights on SMPL's bodies from an SMPL-family model's (V, J): each joint's weight is
    added to its body's (`smpl_body_of_joint`), so every row still sums to one. J tells the model type."""
    model_type = {count: kind for kind, count in MODEL_JOINT_COUNT.items()}[weights.shape[1]]
    fold = np.zeros((weights.shape[1], len(SMPL_JOINT_NAMES)))
    fold[np.arange(weights.shape[1]), smpl_body_of_joint(model_type)] = 1.0
    return weights @ fold
