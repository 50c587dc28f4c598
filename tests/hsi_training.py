"""HSI-Sit training and playback through `scripts/train.py` / `scripts/play.py` in child processes (shared by tests).

Children start with SIGINT at its default whatever the test run inherited: a background job (`make test &`,
`nohup`, a job runner) runs with SIGINT ignored, its children inherit that, and a player that ignores Ctrl+C
plays until the test's timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def default_sigint() -> None:
    """`preexec_fn` of the test's children: Ctrl+C at its default (Python's `restore_signals` leaves SIGINT alone)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def ignore_sigint() -> None:
    """`preexec_fn` that starts a child as a background job's child starts: with SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def train_hsi_sit(
    work: Path, case: Path, num_envs: int, iterations: int = 2, extra: Sequence[str] = (), timeout_s: float = 600
) -> Path:
    """Train on `case` with `work` as the working directory; returns the run folder under logs/."""
    command = [
        sys.executable, str(REPO / "scripts" / "train.py"), "--task", "HSI-Sit", "--device", "cpu",
        "--num_envs", str(num_envs), "--max_iterations", str(iterations), f"env.cases=[{case}]", *extra,
    ]  # fmt: skip
    result = subprocess.run(
        command, cwd=work, capture_output=True, text=True, timeout=timeout_s, preexec_fn=default_sigint
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (run,) = (work / "logs" / "rsl_rl" / "hsi_sit").iterdir()
    return run


PLAYBACK_RUNNING = "Policy playback is running"
"""What Isaac Lab's player prints once it has exported the policy and plays until Ctrl+C."""


def play_then_stop(
    command: list[str],
    cwd: Path,
    log: Path,
    timeout_s: float = 600,
    *,
    stop_within_s: float | None = None,
    sigint_ignored: bool = False,
) -> str:
    """Run a player until its playback runs, stop it with Ctrl+C as a user does, return its whole output.

    The output goes to `log`, not a pipe: a pipe nobody reads fills up and blocks the player. `stop_within_s`
    bounds the wait after Ctrl+C (default: until `timeout_s`); `sigint_ignored` starts the player with SIGINT
    ignored, as a background job's child (it must stop all the same)."""
    deadline = time.monotonic() + timeout_s
    preexec = ignore_sigint if sigint_ignored else default_sigint
    with log.open("w") as out:
        play = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, preexec_fn=preexec)
        try:
            while PLAYBACK_RUNNING not in log.read_text() and play.poll() is None and time.monotonic() < deadline:
                time.sleep(0.5)
            play.send_signal(signal.SIGINT)
            remaining = max(1.0, deadline - time.monotonic())
            play.wait(timeout=remaining if stop_within_s is None else min(stop_within_s, remaining))
        finally:
            if play.poll() is None:
                os.kill(play.pid, signal.SIGKILL)
                play.wait()
    output = log.read_text()
    assert play.returncode == 0, output[-3000:]
    return output
