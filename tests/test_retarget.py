"""Retargeting the bundled interactions onto the G1 (and the H1), with the scene terms and against plain IK."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pxr import Usd, UsdGeom

from hsimul3r_ext.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CASES = ("sit_chair", "sit_armchair", "lie_sofa", "lean_table")


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("converted")
    for case in CASES:
        assert main(["convert", str(EXAMPLES / case), "-o", str(root / case)]) == 0
    return {case: root / case for case in CASES}


@pytest.mark.parametrize("case", CASES)
def test_g1_keeps_the_contacts_without_entering_the_furniture(
    case: str, converted: dict[str, Path], tmp_path: Path
) -> None:
    judged = case == "sit_chair"  # the judge's run on the robot costs ~20 s: once is enough here
    command = ["retarget", str(converted[case]), "--robot", "g1", "-o", str(tmp_path / "out")]
    assert main(command if judged else [*command, "--no-judge"]) == 0
    report = json.loads((tmp_path / "out" / "retarget.json").read_text())
    scene, plain = report["scene_terms"], report["plain_ik"]
    assert scene["contact_frames"] > 0
    assert scene["contact_gap_mm"]["mean"] <= 10.0
    assert scene["penetration_objects_mm"]["max"] <= 10.0 and scene["penetration_floor_mm"]["max"] <= 10.0
    assert scene["joint_limit_violations"] == 0
    # plain IK (no scene terms) goes into the furniture: the scene terms take most of it away
    assert plain["penetration_objects_mm"]["max"] > 3 * max(scene["penetration_objects_mm"]["max"], 5.0)
    if plain["contact_gap_mm"]["mean"] > 10.0:  # where plain IK hovers, the scene terms close the gap
        assert scene["contact_gap_mm"]["mean"] < plain["contact_gap_mm"]["mean"] / 2

    with np.load(tmp_path / "out" / "robot_motion.npz") as motion:
        frames = report["frames"]
        assert motion["joint_pos"].shape == (frames, 29) and motion["body_pos_w"].shape == (frames, 30, 3)
        assert str(motion["quat_order"]) == "xyzw"
        assert np.allclose(np.linalg.norm(motion["body_quat_w"], axis=-1), 1.0, atol=1e-5)
        assert list(motion["joint_names"])[:2] == ["left_hip_pitch_joint", "left_hip_roll_joint"]
        # velocities are the positions' derivatives
        steps = np.diff(motion["body_pos_w"], axis=0) * float(motion["fps"])
        mid = 0.5 * (motion["body_lin_vel_w"][1:] + motion["body_lin_vel_w"][:-1])
        assert np.abs(steps - mid).mean() < 0.05
    if judged:  # the robot sits on the real chair, driven along its motion among the dynamic objects
        assert report["judge"]["type"] == 4 and report["judge"]["objects"] == {"chair": 4}
        judge_report = json.loads((tmp_path / "out" / "judge" / "report.json").read_text())
        assert judge_report["human"]["penetration_surface"] == "colliders"
        recording = Usd.Stage.Open(str(tmp_path / "out" / "judge" / "recording.usda"))
        assert not recording.GetCompositionErrors()
    else:
        assert "judge" not in report
    assert (tmp_path / "out" / "retarget.png").stat().st_size > 10_000
    playback = Usd.Stage.Open(str(tmp_path / "out" / "retarget.usda"))
    assert not playback.GetCompositionErrors()  # the robot, human and objects it references all resolve
    assert playback.GetEndTimeCode() == frames - 1
    bounds = UsdGeom.BBoxCache(0, ["default"]).ComputeWorldBound(playback.GetPrimAtPath("/World/Robot"))
    assert 1.2 < bounds.ComputeAlignedRange().GetSize()[2] < 1.4  # the G1 (1.32 m) standing at the start


def test_h1_sits_on_the_chair_and_a_bad_scene_is_one_error(converted: dict[str, Path], tmp_path: Path) -> None:
    command = ["retarget", str(converted["sit_chair"]), "--robot", "h1", "-o", str(tmp_path / "h1"), "--no-judge"]
    assert main(command) == 0
    report = json.loads((tmp_path / "h1" / "retarget.json").read_text())
    assert report["scene_terms"]["penetration_objects_mm"]["max"] <= 10.0
    assert report["scene_terms"]["contact_gap_mm"]["mean"] < report["plain_ik"]["contact_gap_mm"]["mean"]
    assert main(["retarget", str(EXAMPLES / "sit_chair"), "--robot", "g1", "-o", str(tmp_path / "bad")]) == 2
    assert not (tmp_path / "bad").exists()
