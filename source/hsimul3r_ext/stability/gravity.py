"""Type 1 test: each object alone on the ground at its case pose, under gravity, for `gravity.seconds`."""

from __future__ import annotations

import time
from dataclasses import dataclass

import mujoco
import newton
import numpy as np

from .config import JudgeConfig
from .metrics import ObjectTrack, StabilityVerdict, judge_stability
from .object_model import gravity_model
from .scene import JudgedObject
from .simulation import TrackRecorder, add_object, grounded_position, make_solver, record_every, static_track


@dataclass
class GravityResult:
    name: str
    ground_shift_m: float  # from the case pose to the lowest point on the ground (convert's lift + ours)
    start_position: np.ndarray
    track: ObjectTrack
    poses: np.ndarray  # (F, 7) body origin pose per sample, for the recording
    verdict: StabilityVerdict
    seconds: float  # wall-clock time of the simulation

    def to_json(self) -> dict:
        return {**self.verdict.to_json(), "ground_shift_m": self.ground_shift_m, "wall_seconds": self.seconds}


def gravity_test(objects: list[JudgedObject], config: JudgeConfig) -> list[GravityResult]:
    """Simulate every object by itself: on the CPU backend all objects of the case in one MuJoCo model
    compiled from their USDs, none touching another; on MuJoCo-Warp through Newton, one model per object
    (MuJoCo-Warp batches worlds of the same layout only)."""
    placed = [grounded_position(obj, config.gravity.max_ground_gap_m) for obj in objects]
    if config.backend == "mujoco_warp":
        return [_newton_worlds([obj], [pose], config)[0] for obj, pose in zip(objects, placed, strict=True)]
    return _mujoco_cpu(objects, placed, config)


def _mujoco_cpu(objects: list[JudgedObject], placed: list[tuple[np.ndarray, float]], config: JudgeConfig):
    start = time.perf_counter()
    dynamic = [k for k, obj in enumerate(objects) if not obj.static]
    model = gravity_model([objects[k] for k in dynamic], [placed[k][0] for k in dynamic], config.sim_dt)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    steps, every = round(config.gravity.seconds / config.sim_dt), record_every(config)
    times, poses, coms, speeds = [], [], [], []
    velocity = np.zeros(6)

    def sample(t: float) -> None:
        times.append(t)
        poses.append(np.concatenate([data.xpos[1:], data.xquat[1:, [1, 2, 3, 0]]], axis=1))
        coms.append(data.xipos[1:].copy())
        body_speeds = []
        for body in range(1, model.nbody):
            mujoco.mj_objectVelocity(model, data, mujoco.mjtObj.mjOBJ_BODY, body, velocity, 0)
            body_speeds.append((np.linalg.norm(velocity[3:]), np.linalg.norm(velocity[:3])))
        speeds.append(body_speeds)

    sample(0.0)
    for done in range(0, steps, every):
        count = min(every, steps - done)
        for _ in range(count):
            mujoco.mj_step(model, data)
        sample((done + count) * config.sim_dt)
    seconds = (time.perf_counter() - start) / len(objects)
    time_array, pose_array, com_array = np.asarray(times), np.stack(poses), np.stack(coms)
    speed_array = np.asarray(speeds).reshape(len(times), len(dynamic), 2)
    results = []
    for k, (obj, (position, shift)) in enumerate(zip(objects, placed, strict=True)):
        if obj.static:
            track = static_track(obj, position, time_array)
            body_poses = np.tile(np.concatenate([position, obj.orientation]), (len(time_array), 1))
        else:
            body = dynamic.index(k)
            body_poses = pose_array[:, body]
            track = ObjectTrack(
                time_array, com_array[:, body], body_poses[:, 3:], speed_array[:, body, 0], speed_array[:, body, 1]
            )
        verdict = judge_stability(track, config.stable)
        results.append(GravityResult(obj.name, obj.lifted_m + shift, position, track, body_poses, verdict, seconds))
    return results


def _newton_worlds(objects: list[JudgedObject], placed: list[tuple[np.ndarray, float]], config: JudgeConfig):
    start = time.perf_counter()
    builder = newton.ModelBuilder()
    bodies = []
    for obj, (position, _) in zip(objects, placed, strict=True):
        builder.begin_world()
        bodies.append(add_object(builder, obj, position))
        builder.end_world()
    builder.add_ground_plane()
    model = builder.finalize(device="cpu")
    dynamic = [b for b in bodies if b >= 0]
    recorder = TrackRecorder(model, dynamic)
    if dynamic:
        _simulate(model, recorder, config)
    times = np.asarray(recorder.time) if recorder.time else np.array([0.0, config.gravity.seconds])
    seconds = (time.perf_counter() - start) / len(objects)
    results = []
    for obj, body, (position, shift) in zip(objects, bodies, placed, strict=True):
        if body < 0:
            track = static_track(obj, position, times)
            poses = np.tile(np.concatenate([position, obj.orientation]), (len(times), 1))
        else:
            track, poses = recorder.track(dynamic.index(body)), recorder.poses(body)
        verdict = judge_stability(track, config.stable)
        results.append(GravityResult(obj.name, obj.lifted_m + shift, position, track, poses, verdict, seconds))
    return results


def _simulate(model: newton.Model, recorder: TrackRecorder, config: JudgeConfig) -> None:
    solver = make_solver(model, config)
    state, next_state, control = model.state(), model.state(), model.control()
    newton.eval_fk(model, model.joint_q, model.joint_qd, state)
    steps, every = round(config.gravity.seconds / config.sim_dt), record_every(config)
    recorder.sample(0.0, state)
    for step in range(1, steps + 1):
        solver.step(state, next_state, control, None, config.sim_dt)
        state, next_state = next_state, state
        if step % every == 0 or step == steps:
            recorder.sample(step * config.sim_dt, state)
