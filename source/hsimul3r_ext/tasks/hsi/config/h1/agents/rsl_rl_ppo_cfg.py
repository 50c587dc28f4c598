"""RSL-RL PPO settings of the H1's HSI tasks (see `robot_ppo_cfg`)."""

from isaaclab.utils import configclass

from ...robot_ppo_cfg import RobotPPORunnerCfg


@configclass
class TrackPPORunnerCfg(RobotPPORunnerCfg):
    experiment_name = "hsi_track_h1"


@configclass
class SitPPORunnerCfg(RobotPPORunnerCfg):
    experiment_name = "hsi_sit_h1"


@configclass
class LiePPORunnerCfg(RobotPPORunnerCfg):
    experiment_name = "hsi_lie_h1"


@configclass
class LeanPPORunnerCfg(RobotPPORunnerCfg):
    experiment_name = "hsi_lean_h1"
