"""HSI task variants for the Unitree H1, with the bundled examples (retargeted on first use) as default data."""

from dataclasses import field

from isaaclab.utils import configclass

from ...cases import example_cases
from ...robot_env_cfg import HSIRobotEnvCfg

END_EFFECTORS = ["left_ankle_link", "right_ankle_link", "left_elbow_link", "right_elbow_link"]
"""Bodies whose height error ends an episode: ankles and elbows (the H1's elbow link carries its hand)."""


@configclass
class H1EnvCfg(HSIRobotEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.use_robot("h1", END_EFFECTORS)


@configclass
class TrackEnvCfg(H1EnvCfg):
    """Several cases at once (`env.cases=[...]`); by default the four bundled clean examples."""

    cases: list[str] = field(default_factory=lambda: example_cases("Track"))


@configclass
class SitEnvCfg(H1EnvCfg):
    """Sit down on a chair."""

    cases: list[str] = field(default_factory=lambda: example_cases("Sit"))


@configclass
class LieEnvCfg(H1EnvCfg):
    """Lie down on a sofa."""

    cases: list[str] = field(default_factory=lambda: example_cases("Lie"))


@configclass
class LeanEnvCfg(H1EnvCfg):
    """Lean on a table."""

    cases: list[str] = field(default_factory=lambda: example_cases("Lean"))


@configclass
class TrackEnvCfg_PLAY(TrackEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


@configclass
class SitEnvCfg_PLAY(SitEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


@configclass
class LieEnvCfg_PLAY(LieEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


@configclass
class LeanEnvCfg_PLAY(LeanEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()
