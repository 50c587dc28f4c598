"""Train a robot HSI task for real and say how the policy does: success rate, tracking error, the judge's verdict.

    python scripts/train_robot_policy.py --task HSI-Sit-G1 --device cuda:0 --num_envs 4096 --max_iterations 3000 \
        -o outputs/g1_sit [--case examples/sit_chair_clean] [--eval_envs 64] [env.KEY=VALUE agent.KEY=VALUE ...]

Steps: `hsimul3r_ext.tasks.train` in `OUT` (logs/rsl_rl/...), the last checkpoint exported to `OUT/policy/`
(TorchScript, ONNX with the deployment metadata), the policy evaluated (`tasks/hsi/robot_rollout.py`: episodes
over all phases of the clip, environment 0 from its start judged among the objects) into `OUT/evaluation/`,
the training curve as `OUT/training_curve.png`, and everything in `OUT/summary.json`. A GPU run is the point;
on a CPU, `--num_envs 4 --max_iterations 2` checks that the chain works.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hsimul3r_ext.tasks.hsi.cases import EXAMPLES_DIR
from hsimul3r_ext.tasks.hsi.export import export_checkpoint
from hsimul3r_ext.tasks.hsi.forward import (
    ForwardConfig,
    last_checkpoint,
    plot_training_curve,
    train_policy,
    training_curve,
)
from hsimul3r_ext.tasks.hsi.robot_rollout import evaluate_robot_policy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="HSI-Sit-G1")
    parser.add_argument(
        "--case", type=Path, default=EXAMPLES_DIR / "sit_chair_clean", help="case, converted or retarget folder"
    )
    parser.add_argument("--device", default="cuda:0")
    parser.add_argument("--num_envs", type=int, default=4096)
    parser.add_argument("--max_iterations", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--eval_envs", type=int, default=64)
    parser.add_argument("-o", "--out", type=Path, required=True, help="new folder")
    args, overrides = parser.parse_known_args(argv)
    out = args.out.absolute()
    out.mkdir(parents=True, exist_ok=False)
    config = ForwardConfig(
        enabled=True, task=args.task, device=args.device, num_envs=args.num_envs,
        max_iterations=args.max_iterations, seed=args.seed, task_overrides=overrides,
    )  # fmt: skip
    run = train_policy(args.case.absolute(), out, config)
    policy = export_checkpoint(last_checkpoint(run), out / "policy", device=args.device)
    evaluation = evaluate_robot_policy(policy, out / "evaluation", num_envs=args.eval_envs, device=args.device)
    curve = training_curve(run)
    plot_training_curve(curve, out / "training_curve.png", f"{args.task} on {args.case.name}")
    summary = {
        "task": args.task,
        "case": str(args.case),
        "num_envs": args.num_envs,
        "iterations": len(curve.get("Train/mean_reward", [])),
        "mean_reward_last": (curve.get("Train/mean_reward") or [None])[-1],
        "run": str(run.relative_to(out)),
        "policy": str(policy.relative_to(out)),
        "success_rate": evaluation["success_rate"],
        "body_pos_error_mm": evaluation["body_pos_error_mm"],
        "judge_type": evaluation["judge"]["type"],
        "files": {"curve": "training_curve.png", "evaluation": "evaluation/rollout.json"},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
