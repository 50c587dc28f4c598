"""A short HSI-Sit training through `scripts/train.py` in a child process, shared by the task and rollout tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def train_hsi_sit(
    work: Path, case: Path, num_envs: int, iterations: int = 2, extra: Sequence[str] = (), timeout_s: float = 600
) -> Path:
    """Train on `case` with `work` as the working directory; returns the run folder under logs/."""
    command = [
        sys.executable, str(REPO / "scripts" / "train.py"), "--task", "HSI-Sit", "--device", "cpu",
        "--num_envs", str(num_envs), "--max_iterations", str(iterations), f"env.cases=[{case}]", *extra,
    ]  # fmt: skip
    result = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=timeout_s)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (run,) = (work / "logs" / "rsl_rl" / "hsi_sit").iterdir()
    return run
