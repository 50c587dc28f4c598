"""Observation terms of the HSI tasks: what the reference asks next and where the objects are.

Proprioception (joint state, root height, gravity and velocities in the root frame) comes from Isaac
Lab's own terms; these add the reference's future body positions in the root frame and, per contact
body, the vector to the nearest object surface and whether the reference touches an object now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch
from isaaclab.managers import ManagerTermBase, ObservationTermCfg, SceneEntityCfg
from isaaclab.utils.math import quat_apply_inverse

from .contact import SceneContact

if TYPE_CHECKING:
    from isaaclab.assets import Articulation

    from ..hsi_env import HSIEnv
    from .commands import MotionCommand

ROBOT = SceneEntityCfg("robot")
"""The default asset, the humanoid (named as in Isaac Lab's own terms)."""


def reference_body_pos_b(
    env: HSIEnv,
    command_name: str,
    frames_ahead: Sequence[int] = (1, 5),
    asset_cfg: SceneEntityCfg = ROBOT,
) -> torch.Tensor:
    """Reference body positions `frames_ahead` motion frames after the current target, root frame, flattened."""
    robot: Articulation = env.scene[asset_cfg.name]
    command: MotionCommand = env.command_manager.get_term(command_name)
    root_pos, root_quat = robot.data.root_pos_w.torch, robot.data.root_quat_w.torch
    frame_s = 1.0 / command.motion.fps[command.env_case]
    future = []
    for frames in frames_ahead:
        ref = command.reference_at(frames * frame_s).body_pos_w
        future.append(quat_apply_inverse(root_quat[:, None], ref - root_pos[:, None]))
    return torch.cat(future, dim=1).flatten(1)


def reference_contact(env: HSIEnv, command_name: str) -> torch.Tensor:
    """1 where the reference's contact body touches an object at the current target, else 0."""
    command: MotionCommand = env.command_manager.get_term(command_name)
    return command.contact_now().float()


class contact_vectors_b(ManagerTermBase):
    """Vector from each contact body to its nearest object surface point, root frame, flattened.

    Bodies farther than `max_distance` from every object get a zero vector.
    """

    def __init__(self, cfg: ObservationTermCfg, env: HSIEnv) -> None:
        super().__init__(cfg, env)
        self.contact = SceneContact(env)

    def __call__(
        self,
        env: HSIEnv,
        command_name: str,
        max_distance: float = 2.0,
        asset_cfg: SceneEntityCfg = ROBOT,
    ) -> torch.Tensor:
        robot: Articulation = env.scene[asset_cfg.name]
        command: MotionCommand = env.command_manager.get_term(command_name)
        points = robot.data.body_pos_w.torch[:, command.contact_body_ids]
        _, closest = self.contact.nearest(points, max_distance)
        return quat_apply_inverse(robot.data.root_quat_w.torch[:, None], closest - points).flatten(1)
