"""Joint position targets around the reference: the policy learns corrections to the motion it tracks.

With targets around a fixed default pose (BeyondMimic), a zero action pulls a seated reference body back to
standing and the episode ends within a few control steps, so a CPU-sized training run never sees a full
sit-down. Around the reference, a zero action already follows the motion kinematically and the policy
learns what the physics needs on top (balance, contact forces).
"""

from __future__ import annotations

from dataclasses import MISSING

import torch
from isaaclab.envs.mdp.actions.actions_cfg import JointPositionActionCfg
from isaaclab.envs.mdp.actions.joint_actions import JointPositionAction
from isaaclab.utils import configclass


class ReferenceJointPositionAction(JointPositionAction):
    """PD targets = the motion command's reference joint positions now + scale x action."""

    cfg: ReferenceJointPositionActionCfg

    def process_actions(self, actions: torch.Tensor) -> None:
        command = self._env.command_manager.get_term(self.cfg.command_name)
        self._offset = command.state.joint_pos[:, self._joint_ids]
        super().process_actions(actions)


@configclass
class ReferenceJointPositionActionCfg(JointPositionActionCfg):
    class_type: type = ReferenceJointPositionAction
    command_name: str = MISSING
    use_default_offset: bool = False
