"""Train an HSI task with RSL-RL (Isaac Lab's unified trainer with this extension's tasks registered).

    python scripts/train.py --task HSI-Sit --device cpu --num_envs 64
    python scripts/train.py --task HSI-Track --device cpu env.cases=[examples/sit_chair_clean,examples/lie_sofa_clean]

Arguments, presets and Hydra overrides pass through unchanged: see `hsimul3r_ext.tasks.train`.
"""

import sys

from hsimul3r_ext.tasks.train import main

if __name__ == "__main__":
    sys.exit(main())
