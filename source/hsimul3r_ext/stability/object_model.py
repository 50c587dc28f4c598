"""The gravity test's MuJoCo model, compiled straight from the object USDs (the CPU backend's fast path).

Newton's `SolverMuJoCo` turns an object USD into a MuJoCo model with MuJoCo's default contact parameters
(Newton's default stiffness and damping map onto solref (0.02, 1)), the implicitfast integrator, multi-CCD
off, the material's dynamic friction and the explicit mass properties, but its conversion costs ~0.2 s per
object, five times the 10 s simulation itself. This module compiles the same model from the same file in
~10 ms, all objects of a case in one model (each a free body that collides with the ground, not with the
others). `tests/test_judge_backends.py` holds it to Newton's model, field by field and in motion.
`simulate_free_bodies` steps such a model and samples each body's track (the reference protocol uses it too).
"""

from __future__ import annotations

from functools import cache

import mujoco
import newton
import numpy as np

from .metrics import ObjectTrack
from .scene import JudgedObject

_GROUND, _OBJECTS = 1, 2  # contype bits: objects touch the ground (and its conaffinity), never each other


@cache
def _newton_defaults() -> tuple[newton.ModelBuilder.ShapeConfig, float]:
    return newton.ModelBuilder.ShapeConfig(), float(newton.ModelBuilder().rigid_gap)


def gravity_model(objects: list[JudgedObject], positions: list[np.ndarray], dt: float) -> mujoco.MjModel:
    """Ground plane + one free body per object at its position (case orientation); body k + 1 is object k."""
    shape, gap = _newton_defaults()
    torsional_rolling = [shape.mu_torsional, shape.mu_rolling]
    spec = mujoco.MjSpec()
    spec.compiler.inertiafromgeom = mujoco.mjtInertiaFromGeom.mjINERTIAFROMGEOM_FALSE
    spec.option.timestep = dt
    spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    spec.option.disableflags |= mujoco.mjtDisableBit.mjDSBL_MULTICCD
    spec.worldbody.add_geom(
        type=mujoco.mjtGeom.mjGEOM_PLANE, size=[5.0, 5.0, 5.0], friction=[shape.mu, *torsional_rolling],
        contype=_GROUND, conaffinity=_OBJECTS, gap=gap,
    )  # fmt: skip
    for obj, position in zip(objects, positions, strict=True):
        x, y, z, w = (float(v) for v in obj.orientation)
        body = spec.worldbody.add_body(name=obj.name, pos=[float(v) for v in position], quat=[w, x, y, z])
        body.add_freejoint()
        px, py, pz, pw = (float(v) for v in obj.principal_axes_xyzw)
        body.explicitinertial = True
        body.mass = obj.mass_kg
        body.ipos = [float(v) for v in obj.center_of_mass]
        body.iquat = [pw, px, py, pz]
        body.inertia = [float(v) for v in obj.principal_moments]
        friction = [shape.mu if obj.friction is None else obj.friction, *torsional_rolling]
        for index, points in enumerate(obj.hulls):
            mesh = f"{obj.name}/hull_{index:03d}"
            spec.add_mesh(name=mesh, uservert=np.asarray(points, np.float64).ravel().tolist())
            body.add_geom(
                type=mujoco.mjtGeom.mjGEOM_MESH, meshname=mesh, friction=friction, contype=_OBJECTS,
                conaffinity=_GROUND, gap=gap,
            )  # fmt: skip
    return spec.compile()


def simulate_free_bodies(
    model: mujoco.MjModel, steps: int, every: int
) -> tuple[np.ndarray, list[ObjectTrack], np.ndarray]:
    """Step `model` from its initial state `steps` times at its own timestep, sampling at the start, every
    `every` steps and at the end: (times, one track per body after the world, (F, B, 7) origin poses xyzw)."""
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    bodies = range(1, model.nbody)
    times, poses, coms, speeds = [], [], [], []
    velocity = np.zeros(6)

    def sample(step: int) -> None:
        times.append(step * model.opt.timestep)
        poses.append(np.concatenate([data.xpos[1:], data.xquat[1:, [1, 2, 3, 0]]], axis=1))
        coms.append(data.xipos[1:].copy())
        for body in bodies:  # linear and angular speed of the centre of mass, world frame
            mujoco.mj_objectVelocity(model, data, mujoco.mjtObj.mjOBJ_BODY, body, velocity, 0)
            speeds.append((np.linalg.norm(velocity[3:]), np.linalg.norm(velocity[:3])))

    sample(0)
    for done in range(0, steps, every):
        count = min(every, steps - done)
        for _ in range(count):
            mujoco.mj_step(model, data)
        sample(done + count)
    time, pose, com = np.asarray(times), np.stack(poses), np.stack(coms)
    speed = np.asarray(speeds).reshape(len(times), len(bodies), 2)
    tracks = [ObjectTrack(time, com[:, b], pose[:, b, 3:], speed[:, b, 0], speed[:, b, 1]) for b in range(len(bodies))]
    return time, tracks, pose
