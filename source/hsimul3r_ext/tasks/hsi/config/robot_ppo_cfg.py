"""RSL-RL PPO settings shared by the robots' HSI tasks: the HSI settings with BeyondMimic's exploration noise.

The robots' actions are BeyondMimic's (around the default pose, 0.25 x effort / stiffness per unit), where
BeyondMimic starts its Gaussian policy at std 1.0.
"""

from isaaclab.utils import configclass
from isaaclab_rl.rsl_rl import RslRlMLPModelCfg

from .smpl_humanoid.agents.rsl_rl_ppo_cfg import HSIPPORunnerCfg


@configclass
class RobotPPORunnerCfg(HSIPPORunnerCfg):
    actor = RslRlMLPModelCfg(
        hidden_dims=[512, 256, 128],
        activation="elu",
        obs_normalization=True,
        distribution_cfg=RslRlMLPModelCfg.GaussianDistributionCfg(init_std=1.0),
    )
