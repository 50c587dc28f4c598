"""Command-line handling shared by `scripts/train.py` and `scripts/play.py` (Isaac Lab's unified RL CLI)."""

from __future__ import annotations


def rsl_rl_argv(argv: list[str]) -> list[str]:
    """`argv` with `--rl_library rsl_rl` and `agent.device=<--device>` unless they are given.

    RSL-RL's agent defaults to cuda:0; following `--device` lets `--device cpu` alone run on a CPU machine.
    """
    argv = list(argv)
    if not any(a == "--rl_library" or a.startswith("--rl_library=") for a in argv):
        argv = ["--rl_library", "rsl_rl", *argv]
    device = option_value(argv, "--device")
    if device and not any(a.startswith("agent.device=") for a in argv):
        argv.append(f"agent.device={device}")
    return argv


def option_value(argv: list[str], name: str) -> str | None:
    """The value of `name VALUE` or `name=VALUE` among command-line arguments."""
    for i, arg in enumerate(argv):
        if arg == name and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None
