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

from . import proximity_kernels as kernels


@dataclass(frozen=True)
class NearPairs:
    """Robot-scene collider pairs within the detection distance (or inside), one row per pair."""

    pairs: np.ndarray  # (N, 2) robot geom, scene geom
    distance: np.ndarray  # (N,) signed: below zero inside
    rows: np.ndarray  # (N, nv) d(distance)/dq

    def inside(self) -> NearPairs:
        keep = self.distance < 0
        return NearPairs(self.pairs[keep], self.distance[keep], self.rows[keep])


@dataclass
class _Known:
    """What is known of the pairs: each pair's last measurement, and its distance now, predicted from it.

    The robot witness point moves rigidly with its collider, so normal . point is linear in the collider's
    pose (centre and row-major rotation, 12 numbers): the distance falls by that much (`weights`, `offset`)."""

    touching: np.ndarray  # (T, 2) the touching pairs, measured up to another distance than the candidates
    pairs: np.ndarray  # (N, 2) touching pairs, then candidates
    geom: np.ndarray  # (N,) each pair's robot collider
    distmax: np.ndarray  # (N,)
    distance: np.ndarray  # (N,) now: measured, or predicted from the last measurement
    rows: np.ndarray  # (N, nv) d(distance)/dq, at the last measurement
    pose: np.ndarray  # (N, 12) the robot collider's pose at the last measurement
    weights: np.ndarray  # (N, 12) distance now = offset - weights . pose now
    offset: np.ndarray  # (N,)
    allowed: np.ndarray  # (N,) how far the pair's robot collider may move before it is measured again

    @property
    def state(self) -> tuple[np.ndarray, ...]:
        """What a measurement writes (`proximity_kernels.store`)."""
        return self.distance, self.rows, self.pose, self.weights, self.offset, self.allowed


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
        self._limits = (float(detection_m), float(margin_m), float(relinearise_m))
        self.robot_geoms = np.array(robot_geoms, dtype=np.int64)
        self.scene_geoms = np.array(scene_geoms, dtype=np.int64)
        self._rbound = model.geom_rbound  # the geoms' bounding radii (MuJoCo's array)
        self._candidates = np.zeros((0, 2), dtype=np.int64)
        self._at_pass: np.ndarray | None = None  # (G, 12) the robot colliders' poses at the candidate pass
        self._known: _Known | None = None

    def measure(self, data: mujoco.MjData, touching: np.ndarray, touching_max_m: float) -> tuple[NearPairs, NearPairs]:
        """The `touching` pairs (up to `touching_max_m` apart) and the pairs within the detection distance, at
        `data`'s configuration (its kinematics up to date)."""
        xpos, xmat, known = data.geom_xpos, data.geom_xmat, self._known
        if known is not None:
            stale = kernels.predict(
                xpos, xmat, self._rbound, known.geom, known.weights, known.offset, known.pose, known.allowed,
                known.distance,
            )  # fmt: skip
            if stale.size:
                self._record(known, stale, data)
        if (
            self._at_pass is None
            or kernels.largest_travel(xpos, xmat, self._rbound, self.robot_geoms, self._at_pass) > self.slack_m
        ):
            self._find_candidates(data)
            known = self._known = self._rebuild(known, data, touching, touching_max_m)
        elif known is None or not np.array_equal(known.touching, touching):
            known = self._known = self._rebuild(known, data, touching, touching_max_m)
        count = len(touching)
        keep = np.flatnonzero(known.distance[count:] < self.detection_m) + count
        touched = NearPairs(known.touching, known.distance[:count].copy(), known.rows[:count].copy())
        return touched, NearPairs(known.pairs[keep], known.distance[keep], known.rows[keep])

    def _rebuild(
        self, previous: _Known | None, data: mujoco.MjData, touching: np.ndarray, touching_max_m: float
    ) -> _Known:
        """The pairs for new touching pairs or candidates: a pair `previous` knew keeps what it knew (brought
        to this configuration by `measure`), the new ones are measured."""
        pairs = np.concatenate([touching, self._candidates]).astype(np.int64)
        reach = self.detection_m + self.slack_m
        distmax = np.concatenate([np.full(len(touching), touching_max_m), np.full(len(self._candidates), reach)])
        count, nv = len(pairs), self.model.nv
        geom = np.ascontiguousarray(pairs[:, 0])
        known = _Known(
            touching.copy(), pairs, geom, distmax, np.zeros(count),
            np.zeros((count, nv)), np.zeros((count, 12)), np.zeros((count, 12)), np.zeros(count), np.zeros(count),
        )  # fmt: skip
        before = [] if previous is None else self._keys(previous.pairs, len(previous.touching)).tolist()
        index = {key: i for i, key in enumerate(before)}
        old = np.array([index.get(key, -1) for key in self._keys(pairs, len(touching)).tolist()], dtype=int)
        kept, new = np.flatnonzero(old >= 0), np.flatnonzero(old < 0)
        if kept.size:
            for mine, theirs in zip(known.state, previous.state, strict=True):
                mine[kept] = theirs[old[kept]]
        if new.size:
            self._record(known, new, data)
        return known

    def _keys(self, pairs: np.ndarray, touching: int) -> np.ndarray:
        """One integer per pair and role (touching pairs are measured up to another distance)."""
        role = np.arange(len(pairs)) < touching
        return (pairs[:, 0] * self.model.ngeom + pairs[:, 1]) * 2 + role

    def _record(self, known: _Known, index: np.ndarray, data: mujoco.MjData) -> None:
        """Measure the `index` pairs now, and how far each one's robot collider may move before the next time."""
        measured = _measure(self.model, data, known.pairs[index], known.distmax[index])
        touching = len(known.touching)
        kernels.store(index, measured, data.geom_xpos, data.geom_xmat, known.geom, touching, self._limits, known.state)

    def _find_candidates(self, data: mujoco.MjData) -> None:
        lower = distance_lower_bounds(self.model, data, self.robot_geoms, self.scene_geoms)
        robot, piece = np.nonzero(lower < self.detection_m + self.slack_m)
        self._candidates = np.stack([self.robot_geoms[robot], self.scene_geoms[piece]], axis=1)
        self._at_pass = np.concatenate([data.geom_xpos[self.robot_geoms], data.geom_xmat[self.robot_geoms]], axis=1)


def distance_lower_bounds(
    model: mujoco.MjModel, data: mujoco.MjData, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """(F, S) lower bounds on the distances between two sets of geoms: their bounding spheres' gap, or where the
    second is a plane, the first's bounding sphere's height over it."""
    plane = model.geom_type == int(mujoco.mjtGeom.mjGEOM_PLANE)  # (an enum compares element by element)
    first, second = np.ascontiguousarray(first, dtype=np.int64), np.ascontiguousarray(second, dtype=np.int64)
    return kernels.lower_bounds(data.geom_xpos, data.geom_xmat, model.geom_rbound, plane, first, second)


def measure_pairs(model: mujoco.MjModel, data: mujoco.MjData, pairs: np.ndarray, distmax: np.ndarray) -> NearPairs:
    """Signed distance and d(distance)/dq of (robot geom, scene geom) pairs; a pair farther than its `distmax`
    reads `distmax` with a zero row."""
    distance, _, _, rows = _measure(model, data, pairs, distmax)
    return NearPairs(pairs, distance, rows)


def _measure(
    model: mujoco.MjModel, data: mujoco.MjData, pairs: np.ndarray, distmax: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MuJoCo's signed distances (`distmax` where farther), witness points (N, 6), outward normals (N, 3) and
    rows d(distance)/dq (N, nv): each witness point fixed to its geom's body (the world's do not move)."""
    count = len(pairs)
    fromto = np.zeros((count, 6))
    first, second = pairs.T.tolist()
    distmax = np.asarray(distmax, dtype=float)
    distance = np.fromiter(
        map(mujoco.mj_geomDistance, [model] * count, [data] * count, first, second, distmax.tolist(), fromto),
        dtype=float,
        count=count,
    )
    bodies = model.geom_bodyid[pairs]
    jacobian = np.zeros((count, 2, 3, model.nv))
    for k, side in zip(*np.nonzero(bodies), strict=True):
        mujoco.mj_jac(model, data, jacobian[k, side], None, fromto[k, 3 * side : 3 * side + 3], bodies[k, side])
    normal, rows = kernels.normals_and_rows(fromto, distance, distmax, jacobian, bodies != 0)
    return distance, fromto, normal, rows
