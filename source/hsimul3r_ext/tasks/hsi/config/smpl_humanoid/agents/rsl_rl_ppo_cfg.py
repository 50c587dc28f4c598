"""RSL-RL PPO settings of the HSI tasks (MLP actor-critic, as Isaac Lab's humanoid and BeyondMimic use)."""

from isaaclab.utils import configclass
from isaaclab_rl.rsl_rl import RslRlMLPModelCfg, RslRlOnPolicyRunnerCfg, RslRlPpoAlgorithmCfg


@configclass
class HSIPPORunnerCfg(RslRlOnPolicyRunnerCfg):
    """PPO for HSI tracking; the experiment name separates the tasks' log folders."""

    num_steps_per_env = 24
    max_iterations = 10000
    save_interval = 500
    experiment_name = "hsi_track"
    obs_groups = {"actor": ["policy"], "critic": ["policy"]}  # noqa: RUF012 (a configclass field)
    actor = RslRlMLPModelCfg(
        hidden_dims=[512, 256, 128],
        activation="elu",
        obs_normalization=True,
        # 0.3 x the action scale (0.5 rad) = 0.15 rad of exploration noise per joint, BeyondMimic's effective
        # noise; at 1.0 a fresh policy's steps score below zero (episodes of ~7 steps) and PPO first learns to
        # end episodes sooner (measured on HSI-Sit, 16 CPU envs: 8 -> 3.5 steps in 30 iterations)
        distribution_cfg=RslRlMLPModelCfg.GaussianDistributionCfg(init_std=0.3),
    )
    critic = RslRlMLPModelCfg(hidden_dims=[512, 256, 128], activation="elu", obs_normalization=True)
    algorithm = RslRlPpoAlgorithmCfg(
        value_loss_coef=1.0,
        use_clipped_value_loss=True,
        clip_param=0.2,
        entropy_coef=0.005,
        num_learning_epochs=5,
        num_mini_batches=4,
        learning_rate=1.0e-3,
        schedule="adaptive",
        gamma=0.99,
        lam=0.95,
        desired_kl=0.01,
        max_grad_norm=1.0,
    )


@configclass
class HSISitPPORunnerCfg(HSIPPORunnerCfg):
    experiment_name = "hsi_sit"


@configclass
class HSILiePPORunnerCfg(HSIPPORunnerCfg):
    experiment_name = "hsi_lie"


@configclass
class HSILeanPPORunnerCfg(HSIPPORunnerCfg):
    experiment_name = "hsi_lean"
