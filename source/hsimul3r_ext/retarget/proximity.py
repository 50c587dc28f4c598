"""Which robot colliders are near or inside the scene, and how their distances change with the joints.

The IK asks this at every step. Measuring every robot-scene pair each time costs more than the rest of
a step, so a pass finds the candidates, the pairs whose bounding spheres (or a sphere and the floor
plane) come within detection + slack; between passes only the candidates are measured. A pair that was
not a candidate was farther than detection + slack, and it cannot come within detection before some
robot collider moved by more than the slack. The next pass happens before that: when the bound on any
collider's travel since the last pass (its centre's travel plus its turn times its bounding radius)
exceeds the slack. So the pairs are the same as measuring them all.

Between measurements a pair's distance is predicted: its witness point on the robot collider moves with
the collider (exactly, however the joints got there) and the distance changes by that move along the measured
normal. Distance changes by at most the collider's travel, and so does the prediction, so the prediction is
off by at most twice the travel. A pair's state therefore outlives candidate passes. A pair is measured again
when its robot collider moved
- more than its distance beyond detection, if it was beyond: until then it cannot be near;
- else more than half its distance beyond the margin the IK keeps, or `relinearise_m` if that is more:
  until then it cannot reach the margin, and a pair at the margin is predicted within 2 x `relinearise_m`.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np


@dataclass(frozen=True)
class NearPairs:
    """Robot-scene collider pairs within the detection distance (or inside), one row per pair."""

    pairs: np.ndarray  # (N, 2) robot geom, scene geom
    distance: np.ndarray  # (N,) signed: below zero inside
    rows: np.ndarray  # (N, nv) d(distance)/dq

    def inside(self) -> NearPairs:
        keep = self.distance < 0
        return NearPairs(self.pairs[keep], self.distance[keep], self.rows[keep])


@dataclass(frozen=True)
class _ColliderPoses:
    centres: np.ndarray  # (G, 3)
    frames: np.ndarray  # (G, 9) rotation matrices, row-major


@dataclass
class _Known:
    """What is known of the pairs: each pair's last measurement, and its distance now, predicted from it."""

    touching: np.ndarray  # (T, 2) the touching pairs, measured up to another distance than the candidates
    pairs: np.ndarray  # (N, 2) touching pairs, then candidates
    slot: np.ndarray  # (N,) each pair's robot collider, as an index into the robot colliders
    distmax: np.ndarray  # (N,)
    distance: np.ndarray  # (N,) now: measured, or predicted from the last measurement
    allowed: np.ndarray  # (N,) how far the pair's robot collider may move before it is measured again
    measured: _Measurement  # of every pair, when its robot collider was at `centres`, `frames`
    centres: np.ndarray  # (N, 3)
    frames: np.ndarray  # (N, 9)
    local: np.ndarray  # (N, 3) the robot witness point in its collider's frame


@dataclass
class _Measurement:
    distance: np.ndarray  # (N,)
    rows: np.ndarray  # (N, nv) d(distance)/dq
    point: np.ndarray  # (N, 3) witness point on the robot collider
    normal: np.ndarray  # (N, 3) distance falls by normal . (the robot point's move); zero beyond distmax

    def at(self, index: np.ndarray) -> _Measurement:
        return _Measurement(self.distance[index], self.rows[index], self.point[index], self.normal[index])

    def put(self, index: np.ndarray, other: _Measurement) -> None:
        self.distance[index], self.rows[index] = other.distance, other.rows
        self.point[index], self.normal[index] = other.point, other.normal


class SceneProximity:
    """Signed distances and their Jacobian rows of the robot-scene pairs within `detection_m`."""

    def __init__(
        self,
        model: mujoco.MjModel,
        robot_geoms: tuple[int, ...],
        scene_geoms: tuple[int, ...],
        detection_m: float,
        slack_m: float = 0.05,
        margin_m: float = 0.0,
        relinearise_m: float = 0.002,
    ) -> None:
        self.model, self.detection_m, self.slack_m = model, detection_m, slack_m
        self.margin_m, self.relinearise_m = margin_m, relinearise_m
        self.robot_geoms = np.array(robot_geoms, dtype=int)
        self.scene_geoms = np.array(scene_geoms, dtype=int)
        self._slot = np.full(model.ngeom, -1)  # geom -> its index in robot_geoms
        self._slot[self.robot_geoms] = np.arange(len(self.robot_geoms))
        self._radius = model.geom_rbound[self.robot_geoms].copy()
        self._candidates = np.zeros((0, 2), dtype=int)
        self._at_pass: _ColliderPoses | None = None
        self._known: _Known | None = None

    def measure(self, data: mujoco.MjData, touching: np.ndarray, touching_max_m: float) -> tuple[NearPairs, NearPairs]:
        """The `touching` pairs (up to `touching_max_m` apart) and the pairs within the detection distance, at
        `data`'s configuration (its kinematics up to date)."""
        poses = self._poses(data)
        known = self._known
        if known is not None:
            self._update(known, data, poses)
        refind = self._at_pass is None or self._travel(poses, self._at_pass).max(initial=0.0) > self.slack_m
        if refind:
            self._find_candidates(data, poses)
        if known is None or refind or not np.array_equal(known.touching, touching):
            known = self._known = self._rebuild(known, data, poses, touching, touching_max_m)
        count, rows = len(touching), known.measured.rows
        keep = np.flatnonzero(known.distance[count:] < self.detection_m) + count
        touched = NearPairs(known.touching, known.distance[:count].copy(), rows[:count].copy())
        return touched, NearPairs(known.pairs[keep], known.distance[keep], rows[keep])

    def _rebuild(
        self, previous: _Known | None, data: mujoco.MjData, poses: _ColliderPoses, touching: np.ndarray,
        touching_max_m: float,
    ) -> _Known:  # fmt: skip
        """The pairs for new touching pairs or candidates: a pair `previous` knew keeps what it knew (brought
        to this configuration by `_update`), the new ones are measured."""
        pairs = np.concatenate([touching, self._candidates])
        reach = self.detection_m + self.slack_m
        distmax = np.concatenate([np.full(len(touching), touching_max_m), np.full(len(self._candidates), reach)])
        slot, count, nv = self._slot[pairs[:, 0]], len(pairs), self.model.nv
        known = _Known(
            touching.copy(), pairs, slot, distmax, np.zeros(count), np.zeros(count),
            _Measurement(np.zeros(count), np.zeros((count, nv)), np.zeros((count, 3)), np.zeros((count, 3))),
            poses.centres[slot], poses.frames[slot], np.zeros((count, 3)),
        )  # fmt: skip
        before = [] if previous is None else self._keys(previous.pairs, len(previous.touching)).tolist()
        index = {key: i for i, key in enumerate(before)}
        old = np.array([index.get(key, -1) for key in self._keys(pairs, len(touching)).tolist()], dtype=int)
        kept, new = np.flatnonzero(old >= 0), np.flatnonzero(old < 0)
        if kept.size:
            source = old[kept]
            known.measured.put(kept, previous.measured.at(source))
            known.distance[kept], known.allowed[kept] = previous.distance[source], previous.allowed[source]
            known.centres[kept], known.frames[kept] = previous.centres[source], previous.frames[source]
            known.local[kept] = previous.local[source]
        if new.size:
            self._record(known, new, data, poses)
        return known

    def _keys(self, pairs: np.ndarray, touching: int) -> np.ndarray:
        """One integer per pair and role (touching pairs are measured up to another distance)."""
        role = np.arange(len(pairs)) < touching
        return (pairs[:, 0] * self.model.ngeom + pairs[:, 1]) * 2 + role

    def _update(self, known: _Known, data: mujoco.MjData, poses: _ColliderPoses) -> None:
        """Predict every pair at the current configuration; measure again those whose collider moved too far.

        The prediction carries the witness point with its collider (a rigid move, exact however the joints
        got there) and takes the distance's first-order change along the measured normal."""
        slot = known.slot
        centres, frames = poses.centres[slot], poses.frames[slot]
        point = np.einsum("nij,nj->ni", frames.reshape(-1, 3, 3), known.local) + centres
        moved_by = np.einsum("ni,ni->n", known.measured.normal, point - known.measured.point)
        known.distance = known.measured.distance - moved_by
        moved = _travel(centres, frames, known.centres, known.frames, self._radius[slot])
        stale = np.flatnonzero(moved > known.allowed)
        if stale.size:
            self._record(known, stale, data, poses)

    def _record(self, known: _Known, index: np.ndarray, data: mujoco.MjData, poses: _ColliderPoses) -> None:
        """Measure the `index` pairs now, and how far each one's robot collider may move before the next time."""
        measured = _measure(self.model, data, known.pairs[index], known.distmax[index])
        known.measured.put(index, measured)
        slot = known.slot[index]
        known.centres[index], known.frames[index] = poses.centres[slot], poses.frames[slot]
        frames = poses.frames[slot].reshape(-1, 3, 3)
        known.local[index] = np.einsum("nji,nj->ni", frames, measured.point - poses.centres[slot])
        known.distance[index] = distance = measured.distance
        far = (index >= len(known.touching)) & (distance >= self.detection_m)
        near = np.maximum(self.relinearise_m, 0.5 * (distance - self.margin_m))
        known.allowed[index] = np.where(far, np.maximum(self.relinearise_m, distance - self.detection_m), near)

    def _poses(self, data: mujoco.MjData) -> _ColliderPoses:
        return _ColliderPoses(data.geom_xpos[self.robot_geoms], data.geom_xmat[self.robot_geoms])  # copies

    def _travel(self, now: _ColliderPoses, since: _ColliderPoses) -> np.ndarray:
        return _travel(now.centres, now.frames, since.centres, since.frames, self._radius)

    def _find_candidates(self, data: mujoco.MjData, poses: _ColliderPoses) -> None:
        lower = distance_lower_bounds(self.model, data, self.robot_geoms, self.scene_geoms)
        robot, piece = np.nonzero(lower < self.detection_m + self.slack_m)
        self._candidates = np.stack([self.robot_geoms[robot], self.scene_geoms[piece]], axis=1)
        self._at_pass = poses


def distance_lower_bounds(
    model: mujoco.MjModel, data: mujoco.MjData, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """(F, S) lower bounds on the distances between two sets of geoms: their bounding spheres' gap, or where the
    second is a plane, the first's bounding sphere's height over it."""
    offset = data.geom_xpos[first][:, None] - data.geom_xpos[second][None]
    apart = np.linalg.norm(offset, axis=-1) - model.geom_rbound[second][None]
    normal = data.geom_xmat[second].reshape(-1, 3, 3)[:, :, 2]  # a plane's normal is its z axis
    height = np.einsum("fsk,sk->fs", offset, normal)
    plane = model.geom_type[second] == mujoco.mjtGeom.mjGEOM_PLANE
    return np.where(plane[None], height, apart) - model.geom_rbound[first][:, None]


def _travel(
    centres: np.ndarray, frames: np.ndarray, centres0: np.ndarray, frames0: np.ndarray, radius: np.ndarray
) -> np.ndarray:
    """Bound on how far any point of each collider moved: its centre's travel plus its turn times its radius."""
    # a point r from the centre moves by |(R1 - R0) r| <= 2 sin(turn / 2) |r| = |R1 - R0|_F / sqrt(2) |r|
    turned = np.sqrt(np.square(frames - frames0).sum(axis=1) / 2.0) * radius
    return np.sqrt(np.square(centres - centres0).sum(axis=1)) + turned


def measure_pairs(model: mujoco.MjModel, data: mujoco.MjData, pairs: np.ndarray, distmax: np.ndarray) -> NearPairs:
    """Signed distance and d(distance)/dq of (robot geom, scene geom) pairs; a pair farther than its `distmax`
    reads `distmax` with a zero row."""
    measured = _measure(model, data, pairs, distmax)
    return NearPairs(pairs, measured.distance, measured.rows)


def _measure(model: mujoco.MjModel, data: mujoco.MjData, pairs: np.ndarray, distmax: np.ndarray) -> _Measurement:
    distance, fromto = _pair_distances(model, data, pairs, distmax)
    normal = fromto[:, 3:] - fromto[:, :3]
    length = np.sqrt(np.einsum("ij,ij->i", normal, normal))
    valid = (length > 1e-12) & (distance < distmax)
    # inside, the witness points swap sides: the normal still points outwards
    normal *= np.where(valid, np.where(distance < 0, -1.0, 1.0) / np.where(valid, length, 1.0), 0.0)[:, None]
    # d(distance)/dq = normal . (d(second point)/dq - d(first point)/dq), each point fixed to its body
    bodies = model.geom_bodyid[pairs]
    rows = np.zeros((len(pairs), model.nv))
    for side, sign in ((0, -1.0), (1, 1.0)):
        moving = np.flatnonzero(bodies[:, side])  # the world does not move
        if moving.size:
            points = fromto[moving, 3 * side : 3 * side + 3]
            rows[moving] += _point_rows(model, data, bodies[moving, side], points, sign * normal[moving])
    return _Measurement(distance, rows, fromto[:, :3].copy(), normal)


def _pair_distances(
    model: mujoco.MjModel, data: mujoco.MjData, pairs: np.ndarray, distmax: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """MuJoCo's signed distance of each pair (`distmax` where farther) and its witness points (N, 6)."""
    fromto = np.zeros((len(pairs), 6))
    distance = np.array(
        [
            mujoco.mj_geomDistance(model, data, first, second, far, fromto[index])
            for index, (first, second, far) in enumerate(zip(*pairs.T.tolist(), distmax.tolist(), strict=True))
        ]
    ).reshape(len(pairs))
    return distance, fromto


def _point_rows(
    model: mujoco.MjModel, data: mujoco.MjData, bodies: np.ndarray, points: np.ndarray, normal: np.ndarray
) -> np.ndarray:
    """(N, nv) normal . d(point)/dq of points fixed to bodies."""
    jacobian = np.empty((len(bodies), 3, model.nv))
    for k, (body, point) in enumerate(zip(bodies.tolist(), points, strict=True)):
        mujoco.mj_jac(model, data, jacobian[k], None, point, body)
    return np.einsum("ni,nij->nj", normal, jacobian)
