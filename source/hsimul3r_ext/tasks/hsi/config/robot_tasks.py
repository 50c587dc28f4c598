"""Gym registration of a robot's HSI tasks: HSI-Track-<ROBOT>, HSI-Sit-<ROBOT>, HSI-Lie-<ROBOT>, HSI-Lean-<ROBOT>
and their `-Play` variants, from a robot config package's `env_cfg` and `agents` modules (strings only)."""

import gymnasium as gym

TASKS = ("Track", "Sit", "Lie", "Lean")


def register_robot_tasks(robot: str, package: str) -> None:
    """`package` holds `env_cfg` with `<Task>EnvCfg` / `<Task>EnvCfg_PLAY` classes and `agents.rsl_rl_ppo_cfg` with
    `<Task>PPORunnerCfg` classes."""
    for task in TASKS:
        for suffix, env_cfg in (("", f"{task}EnvCfg"), ("-Play", f"{task}EnvCfg_PLAY")):
            gym.register(
                id=f"HSI-{task}-{robot}{suffix}",
                entry_point="hsimul3r_ext.tasks.hsi.hsi_env:HSIEnv",
                disable_env_checker=True,
                kwargs={
                    "env_cfg_entry_point": f"{package}.env_cfg:{env_cfg}",
                    "rsl_rl_cfg_entry_point": f"{package}.agents.rsl_rl_ppo_cfg:{task}PPORunnerCfg",
                    "default_agent": "rsl_rl",
                },
            )
