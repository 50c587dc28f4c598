"""Play a trained HSI policy and export it for deployment.

    python scripts/play.py --task HSI-Sit-Play --device cpu --checkpoint logs/rsl_rl/hsi_sit/<run>/model_500.pt

Isaac Lab's unified player (RSL-RL) loads the checkpoint, writes `exported/policy.pt` (TorchScript) and
`exported/policy.onnx` next to it, and plays until Ctrl+C. When playback ends this script adds the
task's deployment metadata (joint order, PD gains, default pose, action scale, observation layout;
written by the environment as `hsi_policy.json` in the run folder) to the ONNX file's
`metadata_props` and beside it as a JSON sidecar. Arguments pass through as in `scripts/train.py`.

A checkpoint trained by `scripts/train.py` is played in the environment its run folder's `hsi_training.json`
records: its Hydra overrides and cases apply unless the command line sets the same keys (`env.cases=...`);
the record is copied beside the exported policy. Ctrl+C stops playback even where the player started with
SIGINT ignored (a background job's children inherit that: `cmd &`, `nohup`, job runners).

`--refined_case DIR` then rolls the exported `policy.pt` out on the first case played (one environment,
from the clip's first frame, no early termination, the recorded task and overrides) and writes what the
humanoid did as a refined case. To export without playing: `python -m hsimul3r_ext.tasks.hsi.export CHECKPOINT OUT`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import time
from pathlib import Path

from isaaclab_rl.entrypoints import run_play_cli

import hsimul3r_ext.tasks  # noqa: F401  (registers the HSI gym ids)
from hsimul3r_ext.stability.scene import CONVERT_REPORT
from hsimul3r_ext.tasks.cli_args import option_value, rsl_rl_argv
from hsimul3r_ext.tasks.hsi.cases import parse_case_list
from hsimul3r_ext.tasks.hsi.export import attach_policy_metadata
from hsimul3r_ext.tasks.hsi.rollout import rollout_policy
from hsimul3r_ext.tasks.hsi.training_record import (
    TRAINING_RECORD,
    hydra_overrides,
    override_key,
    read_record,
)


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGINT, signal.default_int_handler)  # Python leaves an inherited "ignore" in place
    start = time.time()
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--refined_case", type=Path, default=None)
    ours, rest = parser.parse_known_args(sys.argv[1:] if argv is None else argv)
    rest = _with_recorded_overrides(rest)
    status = run_play_cli(rsl_rl_argv(rest))
    exported = [f for f in Path("logs").glob("rsl_rl/*/*/exported/policy.onnx") if f.stat().st_mtime >= start]
    for onnx_file in exported:  # exported by this run
        sidecar = attach_policy_metadata(onnx_file)
        if sidecar is not None:
            print(f"[INFO] Deployment metadata added to {onnx_file} and written to {sidecar}")
        if (onnx_file.parent.parent / TRAINING_RECORD).is_file():
            shutil.copyfile(onnx_file.parent.parent / TRAINING_RECORD, onnx_file.with_name(TRAINING_RECORD))
    if ours.refined_case is not None and status == 0:
        if len(exported) != 1:
            print(f"[ERROR] --refined_case: expected one policy exported by this run, found {len(exported)}")
            return 1
        task, device = option_value(rest, "--task"), option_value(rest, "--device") or "cpu"
        case = _first_case(task, rest)
        policy = exported[0].with_name("policy.pt")
        refined = rollout_policy(
            policy, case, ours.refined_case, task=task, device=device, overrides=hydra_overrides(rest)
        )
        print(f"[INFO] Refined case of {case} written to {refined}")
    return status


def _with_recorded_overrides(argv: list[str]) -> list[str]:
    """`argv` plus the overrides recorded with the checkpoint's training whose keys `argv` does not set."""
    checkpoint = option_value(argv, "--checkpoint")
    record = read_record(Path(checkpoint).parent) if checkpoint and Path(checkpoint).is_file() else None
    if record is None:
        return argv
    given = {override_key(o) for o in hydra_overrides(argv)}
    return argv + [o for o in record.env_overrides() if override_key(o) not in given]


def _first_case(task: str, argv: list[str]) -> Path:
    """The case folder the task plays first: `env.cases=[...]` if given, else the task's own; a converted folder
    stands for the case it was converted from."""
    override = next((a.split("=", 1)[1] for a in argv if a.startswith("env.cases=")), None)
    if override is None:
        from isaaclab_tasks.utils.parse_cfg import load_cfg_from_registry

        first = load_cfg_from_registry(task, "env_cfg_entry_point").cases[0]
    else:
        first = parse_case_list(override)[0]
    folder = Path(first).expanduser().absolute()
    if (folder / CONVERT_REPORT).is_file():
        return Path(json.loads((folder / CONVERT_REPORT).read_text(encoding="utf-8"))["case_dir"])
    return folder


if __name__ == "__main__":
    sys.exit(main())
