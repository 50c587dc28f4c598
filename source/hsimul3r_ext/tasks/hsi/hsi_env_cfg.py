"""The HSI tracking task: a humanoid imitates a case's reference motion among the case's objects.

Scene: a local ground box, the case's humanoid and objects from their converted USD files (objects are
dynamic rigid bodies: a careless humanoid knocks them over). The humanoid's USD and the objects are
filled in from `cases` when the environment is built (:class:`~.hsi_env.HSIEnv`), after Hydra
overrides such as `env.cases=[examples/sit_chair_clean]` have been applied.
"""

from __future__ import annotations

from dataclasses import field

import isaaclab.sim as sim_utils
from isaaclab.assets import ArticulationCfg, AssetBaseCfg
from isaaclab.envs import ManagerBasedRLEnvCfg
from isaaclab.managers import EventTermCfg as EventTerm
from isaaclab.managers import ObservationGroupCfg as ObsGroup
from isaaclab.managers import ObservationTermCfg as ObsTerm
from isaaclab.managers import RewardTermCfg as RewTerm
from isaaclab.managers import SceneEntityCfg
from isaaclab.managers import TerminationTermCfg as DoneTerm
from isaaclab.scene import InteractiveSceneCfg
from isaaclab.sim.spawners.materials import RigidBodyMaterialBaseCfg
from isaaclab.utils import configclass
from isaaclab_newton.physics import MJWarpSolverCfg, NewtonCfg
from isaaclab_tasks.utils import PresetCfg

from ...assets.humanoid_cfg import humanoid_articulation_cfg
from . import mdp

GROUND_SIZE_M = 1000.0
"""Side of the ground box: covers large environment grids and the parking places of other cases' objects."""

##
# Scene definition
##


@configclass
class HSISceneCfg(InteractiveSceneCfg):
    """Ground, light and the humanoid; the cases' objects are added when the environment is built."""

    ground = AssetBaseCfg(
        prim_path="/World/Ground",
        spawn=sim_utils.CuboidCfg(
            size=(GROUND_SIZE_M, GROUND_SIZE_M, 0.1),
            collision_props=sim_utils.UsdPhysicsCollisionCfg(),
            physics_material=RigidBodyMaterialBaseCfg(static_friction=1.0, dynamic_friction=1.0),
        ),
        init_state=AssetBaseCfg.InitialStateCfg(pos=(0.0, 0.0, -0.05)),
    )

    # the humanoid (named `robot` as in Isaac Lab, so its terms work with their defaults); an empty USD path
    # means "the cases' own humanoid" (all cases share one body)
    robot: ArticulationCfg = humanoid_articulation_cfg("")

    light = AssetBaseCfg(
        prim_path="/World/light", spawn=sim_utils.DistantLightCfg(color=(0.75, 0.75, 0.75), intensity=3000.0)
    )


@configclass
class HSIPhysicsCfg(PresetCfg):
    """Physics backends: Newton with MuJoCo-Warp (runs kitless, on CPU or GPU).

    `implicitfast` integrates the PD drives' damping implicitly; explicit Euler blows the humanoid up.
    """

    newton_mjwarp: NewtonCfg = NewtonCfg(
        solver_cfg=MJWarpSolverCfg(integrator="implicitfast", njmax=300, nconmax=100, cone="pyramidal"),
        num_substeps=1,
    )
    default: NewtonCfg = newton_mjwarp


##
# MDP settings
##


@configclass
class CommandsCfg:
    """The reference motion."""

    motion = mdp.MotionCommandCfg(asset_name="robot")


@configclass
class ActionsCfg:
    """PD joint position targets: the reference joint positions now + action x scale (`mdp/actions.py`)."""

    joint_pos = mdp.ReferenceJointPositionActionCfg(
        asset_name="robot", joint_names=[".*"], scale=0.5, command_name="motion", preserve_order=True
    )


@configclass
class ObservationsCfg:
    """Observation specifications (one flat vector; sizes for J DOFs, B bodies, K contact bodies)."""

    @configclass
    class PolicyCfg(ObsGroup):
        """Observations for the policy: 3J + 10 + 6B + 4K values (381 for the SMPL humanoid on a chair)."""

        joint_pos = ObsTerm(func=mdp.joint_pos_rel)  # J
        joint_vel = ObsTerm(func=mdp.joint_vel_rel, scale=0.1)  # J
        root_height = ObsTerm(func=mdp.base_pos_z)  # 1
        projected_gravity = ObsTerm(func=mdp.projected_gravity)  # 3
        root_lin_vel = ObsTerm(func=mdp.base_lin_vel)  # 3
        root_ang_vel = ObsTerm(func=mdp.base_ang_vel, scale=0.25)  # 3
        reference_body_pos = ObsTerm(
            func=mdp.reference_body_pos_b, params={"command_name": "motion", "frames_ahead": (1, 5)}
        )  # 2 x 3B
        contact_vectors = ObsTerm(func=mdp.contact_vectors_b, params={"command_name": "motion"})  # 3K
        reference_contact = ObsTerm(func=mdp.reference_contact, params={"command_name": "motion"})  # K
        actions = ObsTerm(func=mdp.last_action)  # J

        def __post_init__(self):
            self.enable_corruption = False
            self.concatenate_terms = True

    policy: PolicyCfg = PolicyCfg()


@configclass
class EventCfg:
    """Resets (reference state initialisation, objects back in place) and optional object randomisation."""

    reset_humanoid = EventTerm(func=mdp.reset_to_reference, mode="reset", params={"command_name": "motion"})
    reset_objects = EventTerm(func=mdp.reset_objects, mode="reset")

    object_mass: EventTerm | None = None
    """Domain randomisation of the objects' masses; off by default (see `randomize_object_mass`)."""

    object_friction: EventTerm | None = None
    """Domain randomisation of the objects' friction; off by default (see `randomize_object_friction`)."""


randomize_object_mass = EventTerm(
    func=mdp.randomize_objects,
    mode="startup",
    params={
        "term": mdp.randomize_rigid_body_mass,
        "term_params": {"mass_distribution_params": (0.8, 1.2), "operation": "scale"},
    },
)
"""Object masses x U(0.8, 1.2): `env.events.object_mass` in a derived config."""

randomize_object_friction = EventTerm(
    func=mdp.randomize_objects,
    mode="startup",
    params={
        "term": mdp.randomize_rigid_body_material,
        "term_params": {
            "static_friction_range": (0.5, 1.0),
            "dynamic_friction_range": (0.5, 1.0),
            "restitution_range": (0.0, 0.0),
            "num_buckets": 64,
        },
    },
)
"""Object friction from U(0.5, 1.0): `env.events.object_friction` in a derived config."""


@configclass
class RewardsCfg:
    """Imitation (exp-kernels, BeyondMimic's widths), scene-targeted contact, regularisation."""

    body_pos = RewTerm(func=mdp.track_body_pos_exp, weight=1.0, params={"command_name": "motion", "std": 0.3})
    body_rot = RewTerm(func=mdp.track_body_rot_exp, weight=1.0, params={"command_name": "motion", "std": 0.4})
    body_lin_vel = RewTerm(func=mdp.track_body_lin_vel_exp, weight=1.0, params={"command_name": "motion", "std": 1.0})
    body_ang_vel = RewTerm(func=mdp.track_body_ang_vel_exp, weight=1.0, params={"command_name": "motion", "std": 3.14})
    root_pos = RewTerm(func=mdp.track_root_pos_exp, weight=0.5, params={"command_name": "motion", "std": 0.3})
    root_rot = RewTerm(func=mdp.track_root_rot_exp, weight=0.5, params={"command_name": "motion", "std": 0.4})
    scene_contact = RewTerm(func=mdp.scene_contact, weight=1.0, params={"command_name": "motion", "sigma": 0.1})
    action_rate = RewTerm(func=mdp.action_rate_l2, weight=-0.01)
    joint_limits = RewTerm(
        func=mdp.joint_pos_limits, weight=-10.0, params={"asset_cfg": SceneEntityCfg("robot", joint_names=[".*"])}
    )


@configclass
class TerminationsCfg:
    """Episode ends: time out, end of the reference, or the humanoid lost it."""

    time_out = DoneTerm(func=mdp.time_out, time_out=True)
    reference_finished = DoneTerm(func=mdp.reference_finished, time_out=True, params={"command_name": "motion"})
    body_position_error = DoneTerm(func=mdp.body_position_error, params={"command_name": "motion", "threshold": 0.25})


##
# Environment configuration
##


@configclass
class HSIEnvCfg(ManagerBasedRLEnvCfg):
    """Track a case's motion among its objects; `cases` lists case folders or converted folders."""

    class_type: type | str = "hsimul3r_ext.tasks.hsi.hsi_env:HSIEnv"

    cases: list[str] = field(default_factory=list)
    """Case folders (converted on first use, cached) or converted folders; environment i plays case i % len."""

    robot: str | None = None
    """A robot (`g1`, `h1` or a robot YAML) in the human's place: the cases are then retarget folders, or cases
    and converted folders retargeted on first use (cached); None tracks the case's own humanoid."""

    convert_overrides: list[str] = field(default_factory=list)
    """`convert.*` overrides for cases converted on first use (they change the cache key)."""

    default_pose_from_reference: bool = True
    """The humanoid's default joint positions (the actions' offset, the origin of the joint observations) are
    the first case's first reference frame, a natural pose; False keeps the USD's zero (T-)pose."""

    cache_dir: str | None = None
    """Where converted cases are cached; default `$HSIMUL3R_CACHE_DIR` or `~/.cache/hsimul3r` + `/converted`."""

    scene: HSISceneCfg = HSISceneCfg(num_envs=1024, env_spacing=4.0)
    commands: CommandsCfg = CommandsCfg()
    actions: ActionsCfg = ActionsCfg()
    observations: ObservationsCfg = ObservationsCfg()
    events: EventCfg = EventCfg()
    rewards: RewardsCfg = RewardsCfg()
    terminations: TerminationsCfg = TerminationsCfg()

    def __post_init__(self):
        """Post initialization."""
        # 1/120 s physics, 30 Hz control: the rate of the bundled motions
        self.decimation = 4
        self.episode_length_s = 10.0
        self.sim.dt = 1.0 / 120.0
        self.sim.render_interval = self.decimation
        self.sim.physics = HSIPhysicsCfg()

    def play_mode(self):
        """Play each clip from its first frame in a few environments, without randomisation."""
        super().play_mode()
        self.scene.num_envs = min(self.scene.num_envs, 4)
        self.commands.motion.sampling = "start"
        self.events.object_mass = None
        self.events.object_friction = None
