"""RSL-RL PPO settings of the G1's HSI tasks (see `robot_ppo_cfg`)."""

from isaaclab.utils import configclass

from ...robot_ppo_cfg import RobotPPORunnerCfg


@configclass
class TrackPPORunnerCfg(RobotPPORunnerCfg):
    experiment_name = "hsi_track_g1"


@configclass
class SitPPORunnerCfg(RobotPPORunnerCfg):
    experiment_name = "hsi_sit_g1"


@configclass
class LiePPORunnerCfg(RobotPPORunnerCfg):
    experiment_name = "hsi_lie_g1"


@configclass
class LeanPPORunnerCfg(RobotPPORunnerCfg):
    experiment_name = "hsi_lean_g1"
