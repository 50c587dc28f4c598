"""Termination terms of the HSI tasks: the humanoid lost the reference, or the reference is over."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from isaaclab.managers import SceneEntityCfg

if TYPE_CHECKING:
    from isaaclab.assets import Articulation

    from ..hsi_env import HSIEnv
    from .commands import MotionCommand

ROBOT = SceneEntityCfg("robot")
"""The default asset, the humanoid (named as in Isaac Lab's own terms)."""


def body_position_error(
    env: HSIEnv, command_name: str, threshold: float = 0.25, asset_cfg: SceneEntityCfg = ROBOT
) -> torch.Tensor:
    """Mean distance of the bodies to the reference above `threshold` [m] (PHC's training criterion)."""
    robot: Articulation = env.scene[asset_cfg.name]
    command: MotionCommand = env.command_manager.get_term(command_name)
    return (robot.data.body_pos_w.torch - command.state.body_pos_w).norm(dim=-1).mean(-1) > threshold


def reference_finished(env: HSIEnv, command_name: str) -> torch.Tensor:
    """The clip ended and its last frame was held for the command's `hold_end_s`."""
    command: MotionCommand = env.command_manager.get_term(command_name)
    return command.time > command.duration + command.cfg.hold_end_s
