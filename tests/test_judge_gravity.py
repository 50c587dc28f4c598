"""Type 1: objects alone on the ground under gravity (real Newton / MuJoCo simulations of converted USDs)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from judge_scenes import chair_mesh, make_case, tilted

from hsimul3r_ext.cli import main as hsimul3r
from hsimul3r_ext.stability import case_type, judge, load_judge_config, object_type


@pytest.fixture(scope="module")
def gravity_report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("gravity")
    objects = [
        ("sound", chair_mesh(), {"category": "chair"}),
        ("cut", chair_mesh(legs=("bl", "br")), {"category": "chair", "position": np.array([2.0, 0.0, 0.0])}),
        (
            "tilted",
            chair_mesh(),
            {"category": "chair", "position": np.array([4.0, 0.0, 0.3]), "orientation": tilted(60)},
        ),
        (
            "box",
            trimesh.creation.box([0.4, 0.3, 0.3], trimesh.transformations.translation_matrix([0, 0, 0.15])),
            {"category": "box", "position": np.array([6.0, 0.0, 0.05])},
        ),
    ]
    case = make_case(root / "case", objects, motion=False)
    config = load_judge_config(["judge.gravity.seconds=4.0"])
    return judge(case, root / "report", config, gravity_only=True) | {"_out": root / "report"}


def _object(report: dict, name: str) -> dict:
    return next(o for o in report["objects"] if o["name"] == name)


def test_sound_chair_and_box_are_stable(gravity_report: dict) -> None:
    for name in ("sound", "box"):
        gravity = _object(gravity_report, name)["gravity"]
        assert gravity["stable"], gravity
        assert gravity["tilt_deg"] < 1.0 and gravity["displacement_m"] < 0.01


def test_cut_and_tilted_chairs_fall(gravity_report: dict) -> None:
    for name in ("cut", "tilted"):
        obj = _object(gravity_report, name)
        assert not obj["gravity"]["stable"] and obj["type"] == 1
        assert obj["gravity"]["tilt_deg"] > 20.0
    assert gravity_report["type"] == 1


def test_floating_box_is_put_on_the_ground_and_reported(gravity_report: dict) -> None:
    assert _object(gravity_report, "box")["gravity"]["ground_shift_m"] == pytest.approx(-0.05, abs=1e-3)


def test_report_files(gravity_report: dict) -> None:
    out: Path = gravity_report["_out"]
    report = json.loads((out / "report.json").read_text())
    assert report["mode"] == "gravity-only" and report["human"] is None
    assert report["thresholds"]["stable"]["max_tilt_deg"] == 20.0
    assert all(o["interaction"] is None for o in report["objects"])
    assert (out / "report.md").read_text().startswith("# Judge report")
    assert (out / "plots" / "gravity.png").stat().st_size > 1000
    from pxr import Usd

    stage = Usd.Stage.Open(str(out / "recording.usda"))
    prim = stage.GetPrimAtPath("/World/Objects/tilted")
    assert prim and prim.GetAttribute("xformOp:translate").GetNumTimeSamples() > 10
    assert stage.GetPrimAtPath("/World/Objects/tilted/visual").GetTypeName() == "Mesh"  # reference resolved


def test_classification_rules() -> None:
    assert object_type(False, True, 1.0, 0.5) == 1
    assert object_type(True, False, 1.0, 0.5) == 2
    assert object_type(True, True, 0.2, 0.5) == 3
    assert object_type(True, True, 0.6, 0.5) == 4
    assert object_type(True, None, None, 0.5) is None
    assert case_type([4, 2, 3]) == 2 and case_type([4, 1, None]) == 1 and case_type([4, None]) is None


def test_cli_bad_input_exits_2_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert hsimul3r(["judge", str(tmp_path), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "neither a converted folder" in err[0]
    assert not (tmp_path / "out").exists()
