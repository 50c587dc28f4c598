"""Event terms of the HSI tasks: start in the reference's state, put the objects back, randomise them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import torch
from isaaclab.managers import EventTermCfg, ManagerTermBase, SceneEntityCfg

if TYPE_CHECKING:
    from isaaclab.assets import Articulation

    from ..hsi_env import HSIEnv
    from .commands import MotionCommand

ROBOT = SceneEntityCfg("robot")
"""The default asset, the humanoid (named as in Isaac Lab's own terms)."""


def reset_to_reference(
    env: HSIEnv, env_ids: torch.Tensor | slice, command_name: str, asset_cfg: SceneEntityCfg = ROBOT
) -> None:
    """Reference state initialisation: draw each episode's start time and put the humanoid in that state."""
    command: MotionCommand = env.command_manager.get_term(command_name)
    write_reference_state(env, command.draw_start(env_ids), command_name, asset_cfg)


def write_reference_state(
    env: HSIEnv, env_ids: torch.Tensor, command_name: str, asset_cfg: SceneEntityCfg = ROBOT
) -> None:
    """Set the humanoid of `env_ids` to its current reference: root pose and velocity, joint state."""
    robot: Articulation = env.scene[asset_cfg.name]
    command: MotionCommand = env.command_manager.get_term(command_name)
    ref = command.reference_at(0.0, env_ids)
    root = command.motion.root_index
    root_pose = torch.cat([ref.body_pos_w[:, root], ref.body_quat_w[:, root]], dim=-1)
    root_velocity = torch.cat([ref.body_lin_vel_w[:, root], ref.body_ang_vel_w[:, root]], dim=-1)
    robot.write_root_pose_to_sim_index(root_pose=root_pose, env_ids=env_ids)
    robot.write_root_link_velocity_to_sim_index(root_velocity=root_velocity, env_ids=env_ids)
    limits = robot.data.soft_joint_pos_limits.torch[env_ids]
    robot.write_joint_position_to_sim_index(
        position=ref.joint_pos.clamp(limits[..., 0], limits[..., 1]), env_ids=env_ids
    )
    robot.write_joint_velocity_to_sim_index(velocity=ref.joint_vel, env_ids=env_ids)


class reset_objects(ManagerTermBase):
    """Put every dynamic object back at its case pose (or its parking place), at rest."""

    def __init__(self, cfg: EventTermCfg, env: HSIEnv) -> None:
        super().__init__(cfg, env)
        pos, quat = env.layout.object_poses(env.layout.env_cases(env.num_envs, env.device))
        self._pose = torch.cat([pos + env.scene.env_origins[:, None], quat], dim=-1)
        self._dynamic = [(m, o.asset_name) for m, o in enumerate(env.layout.objects) if not o.static]

    def __call__(self, env: HSIEnv, env_ids: torch.Tensor | slice) -> None:
        for m, name in self._dynamic:
            obj = env.scene[name]
            pose = self._pose[env_ids, m]
            obj.write_root_pose_to_sim_index(root_pose=pose, env_ids=env_ids)
            obj.write_root_velocity_to_sim_index(root_velocity=torch.zeros_like(pose[:, :6]), env_ids=env_ids)


class randomize_objects(ManagerTermBase):
    """Apply one of Isaac Lab's rigid-body randomisation terms (mass, material, ...) to every dynamic object.

    `term` is the Isaac Lab term (function or class), `term_params` its parameters without `asset_cfg`.
    """

    def __init__(self, cfg: EventTermCfg, env: HSIEnv) -> None:
        super().__init__(cfg, env)
        term, params = cfg.params["term"], cfg.params["term_params"]
        self._terms: list[tuple[Callable, dict[str, Any]]] = []
        for obj in env.layout.objects:
            if obj.static:
                continue
            asset_cfg = SceneEntityCfg(obj.asset_name)
            asset_cfg.resolve(env.scene)
            term_cfg = EventTermCfg(func=term, mode=cfg.mode, params={**params, "asset_cfg": asset_cfg})
            func = term(term_cfg, env) if isinstance(term, type) else term
            self._terms.append((func, term_cfg.params))

    def __call__(self, env: HSIEnv, env_ids: torch.Tensor | slice | None, term: Any, term_params: dict) -> None:
        for func, params in self._terms:
            func(env, env_ids, **params)
