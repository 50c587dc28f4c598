"""Train an HSI task with RSL-RL: Isaac Lab's unified trainer, with this extension's tasks registered.

    python -m hsimul3r_ext.tasks.train --task HSI-Sit --device cpu --num_envs 64   (= scripts/train.py)

Every argument, preset (`physics=newton_mjwarp`) and Hydra override (`env.*`, `agent.*`) passes through
unchanged; `isaaclab train --rl_library rsl_rl --task HSI-Sit ...` is the same run. Three conveniences:
the library defaults to rsl_rl; with `--device` but no `agent.device=...` the agent runs on the
simulation's device (RSL-RL's own default is cuda:0, which a CPU-only machine does not have); and the run
folder gets `hsi_training.json` (task, overrides, cases), from which export, play and rollout rebuild the
environment the policy was trained in (`hsi/training_record.py`).
Checkpoints land in `logs/rsl_rl/<experiment>/<date-time>/` under the working directory.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from .cli_args import option_value, rsl_rl_argv


def main(argv: list[str] | None = None) -> int:
    from isaaclab_rl.entrypoints import run_train_cli

    from . import hsi  # noqa: F401  (registers the HSI gym ids)
    from .hsi.training_record import hydra_overrides, write_record

    argv = rsl_rl_argv(sys.argv[1:] if argv is None else argv)
    started = datetime.now(UTC)
    status = run_train_cli(argv)
    task = option_value(argv, "--task")
    for run in _runs_since(Path("logs") / "rsl_rl", started, task):
        write_record(run, task, hydra_overrides(argv))
    return status


def _runs_since(log_root: Path, started: datetime, task: str | None) -> Iterator[Path]:
    """Run folders of `task` that Isaac Lab's trainer created since `started` (from its `run.json` manifests)."""
    from isaaclab_rl.entrypoints.common import RUN_MANIFEST_FILENAME

    for manifest in log_root.glob(f"*/*/{RUN_MANIFEST_FILENAME}"):
        run = json.loads(manifest.read_text(encoding="utf-8"))
        if task and run.get("task") == task.split(":")[-1] and datetime.fromisoformat(run["created_at"]) >= started:
            yield manifest.parent


if __name__ == "__main__":
    sys.exit(main())
