"""HSI task variants for the case's own SMPL humanoid, with the bundled examples as default data."""

from dataclasses import field

from isaaclab.utils import configclass

from ...cases import example_cases
from ...hsi_env_cfg import HSIEnvCfg


@configclass
class HSITrackEnvCfg(HSIEnvCfg):
    """Several cases at once (`env.cases=[...]`); by default the four bundled clean examples."""

    cases: list[str] = field(default_factory=lambda: example_cases("Track"))


@configclass
class HSISitEnvCfg(HSIEnvCfg):
    """Sit down on a chair."""

    cases: list[str] = field(default_factory=lambda: example_cases("Sit"))


@configclass
class HSILieEnvCfg(HSIEnvCfg):
    """Lie down on a sofa."""

    cases: list[str] = field(default_factory=lambda: example_cases("Lie"))


@configclass
class HSILeanEnvCfg(HSIEnvCfg):
    """Lean on a table."""

    cases: list[str] = field(default_factory=lambda: example_cases("Lean"))


@configclass
class HSITrackEnvCfg_PLAY(HSITrackEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


@configclass
class HSISitEnvCfg_PLAY(HSISitEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


@configclass
class HSILieEnvCfg_PLAY(HSILieEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()


@configclass
class HSILeanEnvCfg_PLAY(HSILeanEnvCfg):
    def __post_init__(self):
        super().__post_init__()
        self.play_mode()
