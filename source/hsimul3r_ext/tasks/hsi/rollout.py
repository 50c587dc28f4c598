"""The forward pass's output: play a trained tracking policy on one case and write what it did as a refined case.

One environment of an HSI task plays the case from its reference's first frame for the whole clip (no
randomisation, no early termination); the humanoid's root pose, hinge angles and body positions per
control step and the objects' final poses become the refined case (`write_simulated_case`). The
rollout runs in a child process: Isaac Lab keeps one simulation context per process, so a judge or a
player that already simulated (or will again) stays unaffected.

    python -m hsimul3r_ext.tasks.hsi.rollout POLICY.pt CASE_DIR OUT_DIR [--device cpu] [--scene CONVERTED_DIR]
        [--task HSI-Track-Play] [env.sim.dt=...]

The environment is the one the policy was trained in, as recorded in the `hsi_training.json` beside it
(task and Hydra overrides; `training_record.py`) with the case in place of the trained ones; `--task` and
overrides stand in for a policy without a record, and overrides win over recorded ones.

The refined case's provenance note records how closely the policy followed the case (MPJPE over the
SMPL joints) and how far each movable object drifted, what the forward pass reports.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ...hsi.case_io import MANIFEST
from ...hsi.errors import CaseError

DEFAULT_TASK = "HSI-Track-Play"
"""For a policy without a training record. Any HSI task works: its `cases` are replaced by the rolled-out case."""

SETTLE_MARGIN_S = 10.0
"""The episode limit lies this far past the clip, so the time-out never ends a rollout."""


def rollout_policy(
    policy_file: Path,
    case_dir: Path,
    out_dir: Path,
    *,
    task: str = DEFAULT_TASK,
    device: str = "cpu",
    overrides: Sequence[str] = (),
    scene: Path | None = None,
    overwrite: bool = False,
) -> Path:
    """Roll the TorchScript policy `policy_file` out on the case in `case_dir`; returns the refined case folder.

    The task and Hydra overrides (control rate, observations) are those recorded beside the policy; `task` and
    `overrides` stand in for a policy without a record (`overrides` also win over recorded ones). `scene` is
    the case's converted folder to simulate (default: the case, converted through the cache)."""
    policy_file, case_dir, out_dir = Path(policy_file).absolute(), Path(case_dir).absolute(), Path(out_dir).absolute()
    if not policy_file.is_file():
        raise CaseError(policy_file, "--policy", "no such file: pass the TorchScript policy (exported/policy.pt)")
    if not (case_dir / MANIFEST).is_file():
        raise CaseError(case_dir, "path", f"not a case folder ({MANIFEST}): a policy rollout needs the case")
    command = [sys.executable, "-m", __name__, str(policy_file), str(case_dir), str(out_dir), "--task", task]
    command += ["--device", device] + (["--overwrite"] if overwrite else [])
    command += [] if scene is None else ["--scene", str(Path(scene).absolute())]
    command += list(overrides)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        output = result.stdout[-3000:] + result.stderr[-3000:]
        raise RuntimeError(f"policy rollout failed ({' '.join(command)}):\n{output}")
    return out_dir


def _rollout(
    policy_file: Path,
    case_dir: Path,
    out_dir: Path,
    task: str,
    device: str,
    overrides: Sequence[str],
    scene_dir: Path | None,
    overwrite: bool,
) -> Path:
    """The rollout itself, in this process (the child of :func:`rollout_policy`)."""
    import gymnasium as gym
    import torch
    from isaaclab_tasks.utils.hydra import resolve_task_config

    import hsimul3r_ext.tasks  # noqa: F401  (registers the HSI gym ids)

    from ...body.humanoid_motion import HumanoidMotion
    from ...body.simulated_case import simulated_motion, write_simulated_case
    from ...hsi.case_io import load_case
    from ...hsi.smpl_layout import SMPL_JOINT_NAMES
    from .training_record import recorded_environment

    task, overrides = recorded_environment(policy_file.parent, task, overrides)
    scene = load_case(case_dir)
    if scene.motion is None:
        raise CaseError(case_dir, "motion", "the case has no motion: there is nothing for the policy to track")
    cfg, _ = resolve_task_config(task, "rsl_rl_cfg_entry_point", overrides=list(overrides))
    cfg.cases = [str(scene_dir or case_dir)]
    cfg.scene.num_envs = 1
    cfg.sim.device = device
    cfg.commands.motion.sampling = "start"
    cfg.events.object_mass = None
    cfg.events.object_friction = None
    cfg.observations.policy.enable_corruption = False
    cfg.terminations.body_position_error = None
    cfg.terminations.reference_finished = None
    cfg.episode_length_s = (scene.motion.num_frames - 1) / scene.motion.fps + SETTLE_MARGIN_S
    policy = torch.jit.load(str(policy_file), map_location=device).eval()

    env = gym.make(task, cfg=cfg)
    try:
        base = env.unwrapped
        robot, command = base.scene["robot"], base.command_manager.get_term("motion")
        origin = base.scene.env_origins[0]
        root = command.motion.root_index
        body = _converted_body(base.layout.motion_files[0], robot.joint_names)
        dof_order = body["dof_order"]
        body_order = [robot.body_names.index(n) for n in SMPL_JOINT_NAMES]
        steps = round(float(command.motion.duration[0]) / base.step_dt)
        root_pos, root_quat, dof_pos, body_pos, reference_pos = [], [], [], [], []

        def record() -> None:
            bodies = robot.data.body_pos_w.torch[0] - origin
            root_pos.append(bodies[root].tolist())
            root_quat.append(robot.data.body_quat_w.torch[0, root].tolist())
            dof_pos.append(robot.data.joint_pos.torch[0, dof_order].tolist())
            body_pos.append(bodies[body_order].tolist())
            reference_pos.append((command.state.body_pos_w[0] - origin)[body_order].tolist())

        obs, _ = env.reset()
        starts = _object_poses(base, origin)
        record()
        with torch.inference_mode():
            for _ in range(steps):
                obs, _, terminated, truncated, _ = env.step(policy(obs["policy"]))
                if bool(terminated.any() or truncated.any()):
                    raise RuntimeError("the rollout's episode ended before the clip did")
                record()
        finals = _object_poses(base, origin)
        fps = 1.0 / base.step_dt
    finally:
        env.close()
    simulated = HumanoidMotion(fps, np.array(root_pos), np.array(root_quat), np.array(dof_pos))
    motion = simulated_motion(scene.motion, simulated, body["hinge_orders"], body["pelvis_rest"], np.array(body_pos))
    note = {
        "step": "forward",
        "policy": str(policy_file),
        "task": task,
        "overrides": list(overrides),
        "steps": steps,
        "fps": fps,
        "mpjpe_mm": float(np.linalg.norm(np.array(body_pos) - np.array(reference_pos), axis=-1).mean() * 1000.0),
        "object_drift": {name: _drift(starts[name], finals[name]) for name in finals},
    }
    return write_simulated_case(case_dir, out_dir, motion, finals, note, overwrite=overwrite)


def _object_poses(env, origin) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Position (in the environment's frame) and xyzw quaternion of each movable object of environment 0."""
    poses = {}
    for obj in env.layout.objects:
        if not obj.static:
            data = env.scene[obj.asset_name].data
            position = (data.root_pos_w.torch[0] - origin).cpu().numpy()
            poses[obj.name] = (position, data.root_quat_w.torch[0].cpu().numpy())
    return poses


def _drift(start: tuple[np.ndarray, np.ndarray], end: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """How far an object moved [m] and turned [deg] between the rollout's first and last step."""
    from scipy.spatial.transform import Rotation

    turn = Rotation.from_quat(end[1]) * Rotation.from_quat(start[1]).inv()
    return {
        "displacement_m": float(np.linalg.norm(end[0] - start[0])),
        "rotation_deg": float(np.degrees(turn.magnitude())),
    }


def _converted_body(motion_file: Path, sim_names: list[str]) -> dict[str, Any]:
    """The simulated humanoid as its conversion recorded it: the simulator DOF index of each humanoid DOF in the
    humanoid's order (`left_hip_x` <- `left_hip_0_y:1`, matched by name through the converted motion, whose
    columns are the humanoid's DOFs), its hinge orders and its rest pelvis."""
    from .motion_library import motion_dof_names

    with np.load(motion_file) as data:
        if "pelvis_rest" not in data:
            raise CaseError(motion_file, "pelvis_rest", "converted by an older version: convert again (run: --force)")
        column_of = motion_dof_names(data, motion_file)  # simulator DOF name -> motion column
        sim_of_column = {column: sim_names.index(name) for name, column in column_of.items()}
        return {
            "dof_order": [sim_of_column[column] for column in range(len(data["joint_names"]))],
            "hinge_orders": [str(o) for o in data["hinge_orders"]],
            "pelvis_rest": np.asarray(data["pelvis_rest"], dtype=np.float64),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("policy", type=Path, help="TorchScript policy (exported/policy.pt)")
    parser.add_argument("case", type=Path, help="case folder (hsi.json)")
    parser.add_argument("out", type=Path, help="new folder for the refined case")
    parser.add_argument("--task", default=DEFAULT_TASK)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--scene", type=Path, default=None, help="converted folder of the case to simulate")
    parser.add_argument("--overwrite", action="store_true")
    args, overrides = parser.parse_known_args(argv)
    scene = None if args.scene is None else args.scene.absolute()
    out = _rollout(
        args.policy.absolute(), args.case.absolute(), args.out, args.task, args.device, overrides, scene, args.overwrite
    )
    print(json.dumps({"refined_case": str(out)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
