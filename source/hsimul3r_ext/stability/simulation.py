"""Newton building blocks shared by the gravity and the interaction tests: objects, solver, sampling.

Data flow as in Newton's examples: build a `ModelBuilder`, finalize, then step with states passed in
and out; the judge only reads `state.body_q` / `state.body_qd` (and MuJoCo's contact list).
"""

from __future__ import annotations

import newton
import numpy as np
import warp as wp
from scipy.spatial.transform import Rotation

from ..hsi.placement import height_range
from .config import JudgeConfig
from .metrics import ObjectTrack
from .midphase import refit_body_bvh
from .scene import JudgedObject


def grounded_position(obj: JudgedObject, max_gap_m: float) -> tuple[np.ndarray, float]:
    """The case position with the lowest hull point moved to z = 0 when it floats or sinks by more than
    `max_gap_m`; returns (position, vertical shift applied)."""
    lowest = height_range(obj.hull_points, obj)[0]
    shift = -lowest if abs(lowest) > max_gap_m else 0.0
    return obj.position + np.array([0.0, 0.0, shift]), shift


def add_object(builder: newton.ModelBuilder, obj: JudgedObject, position: np.ndarray) -> int:
    """Add the object's USD at `position` (case orientation); returns its body index (-1 when static)."""
    before = builder.body_count
    pose = wp.transform(wp.vec3(*map(float, position)), wp.quat(*map(float, obj.orientation)))
    builder.add_usd(str(obj.usd_file), xform=pose, load_visual_shapes=False)
    return before if builder.body_count > before else -1


def make_solver(model: newton.Model, config: JudgeConfig) -> newton.solvers.SolverMuJoCo:
    if config.backend == "mujoco_cpu":
        solver = newton.solvers.SolverMuJoCo(model, use_mujoco_cpu=True)
        refit_body_bvh(solver.mj_model)
        return solver
    return newton.solvers.SolverMuJoCo(model, integrator="implicitfast")


def record_every(config: JudgeConfig) -> int:
    """Simulation steps between two recorded samples."""
    return max(1, round(1.0 / (config.record_hz * config.sim_dt)))


class TrackRecorder:
    """Samples Newton states; object tracks (centre of mass, orientation, speeds) are read per body."""

    def __init__(self, model: newton.Model, bodies: list[int]) -> None:
        self.bodies = bodies
        self.com_local = model.body_com.numpy().astype(np.float64)
        self.time: list[float] = []
        self.body_q: list[np.ndarray] = []  # full (body_count, 7) per sample
        self.body_qd: list[np.ndarray] = []

    def sample(self, time: float, state: newton.State) -> None:
        self.time.append(time)
        self.body_q.append(state.body_q.numpy().astype(np.float64))
        self.body_qd.append(state.body_qd.numpy().astype(np.float64))

    def poses(self, body: int) -> np.ndarray:
        """(F, 7) body origin pose per sample (position, xyzw)."""
        return np.stack([q[body] for q in self.body_q])

    def track(self, index: int) -> ObjectTrack:
        body = self.bodies[index]
        q, qd = self.poses(body), np.stack([v[body] for v in self.body_qd])
        com = q[:, :3] + Rotation.from_quat(q[:, 3:]).apply(self.com_local[body])
        return ObjectTrack(
            np.asarray(self.time), com, q[:, 3:], np.linalg.norm(qd[:, :3], axis=1), np.linalg.norm(qd[:, 3:], axis=1)
        )


def static_track(obj: JudgedObject, position: np.ndarray, times: np.ndarray) -> ObjectTrack:
    """A static object (collider without a body) never moves."""
    count = len(times)
    com = np.tile(position + Rotation.from_quat(obj.orientation).apply(obj.visual.centroid), (count, 1))
    return ObjectTrack(times, com, np.tile(obj.orientation, (count, 1)), np.zeros(count), np.zeros(count))
