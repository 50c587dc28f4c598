"""Forward kinematics of SMPL-topology skeletons from pose parameters (rigid joints, no skinning)."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from ..hsi.smpl_layout import SMPL_PARENTS


def forward_kinematics(
    rest_joints: np.ndarray, global_orient: np.ndarray, body_pose: np.ndarray, transl: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Joint positions (T, 24, 3) and global rotation matrices (T, 24, 3, 3), as SMPL poses its joints.

    The root turns about its rest position and then moves by `transl`; each child hangs off its parent
    at the rest offset turned by the parent's global rotation.
    """
    frames = global_orient.shape[0]
    local = Rotation.from_rotvec(
        np.concatenate([global_orient, body_pose[:, : 23 * 3]], axis=1).reshape(-1, 3)
    ).as_matrix()
    local = local.reshape(frames, 24, 3, 3)
    rotations = np.empty_like(local)
    positions = np.empty((frames, 24, 3))
    rotations[:, 0] = local[:, 0]
    positions[:, 0] = rest_joints[0] + transl
    for child in range(1, 24):
        parent = SMPL_PARENTS[child]
        rotations[:, child] = rotations[:, parent] @ local[:, child]
        positions[:, child] = positions[:, parent] + rotations[:, parent] @ (rest_joints[child] - rest_joints[parent])
    return positions, rotations
