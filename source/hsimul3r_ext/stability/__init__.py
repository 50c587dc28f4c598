"""The physics-in-the-loop judge: simulate a converted scene and classify it into the paper's Types 1-4.

`judge(source, out_dir, config)` runs the gravity test (each object alone, Type 1) and the interaction
test (the humanoid performs the motion, Types 2-4) with Newton's MuJoCo solver and writes report.json,
report.md, plots and a USD recording. It judges the case it gets and imports no task code: a policy is judged
by `pipeline.policy_judge`, which rolls it out and hands the judge the refined case.
"""

from .classify import case_type, object_type
from .config import JudgeConfig, load_judge_config
from .gravity import GravityResult, gravity_test
from .interaction import InteractionResult, interaction_test
from .judge import judge, judge_many
from .scene import ConvertedScene, load_converted

__all__ = [
    "ConvertedScene", "GravityResult", "InteractionResult", "JudgeConfig", "case_type", "gravity_test",
    "interaction_test", "judge", "judge_many", "load_converted", "load_judge_config", "object_type",
]  # fmt: skip
