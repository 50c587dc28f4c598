"""Which robot colliders are near or inside the scene, and how their distances change with the joints.

The IK asks this at every step. Measuring every robot-scene pair each time (MuJoCo's collision pass with
a margin, or a distance query per pair) costs more than the rest of a step, so candidates are found
with one collision pass and a wider margin (detection + slack); between passes only the candidates
are measured. A pair that was not a candidate was farther than detection + slack, and it cannot come
within detection before some robot collider moved by more than the slack. The next pass happens
before that: when the bound on any collider's travel since the last pass (its centre's travel plus its
turn times its bounding radius) exceeds the slack. So the pairs are the same as measuring them all.

Most IK steps after a frame's first ones move the robot by less than a millimetre. While no collider
moved more than `relinearise_m` since the last measurement, distances are predicted from it to first
order (distance + row . dq, the IK's own linearisation) instead of measured again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import mujoco
import numpy as np


@dataclass(frozen=True)
class NearPairs:
    """Robot-scene collider pairs within the detection distance (or inside), one row per pair."""

    distance: np.ndarray  # (N,) signed: below zero inside
    rows: np.ndarray  # (N, nv) d(distance)/dq

    def inside(self) -> NearPairs:
        keep = self.distance < 0
        return NearPairs(self.distance[keep], self.rows[keep])

    @staticmethod
    def none(nv: int) -> NearPairs:
        return NearPairs(np.zeros(0), np.zeros((0, nv)))


@dataclass(frozen=True)
class _ColliderPoses:
    centres: np.ndarray  # (G, 3)
    frames: np.ndarray  # (G, 9) rotation matrices, row-major


class SceneProximity:
    """Signed distances and their Jacobian rows of the robot-scene pairs within `detection_m`."""

    def __init__(
        self,
        model: mujoco.MjModel,
        robot_geoms: tuple[int, ...],
        scene_geoms: tuple[int, ...],
        detection_m: float,
        slack_m: float = 0.05,
        relinearise_m: float = 0.001,
    ) -> None:
        self.model, self.detection_m, self.slack_m, self.relinearise_m = model, detection_m, slack_m, relinearise_m
        self.robot_geoms = np.array(robot_geoms, dtype=int)
        self._is_robot = np.zeros(model.ngeom, dtype=bool)
        self._is_robot[self.robot_geoms] = True
        self._candidate_model = copy.copy(model)  # MuJoCo reports pairs closer than the larger margin
        self._candidate_model.geom_margin[list(scene_geoms)] = detection_m + slack_m
        # MuJoCo's midphase (a bounding-volume tree over a body's geoms) ignores margins: it drops a foot's
        # spheres 1 mm above the floor; without it every pair within the margin is reported
        self._candidate_model.opt.disableflags |= int(mujoco.mjtDisableBit.mjDSBL_MIDPHASE)
        self._candidate_data = mujoco.MjData(self._candidate_model)
        self._radius = model.geom_rbound[self.robot_geoms].copy()
        self._pairs = np.zeros((0, 2), dtype=int)
        self._at_pass: _ColliderPoses | None = None
        self._measured: tuple[np.ndarray, NearPairs, np.ndarray, _ColliderPoses] | None = None
        """(pairs, their distances and rows, qpos, collider poses) of the last measurement."""
        self._dq = np.zeros(model.nv)

    def measure(self, data: mujoco.MjData, touching: np.ndarray, touching_max_m: float) -> tuple[NearPairs, NearPairs]:
        """The `touching` pairs (up to `touching_max_m` apart) and the pairs within the detection distance, at
        `data`'s configuration (its kinematics up to date), in one batch of distance queries."""
        if self._at_pass is None or self._travel(data, self._at_pass) > self.slack_m:
            self._find_candidates(data)
        pairs = np.concatenate([touching, self._pairs])
        last = self._measured
        if last is not None and np.array_equal(last[0], pairs) and self._travel(data, last[3]) < self.relinearise_m:
            mujoco.mj_differentiatePos(self.model, self._dq, 1.0, last[2], data.qpos)
            measured = NearPairs(last[1].distance + last[1].rows @ self._dq, last[1].rows)
        else:
            distmax = np.concatenate(
                [np.full(len(touching), touching_max_m), np.full(len(self._pairs), self.detection_m)]
            )
            measured = measure_pairs(self.model, data, pairs, distmax)
            self._measured = (pairs, measured, data.qpos.copy(), self._poses(data))
        count = len(touching)
        keep = np.flatnonzero(measured.distance[count:] < self.detection_m) + count
        touched = NearPairs(measured.distance[:count], measured.rows[:count])
        return touched, NearPairs(measured.distance[keep], measured.rows[keep])

    def _poses(self, data: mujoco.MjData) -> _ColliderPoses:
        return _ColliderPoses(data.geom_xpos[self.robot_geoms].copy(), data.geom_xmat[self.robot_geoms].copy())

    def _travel(self, data: mujoco.MjData, since: _ColliderPoses) -> float:
        """Bound on how far any point of a robot collider moved since `since`."""
        centres = data.geom_xpos[self.robot_geoms]
        frames = data.geom_xmat[self.robot_geoms]
        # a point r from the centre moves by |(R1 - R0) r| <= 2 sin(turn / 2) |r| = |R1 - R0|_F / sqrt(2) |r|
        turned = np.sqrt(np.square(frames - since.frames).sum(axis=1) / 2.0) * self._radius
        moved = np.sqrt(np.square(centres - since.centres).sum(axis=1)) + turned
        return float(moved.max(initial=0.0))

    def _find_candidates(self, data: mujoco.MjData) -> None:
        candidate = self._candidate_data
        candidate.qpos[:] = data.qpos
        mujoco.mj_kinematics(self._candidate_model, candidate)
        mujoco.mj_collision(self._candidate_model, candidate)
        geoms = np.array(candidate.contact.geom[: candidate.ncon], dtype=int).reshape(-1, 2)
        geoms = np.where(self._is_robot[geoms[:, :1]], geoms, geoms[:, ::-1])  # robot collider first
        self._pairs = np.unique(geoms, axis=0)
        self._at_pass = self._poses(data)


def measure_pairs(
    model: mujoco.MjModel, data: mujoco.MjData, pairs: np.ndarray, distmax: np.ndarray | float
) -> NearPairs:
    """Signed distance and d(distance)/dq of (robot geom, scene geom) pairs; a pair farther than its `distmax`
    reads `distmax` with a zero row."""
    count = len(pairs)
    limit = np.broadcast_to(np.asarray(distmax, dtype=float), (count,))
    fromto = np.zeros((count, 6))
    distance = np.array(
        [
            mujoco.mj_geomDistance(model, data, robot, scene, far, fromto[index])
            for index, (robot, scene, far) in enumerate(zip(*pairs.T.tolist(), limit.tolist(), strict=True))
        ]
    ).reshape(count)
    points = fromto.reshape(count, 2, 3)
    normal = points[:, 1] - points[:, 0]
    length = np.sqrt(np.square(normal).sum(axis=1))
    valid = (length > 1e-12) & (distance < limit)
    normal = np.where(valid[:, None], normal / np.where(valid, length, 1.0)[:, None], 0.0)
    normal[distance < 0] *= -1.0  # inside, the witness points swap sides: the normal still points outwards
    # d(distance)/dq = normal . (d(scene point)/dq - d(robot point)/dq), each point fixed to its body
    bodies = model.geom_bodyid[pairs]
    moving = np.flatnonzero(bodies.ravel())  # the world does not move
    rows = np.zeros((2 * count, model.nv))
    directions = np.stack([-normal, normal], axis=1).reshape(-1, 3)
    rows[moving] = _point_rows(model, data, bodies.ravel()[moving], fromto.reshape(-1, 3)[moving], directions[moving])
    return NearPairs(distance, rows.reshape(count, 2, model.nv).sum(axis=1))


def _point_rows(
    model: mujoco.MjModel, data: mujoco.MjData, bodies: np.ndarray, points: np.ndarray, normal: np.ndarray
) -> np.ndarray:
    """(N, nv) normal . d(point)/dq of points fixed to bodies: one Jacobian per body, v(p) = v0 + w x (p - x0)."""
    unique, index = np.unique(bodies, return_inverse=True)
    jacp, jacr = np.zeros((len(unique), 3, model.nv)), np.zeros((len(unique), 3, model.nv))
    for k, body in enumerate(unique.tolist()):
        mujoco.mj_jacBody(model, data, jacp[k], jacr[k], body)
    lever = points - data.xpos[bodies]
    turning = np.stack(  # lever x normal: n . (w x r) = w . (r x n)
        [
            lever[:, 1] * normal[:, 2] - lever[:, 2] * normal[:, 1],
            lever[:, 2] * normal[:, 0] - lever[:, 0] * normal[:, 2],
            lever[:, 0] * normal[:, 1] - lever[:, 1] * normal[:, 0],
        ],
        axis=1,
    )
    return np.einsum("ni,nij->nj", normal, jacp[index]) + np.einsum("ni,nij->nj", turning, jacr[index])
