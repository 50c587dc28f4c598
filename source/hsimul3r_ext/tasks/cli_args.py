"""Command-line defaults shared by `scripts/train.py` and `scripts/play.py` (Isaac Lab's unified RL CLI)."""

from __future__ import annotations


def rsl_rl_argv(argv: list[str]) -> list[str]:
    """`argv` with `--rl_library rsl_rl` and `agent.device=<--device>` unless they are given.

    RSL-RL's agent defaults to cuda:0; following `--device` lets `--device cpu` alone run on a CPU machine.
    """
    argv = list(argv)
    if not any(a == "--rl_library" or a.startswith("--rl_library=") for a in argv):
        argv = ["--rl_library", "rsl_rl", *argv]
    device = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--device"), None)
    device = device or next((a.split("=", 1)[1] for a in argv if a.startswith("--device=")), None)
    if device and not any(a.startswith("agent.device=") for a in argv):
        argv.append(f"agent.device={device}")
    return argv
