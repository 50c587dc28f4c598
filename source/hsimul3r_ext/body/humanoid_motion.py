"""SMPL pose parameters <-> the humanoid's root pose and 69 hinge angles, and the humanoid's kinematics.

A body's local SMPL rotation L becomes Q L Q^-1 in the humanoid's frames (Q = HUMANOID_FROM_SMPL), and a
joint's three hinges compose intrinsically in its order, so the angles are that rotation's intrinsic
Euler angles in the same order: an exact inverse away from the middle hinge's +-90 degree singularity.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial.transform import Rotation

from ..hsi.smpl_layout import HUMANOID_FROM_SMPL, SMPL_PARENTS


def _euler_groups(orders: Sequence[str]) -> dict[str, np.ndarray]:
    """Joint indices by hinge order, so each group converts in one vectorised call."""
    return {order: np.flatnonzero(np.array(orders) == order) for order in sorted(set(orders))}


def local_to_hinges(local: Rotation, orders: Sequence[str]) -> np.ndarray:
    """(T, 69) hinge angles from (T * 23) local rotations in the humanoid's frames."""
    matrices = local.as_matrix().reshape(-1, 23, 3, 3)
    angles = np.empty((matrices.shape[0], 23, 3))
    for order, joints in _euler_groups(orders).items():
        angles[:, joints] = (
            Rotation.from_matrix(matrices[:, joints].reshape(-1, 3, 3))
            .as_euler(order.upper())
            .reshape(-1, len(joints), 3)
        )
    return angles.reshape(-1, 69)


def hinges_to_local(dof_pos: np.ndarray, orders: Sequence[str]) -> np.ndarray:
    """(T, 23, 3, 3) local rotation matrices from (T, 69) hinge angles."""
    angles = dof_pos.reshape(-1, 23, 3)
    matrices = np.empty((angles.shape[0], 23, 3, 3))
    for order, joints in _euler_groups(orders).items():
        matrices[:, joints] = (
            Rotation.from_euler(order.upper(), angles[:, joints].reshape(-1, 3))
            .as_matrix()
            .reshape(-1, len(joints), 3, 3)
        )
    return matrices


@dataclass
class HumanoidMotion:
    """Root pose and hinge angles per frame, in the order of `HumanoidSpec.dof_names`."""

    fps: float
    root_pos: np.ndarray  # (T, 3) pelvis position, world
    root_quat: np.ndarray  # (T, 4) xyzw, the pelvis body's orientation
    dof_pos: np.ndarray  # (T, 69) rad


def smpl_to_humanoid(
    global_orient: np.ndarray, body_pose: np.ndarray, pelvis: np.ndarray, fps: float, orders: Sequence[str]
) -> HumanoidMotion:
    """Hinge angles and root pose for SMPL parameters; `pelvis` is the world pelvis position per frame."""
    local = Rotation.from_rotvec(body_pose[:, : 23 * 3].reshape(-1, 3))
    dof = local_to_hinges(HUMANOID_FROM_SMPL * local * HUMANOID_FROM_SMPL.inv(), orders)
    root = Rotation.from_rotvec(global_orient) * HUMANOID_FROM_SMPL.inv()
    return HumanoidMotion(fps=fps, root_pos=np.asarray(pelvis, dtype=np.float64), root_quat=root.as_quat(), dof_pos=dof)


def humanoid_to_smpl(motion: HumanoidMotion, orders: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """(global_orient, body_pose) axis-angle back from the humanoid's root and hinge angles."""
    frames = motion.dof_pos.shape[0]
    in_humanoid = Rotation.from_matrix(hinges_to_local(motion.dof_pos, orders).reshape(-1, 3, 3))
    local = HUMANOID_FROM_SMPL.inv() * in_humanoid * HUMANOID_FROM_SMPL
    global_orient = (Rotation.from_quat(motion.root_quat) * HUMANOID_FROM_SMPL).as_rotvec()
    return global_orient, local.as_rotvec().reshape(frames, 69)


def humanoid_forward_kinematics(
    rest_joints: np.ndarray, root_pos: np.ndarray, root_quat: np.ndarray, dof_pos: np.ndarray, orders: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """World body origins (T, 24, 3) and orientations (T, 24, 4 xyzw) of the humanoid."""
    frames = dof_pos.shape[0]
    local = hinges_to_local(dof_pos, orders)
    rotations = np.empty((frames, 24, 3, 3))
    positions = np.empty((frames, 24, 3))
    rotations[:, 0] = Rotation.from_quat(root_quat).as_matrix()
    positions[:, 0] = root_pos
    for child in range(1, 24):
        parent = SMPL_PARENTS[child]
        offset = rest_joints[child] - rest_joints[parent]
        positions[:, child] = positions[:, parent] + rotations[:, parent] @ offset
        rotations[:, child] = rotations[:, parent] @ local[:, child - 1]
    quats = Rotation.from_matrix(rotations.reshape(-1, 3, 3)).as_quat().reshape(frames, 24, 4)
    return positions, quats
