"""The forward pass as one job (paper Sec. 3.3): train a tracking policy on a case, or take one, and export it.

Training is Isaac Lab's RSL-RL trainer (`hsimul3r_ext.tasks.train`) in a child process whose working
directory is the job's folder, so its logs and checkpoints stay there; the last checkpoint is exported
(`export.export_checkpoint`) and the training curve read back from RSL-RL's TensorBoard events.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import MISSING

TRAIN_LOG = "train.log"
CURVE_TAGS = ("Train/mean_reward", "Train/mean_episode_length", "Policy/mean_std")
_ITERATION = re.compile(r"Learning iteration (\d+)/(\d+)")


@dataclass
class ForwardConfig:
    enabled: bool = MISSING
    policy: str | None = None
    task: str = MISSING
    device: str = MISSING
    num_envs: int = MISSING
    max_iterations: int = MISSING
    seed: int = MISSING
    task_overrides: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_forward_config(overrides: Sequence[str] = ()) -> ForwardConfig:
    """The `forward` section of the pipeline configuration, checked."""
    import gymnasium as gym

    from ...hsi.errors import CaseError
    from ...settings import CONFIG_DIR, stage_config
    from .. import hsi  # noqa: F401  (registers the HSI gym ids)

    config = stage_config("forward", ForwardConfig, overrides)
    file = CONFIG_DIR / "forward" / "default.yaml"
    if config.task not in gym.registry or not config.task.startswith("HSI-"):
        tasks = sorted(name for name in gym.registry if name.startswith("HSI-"))
        raise CaseError(file, "forward.task", f"not an HSI task: {config.task!r}; tasks: {', '.join(tasks)}")
    if config.num_envs < 1 or config.max_iterations < 1:
        raise CaseError(file, "forward.num_envs", "num_envs and max_iterations must be >= 1")
    if config.policy is not None and not Path(config.policy).expanduser().is_file():
        raise CaseError(Path(config.policy), "forward.policy", "no such file: pass an exported policy.pt")
    for override in config.task_overrides:
        if not override.startswith(("env.", "agent.")) or "=" not in override:
            raise CaseError(file, "forward.task_overrides", f"{override!r}: expected env.KEY=VALUE or agent.KEY=VALUE")
    return config


def train_policy(scene: Path, folder: Path, config: ForwardConfig, *, progress: bool = True) -> Path:
    """Train `config.task` on the converted case `scene` with `folder` as the working directory; returns the
    run folder (`folder/logs/rsl_rl/<experiment>/<date-time>/`, with `model_<N>.pt` and TensorBoard events)."""
    from tqdm import tqdm

    command = [
        sys.executable, "-m", "hsimul3r_ext.tasks.train", "--task", config.task, "--device", config.device,
        "--num_envs", str(config.num_envs), "--max_iterations", str(config.max_iterations),
        "--seed", str(config.seed), f"env.cases=[{scene}]", *config.task_overrides,
    ]  # fmt: skip
    log = folder / TRAIN_LOG
    bar = tqdm(total=config.max_iterations, desc="forward: PPO iterations", unit="it", disable=not progress)
    with log.open("w", encoding="utf-8") as out, bar:
        child = subprocess.Popen(command, cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in child.stdout:
            out.write(line)
            match = _ITERATION.search(line)
            if match:
                bar.update(int(match.group(1)) + 1 - bar.n)
        status = child.wait()
    if status != 0:
        tail = log.read_text(encoding="utf-8")[-3000:]
        raise RuntimeError(f"training failed (exit {status}; full output in {log}):\n{tail}")
    runs = sorted((folder / "logs" / "rsl_rl").glob("*/*/model_*.pt"), key=lambda f: f.stat().st_mtime)
    if not runs:
        raise RuntimeError(f"training wrote no checkpoint (output in {log})")
    return runs[-1].parent


def last_checkpoint(run: Path) -> Path:
    """The checkpoint of the highest iteration in a run folder."""
    return max(run.glob("model_*.pt"), key=lambda f: int(f.stem.split("_")[1]))


def training_curve(run: Path, tags: Sequence[str] = CURVE_TAGS) -> dict[str, list[float]]:
    """Per-iteration values of RSL-RL's logged scalars (TensorBoard events of the run folder)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run), size_guidance={"scalars": 0})
    events.Reload()
    available = set(events.Tags()["scalars"])
    return {tag: [e.value for e in events.Scalars(tag)] for tag in tags if tag in available}


def plot_training_curve(curve: dict[str, list[float]], png: Path, title: str) -> Path:
    """One panel per logged scalar against the PPO iteration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(curve), figsize=(4.2 * len(curve), 3.2), squeeze=False)
    for ax, (tag, values) in zip(axes[0], curve.items(), strict=True):
        ax.plot(range(len(values)), values, lw=1.5)
        ax.set_xlabel("PPO iteration")
        ax.ticklabel_format(useOffset=False)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_title(tag.split("/", 1)[1].replace("_", " "))
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png
