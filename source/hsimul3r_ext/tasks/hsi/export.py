"""Deployment files of a trained policy: TorchScript, ONNX, and what a robot-side runner needs besides the weights.

The environment writes `hsi_policy.json` into its run folder; the exported ONNX file gets every entry
as a `metadata_props` key (JSON-encoded value) and a copy of the JSON beside it, as BeyondMimic's
exporter does for its joint names, gains and default pose. `export_checkpoint` exports a training
checkpoint without playing it (Isaac Lab's player exports, then plays until Ctrl+C), in the environment the
run folder's `hsi_training.json` records (task, overrides, cases; `training_record.py`), and writes that
record beside the policy for the rollouts:

    python -m hsimul3r_ext.tasks.hsi.export CHECKPOINT.pt OUT_DIR [--device cpu] [--task HSI-Sit] [env.KEY=VALUE ...]

`--task` and the overrides are needed only for a run without a record (e.g. trained by `isaaclab train`);
overrides given on top of a record win over the recorded ones.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from .training_record import TRAINING_RECORD, recorded_environment, write_record

POLICY_METADATA = "hsi_policy.json"
"""Written by the environment into its run folder (`cfg.log_dir`)."""

POLICY_JIT, POLICY_ONNX = "policy.pt", "policy.onnx"


def attach_policy_metadata(onnx_file: str | Path, source: Path | None = None) -> Path | None:
    """Add the metadata in `source` (default: the run's `hsi_policy.json`, for `<run>/exported/policy.onnx`)
    to `onnx_file` (in place) and beside it; None if there is none."""
    import onnx

    onnx_file = Path(onnx_file)
    source = source or onnx_file.parent.parent / POLICY_METADATA
    if not source.is_file():
        return None
    metadata = json.loads(source.read_text(encoding="utf-8"))
    model = onnx.load(str(onnx_file), load_external_data=False)  # weights stay in their `.data` file
    props = {p.key: p for p in model.metadata_props}
    for key, value in metadata.items():
        prop = props.get(key) or model.metadata_props.add()
        prop.key, prop.value = key, json.dumps(value)
    onnx.save(model, str(onnx_file))
    sidecar = onnx_file.with_name(POLICY_METADATA)
    if sidecar.resolve() != source.resolve():
        shutil.copyfile(source, sidecar)
    return sidecar


def export_checkpoint(
    checkpoint: str | Path,
    out_dir: str | Path,
    *,
    task: str | None = None,
    device: str = "cpu",
    overrides: Sequence[str] = (),
) -> Path:
    """Write `policy.pt`, `policy.onnx` (with metadata), `hsi_policy.json` and `hsi_training.json` of an RSL-RL
    checkpoint into `out_dir`.

    The environment is the one recorded with the checkpoint; `task` and `overrides` (network sizes,
    observations) stand in for a run without a record. The export builds one environment, so it runs in a
    child process (one simulation per process)."""
    checkpoint, out_dir = Path(checkpoint).absolute(), Path(out_dir).absolute()
    if not checkpoint.is_file():
        raise FileNotFoundError(f"{checkpoint}: no such checkpoint")
    command = [sys.executable, "-m", __name__, str(checkpoint), str(out_dir), "--device", device]
    command += [] if task is None else ["--task", task]
    result = subprocess.run([*command, *overrides], capture_output=True, text=True)
    if result.returncode != 0:
        output = result.stdout[-3000:] + result.stderr[-3000:]
        raise RuntimeError(f"policy export failed ({' '.join(command)}):\n{output}")
    return out_dir / POLICY_JIT


def _export(checkpoint: Path, out_dir: Path, task: str, device: str, overrides: Sequence[str]) -> None:
    """The export itself, in this process (the child of :func:`export_checkpoint`), in the environment of `task`
    with `overrides`."""
    import gymnasium as gym
    from isaaclab_rl.rsl_rl import (
        RslRlVecEnvWrapper,
        check_rsl_rl_version,
        create_rsl_rl_runner,
        handle_deprecated_rsl_rl_cfg,
    )
    from isaaclab_tasks.utils.hydra import resolve_task_config

    import hsimul3r_ext.tasks  # noqa: F401  (registers the HSI gym ids)

    env_cfg, agent_cfg = resolve_task_config(task, "rsl_rl_cfg_entry_point", overrides=list(overrides))
    agent_cfg = handle_deprecated_rsl_rl_cfg(agent_cfg, check_rsl_rl_version())  # as Isaac Lab's player does
    env_cfg.scene.num_envs = 1
    env_cfg.sim.device = agent_cfg.device = device
    env_cfg.log_dir = str(out_dir)  # the environment writes its hsi_policy.json there
    env = gym.make(task, cfg=env_cfg)
    try:
        runner = create_rsl_rl_runner(RslRlVecEnvWrapper(env, clip_actions=agent_cfg.clip_actions), agent_cfg)
        runner.load(str(checkpoint), map_location=device)
        runner.export_policy_to_jit(path=str(out_dir), filename=POLICY_JIT)
        runner.export_policy_to_onnx(path=str(out_dir), filename=POLICY_ONNX)
    finally:
        env.close()
    attach_policy_metadata(out_dir / POLICY_ONNX, out_dir / POLICY_METADATA)
    write_record(out_dir, task, overrides)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export an HSI policy checkpoint (TorchScript, ONNX, metadata).")
    parser.add_argument("checkpoint", type=Path, help="RSL-RL checkpoint (logs/rsl_rl/<experiment>/<run>/model_N.pt)")
    parser.add_argument("out", type=Path, help="folder for policy.pt, policy.onnx and hsi_policy.json")
    parser.add_argument("--task", default=None, help="only for a run without hsi_training.json")
    parser.add_argument("--device", default="cpu")
    args, overrides = parser.parse_known_args(argv)
    task, overrides = recorded_environment(args.checkpoint.absolute().parent, args.task, overrides)
    if task is None:
        parser.error(f"{args.checkpoint.parent}: no {TRAINING_RECORD}: pass --task and the training's overrides")
    args.out.mkdir(parents=True, exist_ok=True)
    _export(args.checkpoint.absolute(), args.out.absolute(), task, args.device, overrides)
    print(json.dumps({"policy": str(args.out.absolute() / POLICY_JIT)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
