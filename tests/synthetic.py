"""Small motions and files the tests build themselves (no outside data)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.kinematics import forward_kinematics
from hsimul3r_ext.body.reference_skeleton import REFERENCE_REST_JOINTS
from hsimul3r_ext.hsi.smpl_layout import HUMANOID_FROM_SMPL


def random_pose(frames: int, seed: int = 0, scale: float = 0.4) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(global_orient, body_pose, transl) of a Z-up upright body with moderate random joint angles."""
    rng = np.random.default_rng(seed)
    wobble = Rotation.from_rotvec(rng.normal(0, 0.2, (frames, 3)))
    global_orient = (wobble * HUMANOID_FROM_SMPL).as_rotvec()
    body_pose = rng.normal(0, scale, (frames, 69))
    transl = np.cumsum(rng.normal(0, 0.01, (frames, 3)), axis=0) + [0.0, 0.22, 0.95]
    return global_orient, body_pose, transl


def body_transforms(frames: int, seed: int = 0) -> dict[str, np.ndarray]:
    """World body positions and SMPL-frame global rotations of the reference skeleton, SMPL joint order."""
    global_orient, body_pose, transl = random_pose(frames, seed)
    positions, rotations = forward_kinematics(REFERENCE_REST_JOINTS, global_orient, body_pose, transl)
    return {
        "global_orient": global_orient,
        "body_pose": body_pose,
        "transl": transl,
        "positions": positions,
        "smpl_rotations": rotations,
    }


def humanoid_quats(smpl_rotations: np.ndarray) -> np.ndarray:
    """xyzw quaternions of the SMPL humanoid's body frames (PHC / ProtoMotions convention)."""
    shape = smpl_rotations.shape[:2]
    humanoid = Rotation.from_matrix(smpl_rotations.reshape(-1, 3, 3)) * HUMANOID_FROM_SMPL.inv()
    return humanoid.as_quat().reshape(*shape, 4)


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle between axis-angle rotations (..., 3) (so 2*pi-equivalent vectors compare equal)."""
    ra = Rotation.from_rotvec(a.reshape(-1, 3))
    rb = Rotation.from_rotvec(b.reshape(-1, 3))
    return np.degrees((ra.inv() * rb).magnitude())
