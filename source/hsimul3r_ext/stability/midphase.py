"""Keep MuJoCo's midphase consistent with the inertial frames Newton writes after compiling.

MuJoCo stores each body's bounding-volume hierarchy (the midphase that picks which geom pairs of two
bodies reach the narrow phase) in the body's inertial frame as compiled. Newton's `SolverMuJoCo` on the
CPU engine compiles, then overwrites `body_iquat` with its own principal axes (Newton 1.6.1; upstream
issue newton-physics/newton#3805). Both are valid eigenbases of the same inertia, often differing by a
half turn, so the boxes end up mirrored: a multi-hull chair whose principal axes are not the world's
loses its leg-ground contacts and pivots into the floor. Recomputing every box from the geoms in the
current frame restores exact culling. MuJoCo-Warp has no midphase and is not affected.
"""

from __future__ import annotations

import mujoco
import numpy as np
from scipy.spatial.transform import Rotation


def _rotation(wxyz: np.ndarray) -> np.ndarray:
    return Rotation.from_quat(np.asarray(wxyz, np.float64)[[1, 2, 3, 0]]).as_matrix()


def refit_body_bvh(model: mujoco.MjModel) -> None:
    """Rebuild every body's BVH boxes (centre, half size) from its geoms in the body's current inertial frame."""
    for body in range(model.nbody):
        start, count = int(model.body_bvhadr[body]), int(model.body_bvhnum[body])
        if start < 0 or count == 0:
            continue
        to_inertial = _rotation(model.body_iquat[body]).T
        origin = model.body_ipos[body]
        boxes: dict[int, tuple[np.ndarray, np.ndarray]] = {}

        def fit(node: int, to_inertial=to_inertial, origin=origin, start=start, boxes=boxes) -> None:
            geom = int(model.bvh_nodeid[start + node])
            if geom >= 0:
                rotation = to_inertial @ _rotation(model.geom_quat[geom])
                centre = to_inertial @ (model.geom_pos[geom] - origin) + rotation @ model.geom_aabb[geom, :3]
                boxes[node] = (centre, np.abs(rotation) @ model.geom_aabb[geom, 3:])
            else:
                children = [int(c) for c in model.bvh_child[start + node] if c >= 0]
                for child in children:
                    fit(child)
                low = np.min([boxes[c][0] - boxes[c][1] for c in children], axis=0)
                high = np.max([boxes[c][0] + boxes[c][1] for c in children], axis=0)
                boxes[node] = ((low + high) / 2, (high - low) / 2)
            model.bvh_aabb[start + node] = np.concatenate(boxes[node])

        fit(0)
