"""Types 2-4: the example's sit-down motion in kinematic mode against chairs the test builds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from judge_scenes import chair_mesh, make_case

from hsimul3r_ext.cli import main as hsimul3r
from hsimul3r_ext.stability import judge, load_judge_config

# The example's seated skin rests on a 0.441 m seat (examples/raw/sit_chair/chair.obj); a seat top at 0.45 takes the
# weight of the humanoid's pelvis and thigh capsules.
SEAT = 0.45
FAST = ["judge.gravity.seconds=2.0", "judge.interaction.settle_seconds=1.0"]


def _run(tmp_path: Path, objects, mode: str = "kinematic") -> dict:
    case = make_case(tmp_path / "case", objects, motion=True)
    return judge(case, tmp_path / "report", load_judge_config(FAST), mode=mode)


def test_sit_on_a_sturdy_chair_is_type_4(tmp_path: Path) -> None:
    report = _run(tmp_path, [("chair", chair_mesh(SEAT), {"mass_kg": 15.0, "position": np.array([-0.38, 0.0, 0.0])})])
    chair = report["objects"][0]
    assert report["type"] == 4, chair
    assert chair["interaction"]["contact_ratio"] >= 0.5
    assert report["human"]["mpjpe_mm"] < 10.0 and not report["human"]["fell"]
    saved = json.loads((tmp_path / "report" / "report.json").read_text())
    assert saved["type"] == 4 and saved["mode"] == "kinematic"
    assert (tmp_path / "report" / "plots" / "contacts_chair.png").is_file()


def test_chair_moved_away_is_type_3(tmp_path: Path) -> None:
    report = _run(tmp_path, [("chair", chair_mesh(SEAT), {"mass_kg": 15.0, "position": np.array([-0.38, 1.0, 0.0])})])
    assert report["type"] == 3, report["objects"][0]
    assert report["objects"][0]["interaction"]["contact_ratio"] < 0.1


def test_light_chair_kicked_by_the_motion_is_type_2(tmp_path: Path) -> None:
    """A 1.5 kg chair standing where the knees swing forward: sound alone, knocked over by the person."""
    report = _run(tmp_path, [("chair", chair_mesh(SEAT), {"mass_kg": 1.5, "position": np.array([0.25, 0.0, 0.0])})])
    chair = report["objects"][0]
    assert chair["gravity"]["stable"]
    assert report["type"] == 2 and not chair["interaction"]["stable"], chair
    assert chair["interaction"]["tilt_deg"] > 20.0 or chair["interaction"]["displacement_m"] > 0.1


def test_pd_mode_reports_assist_effort(tmp_path: Path) -> None:
    report = _run(
        tmp_path, [("chair", chair_mesh(SEAT), {"mass_kg": 15.0, "position": np.array([-0.38, 0.0, 0.0])})], "pd"
    )
    human = report["human"]
    assert 0.0 < human["assist_effort"] <= 1.0 and human["mpjpe_mm"] < 200.0
    assert report["type"] in (2, 3, 4)


def test_cli_batch_summary(tmp_path: Path) -> None:
    case = make_case(tmp_path / "case", [("chair", chair_mesh(SEAT), {"position": np.array([-0.38, 0.0, 0.0])})], True)
    code = hsimul3r(["judge", str(case), str(tmp_path / "missing"), "-o", str(tmp_path / "batch"), "--gravity-only",
                     "--jobs", "2", "judge.gravity.seconds=1.0"])  # fmt: skip
    assert code == 0
    summary = json.loads((tmp_path / "batch" / "summary.json").read_text())
    assert summary["shares"]["error"] == 0.5 and (tmp_path / "batch" / "case" / "report.json").is_file()
