"""Gym registration of the HSI tasks for the case's SMPL humanoid: HSI-Track, HSI-Sit, HSI-Lie, HSI-Lean.

Each has a `-Play` variant (few environments, clips from their first frame). Only strings are
registered, so importing this package loads neither Isaac Lab's simulation modules nor the configs.
"""

import gymnasium as gym

from . import agents

_TASKS = {
    "Track": ("HSITrackEnvCfg", "HSIPPORunnerCfg"),
    "Sit": ("HSISitEnvCfg", "HSISitPPORunnerCfg"),
    "Lie": ("HSILieEnvCfg", "HSILiePPORunnerCfg"),
    "Lean": ("HSILeanEnvCfg", "HSILeanPPORunnerCfg"),
}

for _name, (_env_cfg, _agent_cfg) in _TASKS.items():
    for _suffix, _cfg in (("", _env_cfg), ("-Play", f"{_env_cfg}_PLAY")):
        gym.register(
            id=f"HSI-{_name}{_suffix}",
            entry_point="hsimul3r_ext.tasks.hsi.hsi_env:HSIEnv",
            disable_env_checker=True,
            kwargs={
                "env_cfg_entry_point": f"{__name__}.env_cfg:{_cfg}",
                "rsl_rl_cfg_entry_point": f"{agents.__name__}.rsl_rl_ppo_cfg:{_agent_cfg}",
                "default_agent": "rsl_rl",
            },
        )
