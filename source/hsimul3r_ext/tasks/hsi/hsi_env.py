"""The HSI environment: Isaac Lab's manager-based RL environment, with its scene completed from its cases.

The cases are resolved when the environment is built rather than when its config is, because Hydra
overrides (`env.cases=[...]`) land on the config after it was constructed. Converting a case (first
use only) and adding its humanoid and objects to the scene happen here, before the managers load.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from isaaclab.assets import RigidObjectCfg
from isaaclab.envs import ManagerBasedRLEnv

from ...assets.isaaclab_cfg import converted_object_cfg
from .cases import parse_case_list
from .export import POLICY_METADATA
from .hsi_env_cfg import HSIEnvCfg
from .layout import HSILayout
from .motion_library import motion_dof_names


class HSIEnv(ManagerBasedRLEnv):
    """Manager-based RL environment over the humanoid and objects of one or more converted cases."""

    cfg: HSIEnvCfg

    def __init__(self, cfg: HSIEnvCfg, render_mode: str | None = None, **kwargs) -> None:
        self.layout = HSILayout(parse_case_list(cfg.cases), cfg.cache_dir, cfg.convert_overrides, cfg.robot)
        complete_scene_cfg(cfg, self.layout)
        super().__init__(cfg, render_mode, **kwargs)
        if cfg.log_dir is not None:
            os.makedirs(cfg.log_dir, exist_ok=True)
            path = Path(cfg.log_dir) / POLICY_METADATA
            path.write_text(json.dumps(policy_metadata(self), indent=2) + "\n", encoding="utf-8")


def complete_scene_cfg(cfg: HSIEnvCfg, layout: HSILayout) -> None:
    """Add the cases' humanoid (unless the config names its own USD) and objects to the scene config."""
    humanoid = cfg.scene.robot
    if not humanoid.spawn.usd_path:
        humanoid.spawn.usd_path = str(layout.humanoid_usd)
    first = layout.scenes[0].humanoid
    humanoid.init_state.pos = tuple(float(v) for v in first.root_pos[0])
    humanoid.init_state.rot = tuple(float(v) for v in first.root_quat[0])
    if cfg.default_pose_from_reference:
        with np.load(layout.motion_files[0]) as data:
            columns = motion_dof_names(data, layout.motion_files[0])
            humanoid.init_state.joint_pos = {name: float(data["joint_pos"][0, c]) for name, c in columns.items()}
    env0_pos, _ = layout.object_poses(layout.env_cases(1, "cpu"))  # env 0 plays case 0: the others start parked
    for index, obj in enumerate(layout.objects):
        asset = converted_object_cfg(layout.scenes[obj.case].folder, obj.name, f"{{ENV_REGEX_NS}}/{obj.asset_name}")
        if isinstance(asset, RigidObjectCfg):
            asset.init_state.pos = tuple(float(v) for v in env0_pos[0, index])
        setattr(cfg.scene, obj.asset_name, asset)


def policy_metadata(env: HSIEnv) -> dict[str, Any]:
    """Joint order, PD gains, default pose, action scale and observation layout of the policy's interface."""
    action = env.cfg.actions.joint_pos
    robot = env.scene[action.asset_name]
    ids, names = robot.find_joints(action.joint_names, preserve_order=action.preserve_order)
    data = robot.data
    obs = env.observation_manager
    return {
        "cases": [str(f) for f in env.layout.folders],
        "joint_names": names,
        "body_names": list(robot.body_names),
        "contact_body_names": list(env.layout.contact_body_names),
        "anchor_body": robot.body_names[env.command_manager.get_term("motion").anchor_index],
        "default_joint_pos": data.default_joint_pos.torch[0, ids].tolist(),
        "joint_stiffness": data.joint_stiffness.torch[0, ids].tolist(),
        "joint_damping": data.joint_damping.torch[0, ids].tolist(),
        "effort_limit": data.joint_effort_limits.torch[0, ids].tolist(),
        "action_scale": _per_joint(action.scale, names),
        "action_offset": _action_offset(action),
        "control_dt": env.step_dt,
        "physics_dt": env.physics_dt,
        "observation": {
            group: [
                {"name": name, "size": int(dims[-1]) if len(dims) else 1}
                for name, dims in zip(obs.active_terms[group], obs.group_obs_term_dim[group], strict=True)
            ]
            for group in obs.active_terms
        },
    }


def _per_joint(value: float | dict[str, float], joint_names: list[str]) -> float | list[float]:
    """A per-joint setting (regular expression -> value, 1 where none matches, as Isaac Lab's joint actions read
    it) as a list in joint order; a single value as it is."""
    if not isinstance(value, dict):
        return value
    from isaaclab.utils.string import resolve_matching_names_values

    per_joint = [1.0] * len(joint_names)
    for index, _, scale in zip(*resolve_matching_names_values(value, joint_names), strict=True):
        per_joint[index] = float(scale)
    return per_joint


def _action_offset(action) -> Any:
    """What the scaled action is added to: the reference joint positions, the default pose or constants."""
    from .mdp.actions import ReferenceJointPositionActionCfg

    if isinstance(action, ReferenceJointPositionActionCfg):
        return "reference_joint_pos"  # the motion's joint positions at the current time, in joint_names order
    return "default_joint_pos" if action.use_default_offset else action.offset
