"""Play a trained HSI policy and export it for deployment.

    python scripts/play.py --task HSI-Sit-Play --device cpu --checkpoint logs/rsl_rl/hsi_sit/<run>/model_500.pt

Isaac Lab's unified player (RSL-RL) loads the checkpoint, writes `exported/policy.pt` (TorchScript) and
`exported/policy.onnx` next to it, and plays until Ctrl+C. When playback ends this script adds the
task's deployment metadata (joint order, PD gains, default pose, action scale, observation layout;
written by the environment as `hsi_policy.json` in the run folder) to the ONNX file's
`metadata_props` and beside it as a JSON sidecar. Arguments pass through as in `scripts/train.py`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from isaaclab_rl.entrypoints import run_play_cli

import hsimul3r_ext.tasks  # noqa: F401  (registers the HSI gym ids)
from hsimul3r_ext.tasks.cli_args import rsl_rl_argv
from hsimul3r_ext.tasks.hsi.export import attach_policy_metadata


def main(argv: list[str] | None = None) -> int:
    start = time.time()
    status = run_play_cli(rsl_rl_argv(sys.argv[1:] if argv is None else argv))
    for onnx_file in Path("logs").glob("rsl_rl/*/*/exported/policy.onnx"):
        if onnx_file.stat().st_mtime >= start:  # exported by this run
            sidecar = attach_policy_metadata(onnx_file)
            if sidecar is not None:
                print(f"[INFO] Deployment metadata added to {onnx_file} and written to {sidecar}")
    return status


if __name__ == "__main__":
    sys.exit(main())
