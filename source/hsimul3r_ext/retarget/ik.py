"""Per-frame differential IK (mink on MuJoCo) from a human motion onto a robot, with or without scene terms.

Targets: each mapped link follows its SMPL body, the human scaled to the robot (leg length ratio)
horizontally about its pelvis and vertically about its ankles on the floor, which map to the robot's
ankles on the floor: a standing robot stands, a seated one keeps its feet down. The pelvis keeps its real
path, so the robot reaches the real furniture. With `scale_objects`, the human is scaled about one fixed
point instead (its pelvis at the first frame) and the objects with it (`scaled_scene.py`). Plain IK (the
GMR-like baseline) stops there. The scene terms add what plain IK ignores:
- contact: on a labelled contact frame, the robot links that take over the part's contact are pulled onto
  the nearest object's surface (the distance between their colliders goes to zero);
- no penetration: every robot collider keeps out of the objects' convex pieces and the floor
  (mink's collision avoidance limit, MuJoCo's signed distances);
- feet: while the human's foot is on the floor, the robot's sole is on the floor and the foot stays where
  it landed (the pin replaces the foot link's human target).
Each frame starts from the previous one (warm start) under joint position and velocity limits. The first
starts from the robot standing at rest at the human's first place, or where that overlaps the scene, from the
human's first pose moved clear of it (`start_pose.py`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass

import mink
import mujoco
import numpy as np
from mink.limits.limit import Constraint
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from .human import HumanMotion
from .proximity import NearPairs, SceneProximity, distance_lower_bounds
from .qp import take_ik_step
from .robot_model import RetargetMap, Robot
from .scene_model import RetargetScene
from .start_pose import clear_of_the_scene, take_the_pose

FOOT_ON_FLOOR_M = 0.06  # the SMPL foot body (ball of the foot) this close to the floor ...
FOOT_STILL_M_S = 0.25  # ... and this slow is a foot on the floor
_DISTANCE_MAX_M = 0.5  # distance queries stop here (a contact target farther than this is pulled at this rate)


@dataclass
class IKSettings:
    scene_terms: bool = True
    iterations: int = 6  # QP steps per frame at most
    first_frame_iterations: int = 200
    start_pose_iterations: int = 50  # plain IK steps to the first pose, where the rest pose overlaps the scene
    tolerance: float = 1e-4  # stop a frame's steps when no coordinate moves more than this (rad or m)
    max_step: float = 0.03  # no coordinate moves more than this in one step (rad or m): the linearised
    # collision limit holds over the step (the floating base has no velocity limit of its own)
    contact_weight: float = 30.0
    penetration_weight: float = 300.0
    foot_pin_weight: float = 10.0
    posture_weight: float = 1e-2
    damping: float = 1e-3
    collision_margin_m: float = 0.002  # how far colliders keep from objects and the floor
    collision_detection_m: float = 0.05  # pairs closer than this are constrained
    scale_objects: bool = False  # scale the objects to the robot with the human (one fixed centre)


DEFAULT_SETTINGS = IKSettings()


@dataclass(frozen=True)
class HumanToRobot:
    """Where a human body position goes for the robot: x -> scale * x + shift, about each frame's pelvis
    horizontally (`centre_xy` None: the pelvis keeps its path) or about one fixed point."""

    scale: float
    human_ankle_z: float
    robot_ankle_z: float
    centre_xy: np.ndarray | None

    def place(self, position: np.ndarray, pelvis_xy: np.ndarray) -> np.ndarray:
        """(..., 3) positions, with their frame's (..., 2) pelvis."""
        centre = pelvis_xy if self.centre_xy is None else self.centre_xy
        placed = np.empty_like(position)
        placed[..., :2] = centre + self.scale * (position[..., :2] - centre)
        placed[..., 2] = self.robot_ankle_z + self.scale * (position[..., 2] - self.human_ankle_z)
        return placed

    @property
    def shift(self) -> np.ndarray:
        """(3,) the fixed-centre similarity's shift: x -> scale * x + shift."""
        if self.centre_xy is None:
            raise ValueError("scaled about each frame's pelvis: not one similarity")
        return np.array([*((1.0 - self.scale) * self.centre_xy), self.robot_ankle_z - self.scale * self.human_ankle_z])


def human_to_robot(robot: Robot, human: HumanMotion, scale_objects: bool) -> HumanToRobot:
    human_ankle_z, robot_ankle_z = _ankle_heights(robot, human)
    centre = human.body_pos[0, 0, :2].copy() if scale_objects else None
    return HumanToRobot(_leg_scale(robot, human), human_ankle_z, robot_ankle_z, centre)


@dataclass(frozen=True)
class RobotMotion:
    fps: float
    qpos: np.ndarray  # (T, 7 + J) MuJoCo layout: root position, root (w, x, y, z), joints in robot order
    foot_contact: np.ndarray  # (T, F) the human's feet on the floor, in `Robot.retarget.feet` order
    scale: float
    seconds: float


class SurfaceContactTask(mink.Task):
    """Drive distances between colliders to zero: robot links onto the object they touch, and colliders
    that went into an object or the floor back out to its surface.

    The collision limit only forbids going deeper (a penetrating pair's bound is zero), so a collider that
    entered an object within one linearised step would stay there; this task takes it out.
    """

    def __init__(self, model: mujoco.MjModel) -> None:
        super().__init__(cost=np.zeros(0))
        self._error, self._jacobian = np.zeros(0), np.zeros((0, model.nv))

    def set_pairs(self, touching: NearPairs, touching_weight: float, inside: NearPairs, inside_weight: float) -> None:
        """Distances measured at the configuration the next solve starts from."""
        self._error = np.concatenate([touching.distance, inside.distance])
        self._jacobian = np.concatenate([touching.rows, inside.rows])
        self.cost = np.repeat([touching_weight, inside_weight], [len(touching.distance), len(inside.distance)])

    def compute_qp_residual(self, configuration: mink.Configuration) -> tuple[np.ndarray, np.ndarray, float]:
        return self._weighted_residual(self._error, self._jacobian)

    def compute_error(self, configuration: mink.Configuration) -> np.ndarray:
        return self._error

    def compute_jacobian(self, configuration: mink.Configuration) -> np.ndarray:
        return self._jacobian


class SceneCollisionLimit(mink.Limit):
    """Robot colliders may approach the scene by at most a share of their distance beyond the margin in one
    step, and not at all within it (mink's collision avoidance on our pairs).

    The QP's unknown is the step's displacement (mink's G dq <= h), so the bound is that share of the distance
    itself. mink's own collision limit divides it by dt, a speed: with the IK's steps of 1/180 s (1/6000 s on the
    first frame) a collider 1 cm from a seat could then move 1.5 m into it in one step, and only the pairs
    already within the margin were held."""

    def __init__(self, margin_m: float, gain: float = 0.85) -> None:
        self.margin_m, self.gain = margin_m, gain
        self.near: NearPairs | None = None

    def compute_qp_inequalities(self, configuration: mink.Configuration, dt: float) -> Constraint:
        """`near` was measured at `configuration` (set before each solve)."""
        distance = self.near.distance
        bound = self.gain * np.maximum(distance - self.margin_m, 0.0)
        return Constraint(G=-self.near.rows, h=bound)


def retarget_motion(
    robot: Robot,
    scene: RetargetScene,
    human: HumanMotion,
    settings: IKSettings = DEFAULT_SETTINGS,
    progress: bool = True,
) -> RobotMotion:
    model = scene.model
    configuration = mink.Configuration(model)
    mapping = robot.retarget
    placing = human_to_robot(robot, human, settings.scale_objects)
    frame_tasks = [
        mink.FrameTask(t.link, "body", position_cost=t.position, orientation_cost=t.orientation, lm_damping=1.0)
        for t in mapping.targets
    ]
    rest_quat = {body.name: body.quat for body in robot.bodies}
    target_wxyz = [  # the link turns from its rest frame as the human body turns from its own
        np.roll(
            (
                Rotation.from_quat(human.body_quat[:, human.body(t.human)]) * Rotation.from_quat(rest_quat[t.link])
            ).as_quat(),
            1,
            axis=-1,
        )
        for t in mapping.targets
    ]
    posture = mink.PostureTask(model, cost=settings.posture_weight)
    posture.set_target(model.qpos0)
    limits: list[mink.Limit] = [mink.ConfigurationLimit(model)]
    velocity = {joint.name: joint.motor.velocity for joint in robot.joints}
    velocity_limit = mink.VelocityLimit(model, velocity)
    contact = SurfaceContactTask(model)
    proximity = SceneProximity(
        model,
        scene.robot_geoms,
        scene.scene_geoms,
        settings.collision_detection_m,
        margin_m=settings.collision_margin_m,
    )
    feet = list(mapping.feet)
    foot_targets = [next(t for t in mapping.targets if t.link == foot) for foot in feet]
    foot_tasks = [frame_tasks[mapping.targets.index(target)] for target in foot_targets]
    pin_on = [False] * len(feet)
    collision = SceneCollisionLimit(settings.collision_margin_m)
    if settings.scene_terms:
        limits.append(collision)
    foot_contact = _feet_on_floor(human, [mapping.feet[foot] for foot in feet])
    root = human.body_pos[:, 0]
    qpos = np.empty((human.num_frames, model.nq))
    pinned: dict[int, mink.SE3] = {}
    start = time.perf_counter()
    q = model.qpos0.copy()  # standing at rest, feet on the floor
    q[:2] = root[0, :2]
    heading = Rotation.from_quat(human.body_quat[0, 0]).as_euler("ZYX")[0]
    q[3:7] = _wxyz(Rotation.from_euler("z", heading))
    configuration.update(q)
    no_pairs = np.zeros((0, 2), dtype=int)

    def aim(frame: int) -> None:
        for task, target, wxyz in zip(frame_tasks, mapping.targets, target_wxyz, strict=True):
            position = placing.place(human.body_pos[frame, human.body(target.human)], root[frame, :2])
            task.set_target(mink.SE3.from_rotation_and_translation(mink.SO3(wxyz[frame]), position))

    if (
        settings.scene_terms
        and (proximity.measure(configuration.data, no_pairs, _DISTANCE_MAX_M)[1].distance < 0).any()
    ):
        aim(0)  # overlapping furniture the human starts beside or in: see start_pose.py
        take_the_pose(
            configuration, [*frame_tasks, posture], 1.0 / human.fps, settings.start_pose_iterations,
            settings.damping, settings.max_step, settings.tolerance,
        )  # fmt: skip
        clear_of_the_scene(configuration, settings.collision_margin_m)
    for frame in tqdm(range(human.num_frames), desc=f"retarget ({robot.name})", unit="frame", disable=not progress):
        aim(frame)
        tasks: list[mink.Task] = [*frame_tasks, posture]
        touching = no_pairs
        if settings.scene_terms:
            touching = _contact_pairs(scene, mapping, human, frame, configuration.data, foot_contact[frame], feet)
            tasks.append(contact)
            for index, foot in enumerate(feet):
                if not foot_contact[frame, index]:
                    pinned.pop(index, None)
                elif index not in pinned and frame > 0:  # landed: the foot stays where it is
                    pinned[index] = configuration.get_transform_frame_to_world(foot, "body")
                if index in pinned:
                    foot_tasks[index].set_target(pinned[index])  # the pin replaces the foot's human target
                if (index in pinned) != pin_on[index]:
                    pin_on[index] = index in pinned
                    target = foot_targets[index]
                    foot_tasks[index].set_position_cost(settings.foot_pin_weight if pin_on[index] else target.position)
                    foot_tasks[index].set_orientation_cost(1.0 if pin_on[index] else target.orientation)
        first = frame == 0
        steps = settings.first_frame_iterations if first else settings.iterations
        step_dt = 1.0 / (human.fps * steps)
        frame_limits = limits if first else [*limits, velocity_limit]
        for _ in range(steps):
            if settings.scene_terms:
                touched, near = proximity.measure(configuration.data, touching, _DISTANCE_MAX_M)
                collision.near = near
                contact.set_pairs(touched, settings.contact_weight, near.inside(), settings.penetration_weight)
            largest = take_ik_step(configuration, tasks, step_dt, settings.damping, frame_limits, settings.max_step)
            if largest < settings.tolerance:
                break
        qpos[frame] = configuration.q
    return RobotMotion(human.fps, qpos, foot_contact, placing.scale, time.perf_counter() - start)


def _contact_pairs(
    scene: RetargetScene,
    mapping: RetargetMap,
    human: HumanMotion,
    frame: int,
    data: mujoco.MjData,
    feet_down: np.ndarray,
    feet: list[str],
) -> np.ndarray:
    """(robot collider, scene collider) pairs to bring into contact on this frame: for each set of links that
    takes over a touching part, its collider closest to any object piece at the frame's start (the frame's
    steps pull that pair together), and each planted foot's collider closest to the floor."""
    link_sets = {
        mapping.contacts[part]
        for part, touching in zip(human.contact_parts, human.contact_labels[frame], strict=True)
        if touching and part in mapping.contacts
    }
    pieces = [piece for object_pieces in scene.object_geoms.values() for piece in object_pieces]
    pairs = []
    for links in sorted(link_sets):
        geoms = [g for link in links for g in scene.link_geoms[link]]
        if geoms and pieces:
            pairs.append(_closest_pair(scene.model, data, geoms, pieces))
    for foot, down in zip(feet, feet_down, strict=True):
        if down and scene.link_geoms[foot]:
            pairs.append(_closest_pair(scene.model, data, scene.link_geoms[foot], [scene.floor_geom]))
    return np.array(pairs, dtype=int).reshape(-1, 2)


def _closest_pair(
    model: mujoco.MjModel, data: mujoco.MjData, geoms: Sequence[int], others: Sequence[int]
) -> tuple[int, int]:
    """Pairs in order of a lower bound on their distance (bounding spheres): once that bound passes the best
    distance so far, no later pair can be closer."""
    gap = distance_lower_bounds(model, data, np.array(geoms), np.array(others))
    fromto = np.zeros(6)
    best, pair = np.inf, (int(geoms[0]), int(others[0]))
    for index in np.argsort(gap, axis=None).tolist():
        row, column = divmod(index, len(others))
        if gap[row, column] >= best:
            break
        candidate = (int(geoms[row]), int(others[column]))
        distance = mujoco.mj_geomDistance(model, data, *candidate, min(best, _DISTANCE_MAX_M), fromto)
        if distance < best:
            best, pair = distance, candidate
    return pair


def _feet_on_floor(human: HumanMotion, parts: list[str]) -> np.ndarray:
    """(T, F): the human's foot near the floor and nearly still."""
    on_floor = np.zeros((human.num_frames, len(parts)), dtype=bool)
    for index, part in enumerate(parts):
        position = human.body_pos[:, human.body(part)]
        speed = np.zeros(human.num_frames)
        if human.num_frames > 1:
            step = np.linalg.norm(np.diff(position[:, :2], axis=0), axis=1) * human.fps
            speed = np.concatenate([[step[0]], np.minimum(step[:-1], step[1:]), [step[-1]]])
        on_floor[:, index] = (position[:, 2] < FOOT_ON_FLOOR_M) & (speed < FOOT_STILL_M_S)
    return on_floor


def _leg_scale(robot: Robot, human: HumanMotion) -> float:
    """Robot leg length (hip, knee, ankle targets at rest) over the human's (bone lengths, first frame)."""
    by_human = {target.human: target.link for target in robot.retarget.targets}
    chain = ("left_hip", "left_knee", "left_ankle")
    if not all(part in by_human for part in chain):
        return 1.0
    rest = {body.name: body.pos for body in robot.bodies}
    robot_length = sum(np.linalg.norm(rest[by_human[a]] - rest[by_human[b]]) for a, b in itertools.pairwise(chain))
    pos = human.body_pos[0]
    human_length = sum(np.linalg.norm(pos[human.body(a)] - pos[human.body(b)]) for a, b in itertools.pairwise(chain))
    return float(robot_length / human_length)


def _ankle_heights(robot: Robot, human: HumanMotion) -> tuple[float, float]:
    """The human's ankle height with the foot on the floor (its lowest over the clip, robustly) and the
    robot's ankle links' height at rest (standing)."""
    by_human = {target.human: target.link for target in robot.retarget.targets}
    parts = [part for part in ("left_ankle", "right_ankle") if part in by_human]
    if not parts:
        return 0.0, 0.0
    human_z = np.percentile(human.body_pos[:, [human.body(part) for part in parts], 2], 5)
    rest = {body.name: body.pos for body in robot.bodies}
    return float(human_z), float(np.mean([rest[by_human[part]][2] for part in parts]))


def _wxyz(rotation: Rotation) -> np.ndarray:
    x, y, z, w = rotation.as_quat()
    return np.array([w, x, y, z])
