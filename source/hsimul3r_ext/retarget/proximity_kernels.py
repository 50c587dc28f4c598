"""The per-pair loops of `proximity.py`, compiled with numba.

The IK asks for the pairs' distances at every step, over tens of pairs: as numpy expressions that is some
thirty small-array calls a step, each costing more than its arithmetic, and more than the distance queries
themselves once the QP between two steps has pushed them out of the caches. One compiled call per job does
the arithmetic alone. (A Warp launch costs tens of microseconds on the CPU: too much here.)

A collider's pose is its centre and row-major rotation read from MuJoCo's `geom_xpos` and `geom_xmat`.
The kernels are compiled for their signatures when this module is imported (or loaded from numba's cache),
not at their first call: inside the IK that would count as retargeting time.
"""

from __future__ import annotations

import numba
import numpy as np
from numba import types

_REALS, _TABLE, _INDICES = types.float64[::1], types.float64[:, ::1], types.int64[::1]
_MEASURED = types.Tuple((_REALS, _TABLE, _TABLE, _TABLE))  # distance, fromto, normal, rows
_KNOWN = types.Tuple((_REALS, _TABLE, _TABLE, _TABLE, _REALS, _REALS))  # distance, rows, pose, weights, offset, allowed


@numba.njit(types.float64(_TABLE, _TABLE, _REALS, types.int64, _TABLE, types.int64), cache=True)
def _moved(xpos: np.ndarray, xmat: np.ndarray, rbound: np.ndarray, g: int, pose: np.ndarray, n: int) -> float:
    """Bound on how far any point of geom `g` moved since `pose[n]`: its centre's travel plus its turn times
    its bounding radius (a point r from the centre moves by |(R1 - R0) r| <= |R1 - R0|_F / sqrt(2) |r|)."""
    centre, turn = 0.0, 0.0
    for k in range(3):
        centre += (xpos[g, k] - pose[n, k]) ** 2
    for k in range(9):
        turn += (xmat[g, k] - pose[n, 3 + k]) ** 2
    return np.sqrt(centre) + np.sqrt(turn / 2.0) * rbound[g]


@numba.njit(types.int64[:](_TABLE, _TABLE, _REALS, _INDICES, _TABLE, _REALS, _TABLE, _REALS, _REALS), cache=True)
def predict(
    xpos: np.ndarray, xmat: np.ndarray, rbound: np.ndarray, geom: np.ndarray, weights: np.ndarray,
    offset: np.ndarray, pose: np.ndarray, allowed: np.ndarray, distance: np.ndarray,
) -> np.ndarray:  # fmt: skip
    """Write each pair's predicted distance (offset - weights . pose now) into `distance`; return the pairs
    whose robot collider moved more than `allowed` since its pair's measurement."""
    stale = np.empty(len(geom), dtype=np.int64)
    count = 0
    for n in range(len(geom)):
        g = geom[n]
        value = offset[n]
        for k in range(3):
            value -= weights[n, k] * xpos[g, k]
        for k in range(9):
            value -= weights[n, 3 + k] * xmat[g, k]
        distance[n] = value
        if _moved(xpos, xmat, rbound, g, pose, n) > allowed[n]:
            stale[count] = n
            count += 1
    return stale[:count]


@numba.njit(types.float64(_TABLE, _TABLE, _REALS, _INDICES, _TABLE), cache=True)
def largest_travel(
    xpos: np.ndarray, xmat: np.ndarray, rbound: np.ndarray, geoms: np.ndarray, pose: np.ndarray
) -> float:
    """The largest bound on how far a collider of `geoms` moved since `pose` (G, 12)."""
    largest = 0.0
    for n in range(len(geoms)):
        largest = max(largest, _moved(xpos, xmat, rbound, geoms[n], pose, n))
    return largest


@numba.njit(_TABLE(_TABLE, _TABLE, _REALS, types.boolean[::1], _INDICES, _INDICES), cache=True)
def lower_bounds(
    xpos: np.ndarray, xmat: np.ndarray, rbound: np.ndarray, plane: np.ndarray, first: np.ndarray, second: np.ndarray
) -> np.ndarray:
    """(F, S) lower bounds on the distances between geoms: their bounding spheres' gap, or where the second is
    a plane, the first's bounding sphere's height over it (a plane's normal is its z axis)."""
    bounds = np.empty((len(first), len(second)))
    for i in range(len(first)):
        f = first[i]
        for j in range(len(second)):
            s = second[j]
            if plane[s]:
                gap = 0.0
                for k in range(3):
                    gap += (xpos[f, k] - xpos[s, k]) * xmat[s, 3 * k + 2]
            else:
                gap = 0.0
                for k in range(3):
                    gap += (xpos[f, k] - xpos[s, k]) ** 2
                gap = np.sqrt(gap) - rbound[s]
            bounds[i, j] = gap - rbound[f]
    return bounds


@numba.njit(
    types.Tuple((_TABLE, _TABLE))(_TABLE, _REALS, _REALS, types.float64[:, :, :, ::1], types.boolean[:, ::1]),
    cache=True,
)
def normals_and_rows(
    fromto: np.ndarray, distance: np.ndarray, distmax: np.ndarray, jacobian: np.ndarray, moving: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Outward normals (N, 3), zero where no witness points came back, and rows d(distance)/dq (N, nv) from
    the witness points' Jacobians (N, 2, 3, nv), those of `moving` (N, 2) sides only."""
    count, nv = jacobian.shape[0], jacobian.shape[3]
    normal = np.zeros((count, 3))
    rows = np.zeros((count, nv))
    for n in range(count):
        length = 0.0
        for k in range(3):
            length += (fromto[n, 3 + k] - fromto[n, k]) ** 2
        length = np.sqrt(length)
        if length <= 1e-12 or distance[n] >= distmax[n]:
            continue
        # inside, the witness points swap sides: the normal still points outwards
        scale = (-1.0 if distance[n] < 0 else 1.0) / length
        for k in range(3):
            normal[n, k] = (fromto[n, 3 + k] - fromto[n, k]) * scale
        # d(distance)/dq = normal . (d(second point)/dq - d(first point)/dq)
        for side in range(2):
            if moving[n, side]:
                sign = -1.0 if side == 0 else 1.0
                for k in range(3):
                    for v in range(nv):
                        rows[n, v] += sign * normal[n, k] * jacobian[n, side, k, v]
    return normal, rows


@numba.njit(
    types.none(_INDICES, _MEASURED, _TABLE, _TABLE, _INDICES, types.int64, types.UniTuple(types.float64, 3), _KNOWN),
    cache=True,
)
def store(
    index: np.ndarray, measured: tuple[np.ndarray, ...], xpos: np.ndarray, xmat: np.ndarray, geom: np.ndarray,
    touching_count: int, limits: tuple[float, float, float], known: tuple[np.ndarray, ...],
) -> None:  # fmt: skip
    """Keep the measurements (distance, fromto, normal, rows) of the pairs `index` in `known` (distance,
    rows, pose, weights, offset, allowed): the pose of each one's robot collider, the weights and offset of
    its prediction (normal . witness point is linear in the pose), and how far the collider may move before
    the next measurement. `limits`: the detection, margin and relinearise distances. The first
    `touching_count` pairs are the touching pairs, which are never far."""
    distance, fromto, normal, rows = measured
    known_distance, known_rows, pose, weights, offset, allowed = known
    detection, margin, relinearise = limits
    for i in range(len(index)):
        n, g = index[i], geom[index[i]]
        for k in range(3):
            pose[n, k] = xpos[g, k]
        for k in range(9):
            pose[n, 3 + k] = xmat[g, k]
        along = 0.0
        for row in range(3):
            along += normal[i, row] * fromto[i, row]
            weights[n, row] = normal[i, row]
        for col in range(3):
            local = 0.0  # the witness point in its collider's frame: R^T (point - centre)
            for row in range(3):
                local += xmat[g, 3 * row + col] * (fromto[i, row] - xpos[g, row])
            for row in range(3):
                weights[n, 3 + 3 * row + col] = normal[i, row] * local
        offset[n] = distance[i] + along
        known_distance[n] = distance[i]
        known_rows[n] = rows[i]
        if n >= touching_count and distance[i] >= detection:
            allowed[n] = max(relinearise, distance[i] - detection)  # until then it cannot be near
        else:
            allowed[n] = max(relinearise, 0.5 * (distance[i] - margin))
