"""The HSI task for a robot: BeyondMimic's whole-body motion tracking of the retargeted interaction among the
case's objects, plus HSImul3R's scene-contact reward.

As in BeyondMimic: actions are joint position targets around the default pose, scaled per joint by
0.25 x effort / stiffness; the policy sees the reference joint state and the reference anchor (torso) in
the robot anchor's frame; rewards track the anchor globally and every body relative to the anchor; an
episode fails when the anchor or an end effector leaves the reference's height or the torso tilts away.
The robot's cases are retarget folders (cases are retargeted on first use, see `HSIEnvCfg.robot`).
"""

from __future__ import annotations

from dataclasses import field

from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.managers import RewardTermCfg as RewTerm
from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.utils import configclass

from ...retarget.robot_cfg import robot_articulation_cfg
from ...retarget.robot_model import load_robot
from . import mdp
from .hsi_env_cfg import HSIEnvCfg, RewardsCfg, TerminationsCfg

ACTION_SCALE_EFFORT_SHARE = 0.25
"""BeyondMimic's action scale: a unit action asks for a quarter of the joint's effort limit from its PD drive."""


@configclass
class RobotActionsCfg:
    """PD joint position targets: default pose + action x per-joint scale (set from the robot's motors)."""

    joint_pos = mdp.JointPositionActionCfg(
        asset_name="robot", joint_names=[".*"], scale=1.0, use_default_offset=True, preserve_order=True
    )


@configclass
class RobotObservationsCfg:
    """Observation specifications (one flat vector; J joints, K contact bodies)."""

    @configclass
    class PolicyCfg(ObsGroup):
        """BeyondMimic's policy inputs and the scene's: 5J + 15 + 4K values (184 for the G1 on a chair)."""

        command = ObsTerm(func=mdp.generated_commands, params={"command_name": "motion"})  # 2J
        anchor_pos = ObsTerm(func=mdp.reference_anchor_pos_b, params={"command_name": "motion"})  # 3
        anchor_ori = ObsTerm(func=mdp.reference_anchor_ori_b, params={"command_name": "motion"})  # 6
        base_lin_vel = ObsTerm(func=mdp.base_lin_vel)  # 3
        base_ang_vel = ObsTerm(func=mdp.base_ang_vel)  # 3
        joint_pos = ObsTerm(func=mdp.joint_pos_rel)  # J
        joint_vel = ObsTerm(func=mdp.joint_vel_rel)  # J
        contact_vectors = ObsTerm(func=mdp.contact_vectors_b, params={"command_name": "motion"})  # 3K
        reference_contact = ObsTerm(func=mdp.reference_contact, params={"command_name": "motion"})  # K
        actions = ObsTerm(func=mdp.last_action)  # J

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = True

    policy: PolicyCfg = PolicyCfg()


@configclass
class RobotRewardsCfg(RewardsCfg):
    """BeyondMimic's tracking around the anchor instead of the root (its weights and widths), the HSI velocity,
    contact and limit terms, BeyondMimic's action-rate weight."""

    anchor_pos = RewTerm(func=mdp.track_anchor_pos_exp, weight=0.5, params={"command_name": "motion", "std": 0.3})
    anchor_rot = RewTerm(func=mdp.track_anchor_rot_exp, weight=0.5, params={"command_name": "motion", "std": 0.4})
    body_pos = RewTerm(func=mdp.track_relative_body_pos_exp, weight=1.0, params={"command_name": "motion", "std": 0.3})
    body_rot = RewTerm(func=mdp.track_relative_body_rot_exp, weight=1.0, params={"command_name": "motion", "std": 0.4})
    root_pos = None
    root_rot = None
    action_rate = RewTerm(func=mdp.action_rate_l2, weight=-0.1)


@configclass
class RobotTerminationsCfg(TerminationsCfg):
    """Time out, end of the reference, or BeyondMimic's failures (the end effectors are set per robot)."""

    body_position_error = None
    anchor_height = DoneTerm(func=mdp.anchor_height_error, params={"command_name": "motion", "threshold": 0.25})
    anchor_tilt = DoneTerm(func=mdp.anchor_tilt_error, params={"command_name": "motion", "threshold": 0.8})
    end_effector_height = DoneTerm(
        func=mdp.body_height_error, params={"command_name": "motion", "threshold": 0.25, "body_names": []}
    )


@configclass
class HSIRobotEnvCfg(HSIEnvCfg):
    """Track a retargeted interaction with a robot; a variant calls `use_robot` in its `__post_init__`."""

    actions: RobotActionsCfg = RobotActionsCfg()
    observations: RobotObservationsCfg = RobotObservationsCfg()
    rewards: RobotRewardsCfg = RobotRewardsCfg()
    terminations: RobotTerminationsCfg = RobotTerminationsCfg()
    end_effectors: list[str] = field(default_factory=list)
    """Bodies whose height error ends an episode (BeyondMimic: ankles and wrists)."""

    def __post_init__(self):
        super().__post_init__()
        for preset in (self.sim.physics.newton_mjwarp, self.sim.physics.default):
            preset.solver_cfg.njmax, preset.solver_cfg.nconmax = 600, 200  # the robot's colliders on furniture

    def use_robot(self, robot: str, end_effectors: list[str]) -> None:
        """The robot's asset (its USD comes with the retargeted cases), anchor body, per-joint action scales."""
        model = load_robot(robot)
        self.robot = robot
        self.end_effectors = list(end_effectors)
        self.scene.robot = robot_articulation_cfg("", root_height=float(model.bodies[0].pos[2]))
        self.commands.motion.anchor_body_name = model.anchor_body
        self.actions.joint_pos.scale = {
            f"^{joint.name}$": ACTION_SCALE_EFFORT_SHARE * joint.motor.effort / joint.motor.stiffness
            for joint in model.joints
        }
        self.terminations.end_effector_height.params["body_names"] = list(end_effectors)
