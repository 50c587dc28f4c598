"""Retargeting speed: frames per second of the IK with the scene terms and of plain IK (the GMR-like
baseline) on the bundled sit / lie / lean examples, and their ratio, measured in the same run.

Each example is converted once; the two IKs run `REPEATS` times each, alternately, and each one's best
time counts (other load on the machine only slows a run down). Run with
`python benchmarks/bench_retarget.py [--robot g1|h1]`.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

from hsimul3r_ext.cli import main as hsimul3r
from hsimul3r_ext.retarget.human import human_motion
from hsimul3r_ext.retarget.ik import DEFAULT_SETTINGS, IKSettings, retarget_motion
from hsimul3r_ext.retarget.robot_model import load_robot
from hsimul3r_ext.retarget.scene_model import retarget_scene
from hsimul3r_ext.stability.scene import load_converted

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CASES = ("sit_chair", "sit_armchair", "lie_sofa", "lean_table")
REPEATS = 7


def best_seconds(robot, scene, human, settings: list[IKSettings]) -> list[float]:
    best = [float("inf")] * len(settings)
    for _ in range(REPEATS):
        for index, one in enumerate(settings):
            best[index] = min(best[index], retarget_motion(robot, scene, human, one, progress=False).seconds)
    return best


def run(robot_name: str) -> None:
    robot = load_robot(robot_name)
    plain_settings = dataclasses.replace(DEFAULT_SETTINGS, scene_terms=False)
    with tempfile.TemporaryDirectory() as tmp:
        for case in CASES:
            folder = Path(tmp) / case
            hsimul3r(["convert", str(EXAMPLES / case), "-o", str(folder)])
            converted = load_converted(folder)
            human, scene = human_motion(converted), retarget_scene(robot, converted)
            with_scene, plain = best_seconds(robot, scene, human, [DEFAULT_SETTINGS, plain_settings])
            frames = human.num_frames
            print(
                f"{robot.name} {case}: scene terms {frames / with_scene:.0f} frames/s, plain IK {frames / plain:.0f}"
                f" frames/s, ratio {with_scene / plain:.2f}x ({frames} frames)"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--robot", default="g1")
    run(parser.parse_args().robot)
