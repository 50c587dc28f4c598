"""Train an HSI task with RSL-RL: Isaac Lab's unified trainer, with this extension's tasks registered.

    python -m hsimul3r_ext.tasks.train --task HSI-Sit --device cpu --num_envs 64   (= scripts/train.py)

Every argument, preset (`physics=newton_mjwarp`) and Hydra override (`env.*`, `agent.*`) passes through
unchanged; `isaaclab train --rl_library rsl_rl --task HSI-Sit ...` is the same run. Two conveniences:
the library defaults to rsl_rl, and with `--device` but no `agent.device=...` the agent runs on the
simulation's device (RSL-RL's own default is cuda:0, which a CPU-only machine does not have).
Checkpoints land in `logs/rsl_rl/<experiment>/<date-time>/` under the working directory.
"""

from __future__ import annotations

import sys

from .cli_args import rsl_rl_argv


def main(argv: list[str] | None = None) -> int:
    from isaaclab_rl.entrypoints import run_train_cli

    from . import hsi  # noqa: F401  (registers the HSI gym ids)

    return run_train_cli(rsl_rl_argv(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
