"""Reward terms of the HSI tasks: imitation of the reference (DeepMimic / PHC exp-kernels) and contact.

Tracking is global (world-frame bodies) because the objects sit at fixed places in the world: a body
that matches the reference only relative to the root would miss the seat. The scene-targeted
contact reward is HSImul3R's (Sec. 3.3): on frames where the reference touches an object, the mean
distance of the contact bodies to their nearest object surface, through exp(-d / sigma).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import ManagerTermBase, RewardTermCfg, SceneEntityCfg
from isaaclab.utils.math import quat_error_magnitude

from .contact import SceneContact

if TYPE_CHECKING:
    from isaaclab.assets import Articulation

    from ..hsi_env import HSIEnv
    from .commands import MotionCommand

ROBOT = SceneEntityCfg("robot")
"""The default asset, the humanoid (named as in Isaac Lab's own terms)."""


def _terms(env: HSIEnv, command_name: str, asset_cfg: SceneEntityCfg) -> tuple[Articulation, MotionCommand]:
    return env.scene[asset_cfg.name], env.command_manager.get_term(command_name)


def track_body_pos_exp(env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-mean squared body position error / std²), world frame."""
    robot, command = _terms(env, command_name, asset_cfg)
    error = (robot.data.body_pos_w.torch - command.state.body_pos_w).square().sum(-1).mean(-1)
    return torch.exp(-error / std**2)


def track_body_rot_exp(env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-mean squared body rotation error [rad²] / std²)."""
    robot, command = _terms(env, command_name, asset_cfg)
    error = quat_error_magnitude(robot.data.body_quat_w.torch, command.state.body_quat_w).square().mean(-1)
    return torch.exp(-error / std**2)


def track_body_lin_vel_exp(
    env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT
) -> torch.Tensor:
    """exp(-mean squared body linear velocity error / std²), world frame."""
    robot, command = _terms(env, command_name, asset_cfg)
    error = (robot.data.body_lin_vel_w.torch - command.state.body_lin_vel_w).square().sum(-1).mean(-1)
    return torch.exp(-error / std**2)


def track_body_ang_vel_exp(
    env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT
) -> torch.Tensor:
    """exp(-mean squared body angular velocity error / std²), world frame."""
    robot, command = _terms(env, command_name, asset_cfg)
    error = (robot.data.body_ang_vel_w.torch - command.state.body_ang_vel_w).square().sum(-1).mean(-1)
    return torch.exp(-error / std**2)


def track_root_pos_exp(env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-squared root (pelvis) position error / std²): keeps the whole body where the scene expects it."""
    robot, command = _terms(env, command_name, asset_cfg)
    error = (robot.data.root_pos_w.torch - command.state.body_pos_w[:, command.motion.root_index]).square().sum(-1)
    return torch.exp(-error / std**2)


def track_root_rot_exp(env: HSIEnv, command_name: str, std: float, asset_cfg: SceneEntityCfg = ROBOT) -> torch.Tensor:
    """exp(-squared root rotation error [rad²] / std²)."""
    robot, command = _terms(env, command_name, asset_cfg)
    error = quat_error_magnitude(
        robot.data.root_quat_w.torch, command.state.body_quat_w[:, command.motion.root_index]
    ).square()
    return torch.exp(-error / std**2)


class scene_contact(ManagerTermBase):
    """exp(-d / sigma), d = mean gap of the contact bodies the reference has in contact (0 on other frames).

    The gap is a body origin's distance to its nearest object surface; with `beyond_reference` it is
    only what exceeds the reference's own distance on that frame (a body origin sits a body's radius
    above the seat even in perfect contact), so a pose as close as the reference scores 1.
    """

    def __init__(self, cfg: RewardTermCfg, env: HSIEnv) -> None:
        super().__init__(cfg, env)
        self.contact = SceneContact(env)
        command: MotionCommand = env.command_manager.get_term(cfg.params["command_name"])
        clearance = [env.layout.reference_distance(case) for case in range(command.motion.num_cases)]
        self.reference_clearance = torch.cat([torch.as_tensor(c, device=env.device) for c in clearance]).clamp(min=0)
        """(frames of all clips, contact bodies) the reference's own distance to the objects."""

    def __call__(
        self,
        env: HSIEnv,
        command_name: str,
        sigma: float = 0.1,
        beyond_reference: bool = True,
        max_distance: float = 2.0,
        asset_cfg: SceneEntityCfg = ROBOT,
    ) -> torch.Tensor:
        robot, command = _terms(env, command_name, asset_cfg)
        distance, _ = self.contact.nearest(robot.data.body_pos_w.torch[:, command.contact_body_ids], max_distance)
        gap = distance.clamp(min=0.0)
        if beyond_reference:
            frame = command.motion.frame_index(command.env_case, command.time)
            gap = (gap - self.reference_clearance[frame]).clamp(min=0.0)
        in_contact = command.contact_now()
        count = in_contact.sum(-1)
        mean_gap = (gap * in_contact).sum(-1) / count.clamp(min=1)
        return torch.where(count > 0, torch.exp(-mean_gap / sigma), torch.zeros_like(mean_gap))
