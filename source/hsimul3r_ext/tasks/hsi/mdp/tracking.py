"""BeyondMimic's motion-tracking terms around an anchor body (a robot's torso): the reference anchor seen from
the robot's anchor, tracking of the anchor and of the bodies relative to it, and the anchor or end effectors
drifting away as a failure.

The relative target (`MotionCommand.relative_body_pose_w`) puts the reference's anchor over the robot's, so
the limbs are rewarded for their pose, not for where the whole body went; the global anchor term keeps the
robot where the scene expects it (the seat does not move with the robot).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from isaaclab.managers import SceneEntityCfg
from isaaclab.utils.math import matrix_from_quat, quat_apply_inverse, quat_error_magnitude, subtract_frame_transforms

if TYPE_CHECKING:
    from isaaclab.assets import Articulation

    from ..hsi_env import HSIEnv
    from .commands import MotionCommand

ROBOT = SceneEntityCfg("robot")
"""The default asset (named as in Isaac Lab's own terms)."""

GRAVITY_W = (0.0, 0.0, -1.0)


def _anchor(env: HSIEnv, command_name: str, asset_cfg: SceneEntityCfg) -> tuple[Articulation, MotionCommand, int]:
    command: MotionCommand = env.command_manager.get_term(command_name)
    return env.scene[asset_cfg.name], command, command.anchor_index


def _reference_anchor_b(env: HSIEnv, command_name: str, asset_cfg: SceneEntityCfg) -> tuple[torch.Tensor, torch.Tensor]:
    """Position and orientation of the reference anchor in the robot anchor's frame."""
    robot, command, a = _anchor(env, command_name, asset_cfg)
    return subtract_frame_transforms(
        robot.data.body_pos_w.torch[:, a], robot.data.body_quat_w.torch[:, a],
        command.state.body_pos_w[:, a], command.state.body_quat_w[:, a],
    )  # fmt: skip


def reference_anchor_pos_b(env: HSIEnv, command_name: str, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """The reference anchor's position in the robot anchor's frame (3)."""
    return _reference_anchor_b(env, command_name, asset_cfg)[0]


def reference_anchor_ori_b(env: HSIEnv, command_name: str, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """The reference anchor's orientation in the robot anchor's frame, two columns of its rotation matrix (6)."""
    quat = _reference_anchor_b(env, command_name, asset_cfg)[1]
    return matrix_from_quat(quat)[..., :2].reshape(len(quat), -1)


def track_anchor_pos_exp(env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-squared anchor position error / std²), world frame."""
    robot, command, a = _anchor(env, command_name, asset_cfg)
    error = (robot.data.body_pos_w.torch[:, a] - command.state.body_pos_w[:, a]).square().sum(-1)
    return torch.exp(-error / std**2)


def track_anchor_rot_exp(env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-squared anchor rotation error [rad²] / std²)."""
    robot, command, a = _anchor(env, command_name, asset_cfg)
    error = quat_error_magnitude(robot.data.body_quat_w.torch[:, a], command.state.body_quat_w[:, a]).square()
    return torch.exp(-error / std**2)


def track_relative_body_pos_exp(
    env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT
) -> torch.Tensor:
    """exp(-mean squared body position error to the anchor-relative reference / std²)."""
    robot, command, _ = _anchor(env, command_name, asset_cfg)
    target, _ = command.relative_body_pose_w()
    error = (robot.data.body_pos_w.torch - target).square().sum(-1).mean(-1)
    return torch.exp(-error / std**2)


def track_relative_body_rot_exp(
    env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT
) -> torch.Tensor:
    """exp(-mean squared body rotation error [rad²] to the anchor-relative reference / std²)."""
    robot, command, _ = _anchor(env, command_name, asset_cfg)
    _, target = command.relative_body_pose_w()
    error = quat_error_magnitude(robot.data.body_quat_w.torch, target).square().mean(-1)
    return torch.exp(-error / std**2)


def anchor_height_error(
    env: HSIEnv, command_name: str, threshold: float, asset_cfg: SceneEntityCfg = ROBOT
) -> torch.Tensor:
    """The anchor is more than `threshold` [m] above or below the reference's."""
    robot, command, a = _anchor(env, command_name, asset_cfg)
    return (robot.data.body_pos_w.torch[:, a, 2] - command.state.body_pos_w[:, a, 2]).abs() > threshold


def anchor_tilt_error(
    env: HSIEnv, command_name: str, threshold: float, asset_cfg: SceneEntityCfg = ROBOT
) -> torch.Tensor:
    """Gravity seen from the anchor differs from the reference's by more than `threshold` along the anchor's z."""
    robot, command, a = _anchor(env, command_name, asset_cfg)
    gravity = torch.tensor(GRAVITY_W, device=env.device).expand(env.num_envs, 3)
    robot_z = quat_apply_inverse(robot.data.body_quat_w.torch[:, a], gravity)[:, 2]
    reference_z = quat_apply_inverse(command.state.body_quat_w[:, a], gravity)[:, 2]
    return (robot_z - reference_z).abs() > threshold


def body_height_error(
    env: HSIEnv, command_name: str, threshold: float, body_names: Sequence[str], asset_cfg: SceneEntityCfg = ROBOT
) -> torch.Tensor:
    """Any of `body_names` (end effectors) is more than `threshold` [m] above or below the anchor-relative
    reference."""
    robot, command, _ = _anchor(env, command_name, asset_cfg)
    ids = robot.find_bodies(list(body_names), preserve_order=True)[0]
    target, _ = command.relative_body_pose_w()
    return ((robot.data.body_pos_w.torch[:, ids, 2] - target[:, ids, 2]).abs() > threshold).any(-1)
