"""Per-frame differential IK (mink on MuJoCo) from a human motion onto a robot, with or without scene terms.

Targets: each mapped link follows its SMPL body, the human scaled to the robot (leg length ratio)
horizontally about its pelvis and vertically about its ankles on the floor, which map to the robot's
ankles on the floor: a standing robot stands, a seated one keeps its feet down. Plain IK (the
GMR-like baseline) stops there. The scene terms add what plain IK ignores:
- contact: on a labelled contact frame, the robot links that take over the part's contact are pulled onto
  the nearest object's surface (the distance between their colliders goes to zero);
- no penetration: every robot collider keeps out of the objects' convex pieces and the floor
  (mink's collision avoidance limit, MuJoCo's signed distances);
- feet: while the human's foot is on the floor, the robot's sole is on the floor and the foot stays where
  it landed.
Each frame starts from the previous one (warm start) under joint position and velocity limits.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import mink
import mujoco
import numpy as np
from mink.limits.collision_avoidance_limit import compute_contact_normal_jacobian
from mink.limits.limit import Constraint
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from .human import HumanMotion
from .robot_model import RetargetMap, Robot
from .scene_model import RetargetScene

FOOT_ON_FLOOR_M = 0.06  # the SMPL foot body (ball of the foot) this close to the floor ...
FOOT_STILL_M_S = 0.25  # ... and this slow is a foot on the floor
_DISTANCE_MAX_M = 0.5  # distance queries stop here (a contact target farther than this is pulled at this rate)


@dataclass
class IKSettings:
    scene_terms: bool = True
    iterations: int = 6  # QP steps per frame at most
    first_frame_iterations: int = 200
    tolerance: float = 1e-4  # stop a frame's steps when no coordinate moves more than this (rad or m)
    max_step: float = 0.03  # no coordinate moves more than this in one step (rad or m): the linearised
    # collision limit holds over the step (the floating base has no velocity limit of its own)
    contact_weight: float = 30.0
    penetration_weight: float = 300.0
    foot_pin_weight: float = 10.0
    posture_weight: float = 1e-2
    damping: float = 1e-3
    collision_margin_m: float = 0.005  # how far colliders keep from objects and the floor
    collision_detection_m: float = 0.05  # pairs closer than this are constrained


DEFAULT_SETTINGS = IKSettings()


@dataclass(frozen=True)
class RobotMotion:
    fps: float
    qpos: np.ndarray  # (T, 7 + J) MuJoCo layout: root position, root (w, x, y, z), joints in robot order
    foot_contact: np.ndarray  # (T, F) the human's feet on the floor, in `Robot.retarget.feet` order
    scale: float
    seconds: float


class SurfaceContactTask(mink.Task):
    """Drive the distance between each active pair of collider sets to zero: robot links onto the object
    they touch, and colliders that went into an object or the floor back out to its surface.

    mink's collision limit only forbids going deeper (a penetrating pair's bound is zero), so a collider
    that entered an object within one linearised step would stay there; this task takes it out.
    """

    def __init__(self, model: mujoco.MjModel) -> None:
        super().__init__(cost=np.zeros(0))
        self.model = model
        self.pairs: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        self._fromto = np.zeros(6)
        self._normal = np.zeros(3)
        self._jac1 = np.zeros((3, model.nv))
        self._jac2 = np.zeros((3, model.nv))

    def set_pairs(self, pairs: list[tuple[tuple[int, ...], tuple[int, ...]]], weights: list[float]) -> None:
        self.pairs = pairs
        self.cost = np.asarray(weights, dtype=float)

    def _closest(
        self, data: mujoco.MjData, links: tuple[int, ...], others: tuple[int, ...]
    ) -> tuple[float, np.ndarray]:
        best, best_pair, best_fromto = np.inf, None, np.zeros(6)
        for first in links:
            for second in others:
                distance = mujoco.mj_geomDistance(self.model, data, first, second, _DISTANCE_MAX_M, self._fromto)
                if distance < best:
                    best, best_pair = distance, (first, second)
                    best_fromto[:] = self._fromto
        if best_pair is None or best >= _DISTANCE_MAX_M:
            return best, np.zeros(self.model.nv)
        row = compute_contact_normal_jacobian(
            self.model, data, *best_pair, best_fromto, self._normal, self._jac1, self._jac2
        )
        return best, -row if best < 0 else row  # inside, the witness points swap sides: d(distance)/dq turns over

    def _measure(self, configuration: mink.Configuration) -> tuple[np.ndarray, np.ndarray]:
        closest = [self._closest(configuration.data, *pair) for pair in self.pairs]
        error = np.array([distance for distance, _ in closest])
        return error, np.array([row for _, row in closest]).reshape(len(self.pairs), self.model.nv)

    def compute_qp_residual(self, configuration: mink.Configuration) -> tuple[np.ndarray, np.ndarray, float]:
        """One distance query per pair gives both the error and its Jacobian row."""
        return self._weighted_residual(*self._measure(configuration))

    def compute_error(self, configuration: mink.Configuration) -> np.ndarray:
        return self._measure(configuration)[0]

    def compute_jacobian(self, configuration: mink.Configuration) -> np.ndarray:
        return self._measure(configuration)[1]


class SceneCollisionLimit(mink.CollisionAvoidanceLimit):
    """mink's collision avoidance with only the rows of the pairs in range: a pair out of range is an
    unbounded row, and hundreds of them made the QP the dearest part of a step."""

    def compute_qp_inequalities(self, configuration: mink.Configuration, dt: float) -> Constraint:
        constraint = super().compute_qp_inequalities(configuration, dt)
        in_range = np.isfinite(constraint.h)
        return Constraint(G=constraint.G[in_range], h=constraint.h[in_range])


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
    scale = _leg_scale(robot, human)
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
    robot_geoms, scene_geoms = set(scene.robot_geoms), set(scene.scene_geoms)
    feet = list(mapping.feet)
    foot_tasks = [
        mink.FrameTask(foot, "body", position_cost=settings.foot_pin_weight, orientation_cost=1.0) for foot in feet
    ]
    if settings.scene_terms:
        limits.append(
            SceneCollisionLimit(
                model, [(list(scene.robot_geoms), list(scene.scene_geoms))],
                minimum_distance_from_collisions=settings.collision_margin_m,
                collision_detection_distance=settings.collision_detection_m,
            )
        )  # fmt: skip
    foot_contact = _feet_on_floor(human, [mapping.feet[foot] for foot in feet])
    root = human.body_pos[:, 0]
    human_ankle_z, robot_ankle_z = _ankle_heights(robot, human)
    qpos = np.empty((human.num_frames, model.nq))
    pinned: dict[int, mink.SE3] = {}
    start = time.perf_counter()
    q = model.qpos0.copy()  # standing at rest, feet on the floor: nothing starts inside anything
    q[:2] = root[0, :2]
    heading = Rotation.from_quat(human.body_quat[0, 0]).as_euler("ZYX")[0]
    q[3:7] = _wxyz(Rotation.from_euler("z", heading))
    configuration.update(q)
    for frame in tqdm(range(human.num_frames), desc=f"retarget ({robot.name})", unit="frame", disable=not progress):
        for task, target, wxyz in zip(frame_tasks, mapping.targets, target_wxyz, strict=True):
            body = human.body(target.human)
            body_pos = human.body_pos[frame, body]
            position = np.empty(3)
            position[:2] = root[frame, :2] + scale * (body_pos[:2] - root[frame, :2])
            position[2] = robot_ankle_z + scale * (body_pos[2] - human_ankle_z)
            task.set_target(mink.SE3.from_rotation_and_translation(mink.SO3(wxyz[frame]), position))
        tasks: list[mink.Task] = [*frame_tasks, posture]
        touching: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        if settings.scene_terms:
            touching = _contact_pairs(scene, mapping, human, frame, configuration.data, foot_contact[frame], feet)
            tasks.append(contact)
            for index, (foot, task) in enumerate(zip(feet, foot_tasks, strict=True)):
                if not foot_contact[frame, index]:
                    pinned.pop(index, None)
                    continue
                if index in pinned:
                    task.set_target(pinned[index])
                    tasks.append(task)
                elif frame > 0:
                    pinned[index] = configuration.get_transform_frame_to_world(foot, "body")
        first = frame == 0
        steps = settings.first_frame_iterations if first else settings.iterations
        step_dt = 1.0 / (human.fps * steps)
        frame_limits = limits if first else [*limits, velocity_limit]
        for _ in range(steps):
            if settings.scene_terms:
                inside = _penetrating_pairs(model, configuration.data, robot_geoms, scene_geoms)
                weights = [settings.contact_weight] * len(touching) + [settings.penetration_weight] * len(inside)
                contact.set_pairs(touching + inside, weights)
            velocity_step = mink.solve_ik(
                configuration, tasks, step_dt, "daqp", damping=settings.damping, limits=frame_limits
            )
            largest = np.abs(velocity_step).max() * step_dt
            if largest > settings.max_step:  # a shorter step along the same direction keeps every limit
                velocity_step *= settings.max_step / largest
            configuration.integrate_inplace(velocity_step, step_dt)
            if largest < settings.tolerance:
                break
        qpos[frame] = configuration.q
    return RobotMotion(human.fps, qpos, foot_contact, scale, time.perf_counter() - start)


def _contact_pairs(
    scene: RetargetScene,
    mapping: RetargetMap,
    human: HumanMotion,
    frame: int,
    data: mujoco.MjData,
    feet_down: np.ndarray,
    feet: list[str],
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """(robot colliders, object colliders) pairs to bring into contact on this frame."""
    link_sets = {
        mapping.contacts[part]
        for part, touching in zip(human.contact_parts, human.contact_labels[frame], strict=True)
        if touching and part in mapping.contacts
    }
    fromto = np.zeros(6)
    pairs = []
    for links in sorted(link_sets):
        geoms = tuple(g for link in links for g in scene.link_geoms[link])
        if not geoms or not scene.object_geoms:
            continue
        nearest = (
            next(iter(scene.object_geoms.values()))
            if len(scene.object_geoms) == 1
            else min(
                scene.object_geoms.values(),
                key=lambda pieces: min(
                    mujoco.mj_geomDistance(scene.model, data, g, p, _DISTANCE_MAX_M, fromto)
                    for g in geoms
                    for p in pieces
                ),
            )
        )
        pairs.append((geoms, nearest))
    for foot, down in zip(feet, feet_down, strict=True):
        if down:
            pairs.append((scene.link_geoms[foot], (scene.floor_geom,)))
    return pairs


def _penetrating_pairs(
    model: mujoco.MjModel, data: mujoco.MjData, robot_geoms: set[int], scene_geoms: set[int]
) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Robot colliders inside an object piece or the floor now (MuJoCo's own collision pass)."""
    mujoco.mj_collision(model, data)
    pairs = set()
    for contact in data.contact[: data.ncon]:
        first, second = int(contact.geom1), int(contact.geom2)
        if contact.dist < 0 and first in scene_geoms and second in robot_geoms:
            first, second = second, first
        if contact.dist < 0 and first in robot_geoms and second in scene_geoms:
            pairs.add(((first,), (second,)))
    return sorted(pairs)


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
