"""Type 1 test: each object alone on the ground at its case pose, under gravity, for `gravity.seconds`."""

from __future__ import annotations

import time
from dataclasses import dataclass

import newton
import numpy as np

from .config import JudgeConfig
from .metrics import ObjectTrack, StabilityVerdict, judge_stability
from .object_model import gravity_model, simulate_free_bodies
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
    (MuJoCo-Warp batches worlds of the same layout only). Static objects never move and pass."""
    start = time.perf_counter()
    placed = [grounded_position(obj, config.gravity.max_ground_gap_m) for obj in objects]
    dynamic = [k for k, obj in enumerate(objects) if not obj.static]
    steps, every = round(config.gravity.seconds / config.sim_dt), record_every(config)
    times, simulated = np.array([0.0, config.gravity.seconds]), {}
    if dynamic and config.backend == "mujoco_warp":
        for k in dynamic:
            times, simulated[k] = _through_newton(objects[k], placed[k][0], steps, every, config)
    elif dynamic:
        model = gravity_model([objects[k] for k in dynamic], [placed[k][0] for k in dynamic], config.sim_dt)
        times, tracks, poses = simulate_free_bodies(model, steps, every)
        simulated = {k: (tracks[b], poses[:, b]) for b, k in enumerate(dynamic)}
    seconds = (time.perf_counter() - start) / len(objects)
    results = []
    for k, (obj, (position, shift)) in enumerate(zip(objects, placed, strict=True)):
        if k in simulated:
            track, poses = simulated[k]
        else:
            track = static_track(obj, position, times)
            poses = np.tile(np.concatenate([position, obj.orientation]), (len(times), 1))
        verdict = judge_stability(track, config.stable)
        results.append(GravityResult(obj.name, obj.lifted_m + shift, position, track, poses, verdict, seconds))
    return results


def _through_newton(
    obj: JudgedObject, position: np.ndarray, steps: int, every: int, config: JudgeConfig
) -> tuple[np.ndarray, tuple[ObjectTrack, np.ndarray]]:
    """One object on Newton's model and solver: (sample times, (track, (F, 7) poses))."""
    builder = newton.ModelBuilder()
    body = add_object(builder, obj, position)
    builder.add_ground_plane()
    model = builder.finalize(device="cpu")
    recorder = TrackRecorder(model, [body])
    solver = make_solver(model, config)
    state, next_state, control = model.state(), model.state(), model.control()
    newton.eval_fk(model, model.joint_q, model.joint_qd, state)
    recorder.sample(0.0, state)
    for step in range(1, steps + 1):
        solver.step(state, next_state, control, None, config.sim_dt)
        state, next_state = next_state, state
        if step % every == 0 or step == steps:
            recorder.sample(step * config.sim_dt, state)
    return np.asarray(recorder.time), (recorder.track(0), recorder.poses(body))
