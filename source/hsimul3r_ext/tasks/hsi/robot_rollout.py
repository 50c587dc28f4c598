"""How well a trained robot policy does its interaction: success rate, tracking error, and the judge's verdict.

One environment set of the task the policy was trained in (its `hsi_training.json`), no randomisation and
no automatic end of an episode: environment 0 plays the clip from its first frame, the others from start
times drawn uniformly over it (BeyondMimic's evaluation of a tracking policy over all phases). An episode
succeeds when none of the task's failure terminations fires before its clip ends. Environment 0's robot
motion (BeyondMimic layout) is judged like a retargeted one: kinematically, among the case's dynamic
objects. Runs in a child process (one simulation per process):

    python -m hsimul3r_ext.tasks.hsi.robot_rollout POLICY.pt OUT_DIR [--num_envs 16] [--device cpu] [env.KEY=VALUE ...]

`OUT_DIR` (new) gets `robot_motion.npz`, `rollout.json` and the judge's folder `judge/`.
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

from ...hsi.errors import CaseError

ROLLOUT_JSON = "rollout.json"


def evaluate_robot_policy(
    policy_file: Path, out_dir: Path, *, num_envs: int = 16, device: str = "cpu", overrides: Sequence[str] = ()
) -> dict[str, Any]:
    """Evaluate the TorchScript policy `policy_file` (with its `hsi_training.json` beside it) into `out_dir`;
    returns `rollout.json`."""
    policy_file, out_dir = Path(policy_file).absolute(), Path(out_dir).absolute()
    if not policy_file.is_file():
        raise CaseError(policy_file, "policy", "no such file: pass the TorchScript policy (exported/policy.pt)")
    command = [sys.executable, "-m", __name__, str(policy_file), str(out_dir), "--num_envs", str(num_envs)]
    result = subprocess.run([*command, "--device", device, *overrides], capture_output=True, text=True)
    if result.returncode != 0:
        output = result.stdout[-3000:] + result.stderr[-3000:]
        raise RuntimeError(f"robot policy evaluation failed ({' '.join(command)}):\n{output}")
    return json.loads((out_dir / ROLLOUT_JSON).read_text(encoding="utf-8"))


def _evaluate(policy_file: Path, out_dir: Path, num_envs: int, device: str, overrides: Sequence[str]) -> None:
    """The evaluation itself, in this process (the child of :func:`evaluate_robot_policy`)."""
    import gymnasium as gym
    import torch
    from isaaclab_tasks.utils.hydra import resolve_task_config

    import hsimul3r_ext.tasks  # noqa: F401  (registers the HSI gym ids)

    from ...atomic_dir import atomic_output_dir
    from .mdp.events import write_reference_state
    from .motion_library import STATE_KEYS
    from .training_record import recorded_environment

    task, overrides = recorded_environment(policy_file.parent, None, overrides)
    if task is None:
        raise CaseError(policy_file.parent, "hsi_training.json", "missing: export the policy with its training record")
    cfg, _ = resolve_task_config(task, "rsl_rl_cfg_entry_point", overrides=list(overrides))
    if cfg.robot is None:
        raise CaseError(policy_file.parent, "task", f"{task} is not a robot task")
    failures = {
        name: term
        for name, term in vars(cfg.terminations).items()
        if term is not None and not term.time_out  # judged here, so that no episode is cut and restarted
    }
    for name in list(vars(cfg.terminations)):
        setattr(cfg.terminations, name, None)
    cfg.scene.num_envs = num_envs
    cfg.sim.device = device
    cfg.commands.motion.sampling = "uniform"
    cfg.events.object_mass = cfg.events.object_friction = None
    cfg.episode_length_s = 1.0e6
    policy = torch.jit.load(str(policy_file), map_location=device).eval()

    env = gym.make(task, cfg=cfg)
    try:
        base = env.unwrapped
        robot, command = base.scene["robot"], base.command_manager.get_term("motion")
        env.reset()
        first = torch.tensor([0], device=base.device)
        command.set_time(first, torch.zeros(1, device=base.device))  # environment 0: the clip from its start
        write_reference_state(base, first, "motion")
        base.scene.update(0.0)
        obs = base.observation_manager.compute()
        origin = base.scene.env_origins[0]
        duration = command.duration
        failed = torch.zeros(num_envs, dtype=torch.bool, device=base.device)
        reason: dict[int, str] = {}
        errors, motion = [], {key: [] for key in STATE_KEYS}

        def record() -> None:
            for key in STATE_KEYS:
                value = getattr(robot.data, key).torch[0]
                motion[key].append((value - origin if key == "body_pos_w" else value).tolist())

        record()
        steps = int(torch.ceil(duration.max() / base.step_dt))
        with torch.inference_mode():
            for _ in range(steps):
                running = (command.time < duration) & ~failed
                obs, _, _, _, _ = env.step(policy(obs["policy"]))
                error = (robot.data.body_pos_w.torch - command.state.body_pos_w).norm(dim=-1).mean(-1)
                errors.append(torch.where(running, error, torch.nan).tolist())
                for name, term in failures.items():
                    fired = term.func(base, **term.params) & running
                    for index in torch.nonzero(fired).flatten().tolist():
                        reason.setdefault(index, name)
                    failed |= fired
                if float(command.time[0]) <= float(duration[0]) + 1e-6:
                    record()
        objects = {
            obj.name: (base.scene[obj.asset_name].data.root_pos_w.torch[0] - origin).tolist()
            for obj in base.layout.objects
            if not obj.static and obj.case == 0
        }
        retargeted = base.layout.folders[0]
        fps = 1.0 / base.step_dt
    finally:
        env.close()
    arrays = _motion_arrays(motion, fps, retargeted)
    tracking = np.nanmean(np.array(errors, dtype=float), axis=0) * 1000.0
    with atomic_output_dir(out_dir) as stage:
        np.savez_compressed(stage / "robot_motion.npz", **arrays)
        verdict = _judge(retargeted, arrays, stage)
        summary = {
            "policy": str(policy_file),
            "task": task,
            "overrides": list(overrides),
            "case": str(retargeted),
            "episodes": num_envs,
            "success_rate": float((~failed).float().mean()),
            "failures": {name: sum(1 for r in reason.values() if r == name) for name in failures},
            # mean over each episode's steps, then over the episodes; and environment 0's (the clip from its start)
            "body_pos_error_mm": {"mean": float(np.nanmean(tracking)), "from_start": float(tracking[0])},
            "final_object_positions": objects,
            "judge": {"type": verdict["type"], "report": "judge/report.md"},
            "files": {"motion": "robot_motion.npz", "judge": "judge/"},
        }
        (stage / ROLLOUT_JSON).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def _motion_arrays(motion: dict[str, list], fps: float, retargeted: Path) -> dict[str, np.ndarray]:
    """The simulated robot's motion in the layout of the retargeted one (names from its `robot_motion.npz`)."""
    from ...retarget.job import ROBOT_MOTION

    with np.load(retargeted / ROBOT_MOTION) as reference:
        names = {key: reference[key] for key in ("joint_names", "body_names", "quat_order")}
    return {"fps": np.array(fps), **names, **{key: np.asarray(v, np.float32) for key, v in motion.items()}}


def _judge(retargeted: Path, arrays: dict[str, np.ndarray], folder: Path) -> dict[str, Any]:
    """The judge's kinematic test of the rolled-out motion, the robot among the case's dynamic objects, with the
    retargeted case's contact labels (at the rollout's frames)."""
    import dataclasses

    from ...retarget.robot_case import load_retargeted
    from ...retarget.robot_judge import judge_robot, robot_humanoid
    from ...retarget.robot_model import load_robot
    from ...stability.config import load_judge_config

    scene = load_retargeted(retargeted)
    report = json.loads((retargeted / "retarget.json").read_text(encoding="utf-8"))
    humanoid = robot_humanoid(load_robot(report["robot_config"]), scene.humanoid.usd_file, arrays)
    labels = None if scene.contact_labels is None else _resample(scene.contact_labels, len(arrays["joint_pos"]))
    rolled = dataclasses.replace(scene, name=f"{scene.name} (policy)", humanoid=humanoid, contact_labels=labels)
    judged = folder / "judge"
    judged.mkdir()
    return judge_robot(rolled, judged, load_judge_config(), judged)


def _resample(labels: np.ndarray, frames: int) -> np.ndarray:
    """Per-frame labels of the retargeted clip at the rollout's frame count (nearest frame)."""
    index = np.round(np.linspace(0, len(labels) - 1, frames)).astype(int)
    return labels[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("policy", type=Path, help="TorchScript policy (exported/policy.pt) with hsi_training.json")
    parser.add_argument("out", type=Path, help="new folder for rollout.json, robot_motion.npz and judge/")
    parser.add_argument("--num_envs", type=int, default=16)
    parser.add_argument("--device", default="cpu")
    args, overrides = parser.parse_known_args(argv)
    _evaluate(args.policy.absolute(), args.out.absolute(), args.num_envs, args.device, overrides)
    print(json.dumps({"rollout": str(args.out.absolute() / ROLLOUT_JSON)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
