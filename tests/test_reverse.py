"""The reverse stage: objects that fail are regenerated from their observation; others are reported, not touched.

The end-to-end run is the issue's acceptance check: `hsimul3r run examples/sit_chair_missing_leg
reverse.enabled=true` ends Type 4 with a four-legged chair, with the DSRO-fine-tuned generator we ship.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import trimesh

from hsimul3r_ext.cli import main
from hsimul3r_ext.dsro.furniture import sample_furniture
from hsimul3r_ext.dsro.regenerate import load_reverse_config, regenerate_case
from hsimul3r_ext.hsi.case_io import load_case, object_world_mesh
from hsimul3r_ext.hsi.errors import CaseError

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FAST = ["reverse.candidates=3"]  # the judge and the alignment at their defaults: the verdict is the acceptance check's


def _without_observation(case: Path, folder: Path) -> Path:
    shutil.copytree(case, folder)
    manifest = json.loads((folder / "hsi.json").read_text())
    for obj in manifest["objects"]:
        obj.pop("observation", None)
    (folder / "hsi.json").write_text(json.dumps(manifest))
    shutil.rmtree(folder / "observations")
    return folder


def test_objects_that_pass_or_have_no_observation_are_reported_not_regenerated(tmp_path: Path) -> None:
    config = load_reverse_config(["reverse.enabled=true"])
    passing = regenerate_case(
        EXAMPLES / "sit_chair_clean", {"objects": [{"name": "chair", "type": 4}]}, tmp_path / "a", config
    )
    assert passing["objects"]["chair"] == {"regenerated": False, "reason": "not regenerated: Type 4"}
    assert passing["regenerated"] == [] and passing["picture"] is None
    blind = _without_observation(EXAMPLES / "sit_chair_missing_leg", tmp_path / "blind")
    failing = regenerate_case(blind, {"objects": [{"name": "chair", "type": 1}]}, tmp_path / "b", config)
    assert failing["objects"]["chair"] == {"regenerated": False, "reason": "not regenerated: no observation"}
    refined = load_case(tmp_path / "b" / "refined_case")
    assert refined.object("chair").mesh == load_case(blind).object("chair").mesh


def test_bad_reverse_settings_name_the_setting() -> None:
    with pytest.raises(CaseError, match=r"reverse\.candidates"):
        load_reverse_config(["reverse.candidates=0"])
    with pytest.raises(CaseError, match=r"reverse\.generator"):
        load_reverse_config(["reverse.enabled=true", "reverse.generator=/no/such/generator.pt"])


def test_missing_leg_chair_is_regenerated_with_four_legs_and_ends_type_4(tmp_path: Path) -> None:
    out = tmp_path / "run"
    code = main(["run", str(EXAMPLES / "sit_chair_missing_leg"), "-o", str(out), "reverse.enabled=true", *FAST])
    assert code == 0
    run = json.loads((out / "run.json").read_text())
    assert run["verdict"]["after"]["objects"]["chair"] == 1  # alignment cannot grow a leg
    assert run["verdict"]["reverse"]["type"] == 4
    record = next(s["record"] for s in run["stages"] if s["stage"] == "reverse")
    chair = record["reverse"]["objects"]["chair"]
    assert chair["regenerated"] and chair["candidates"][chair["kept"]]["verdict"]["type"] == 4
    kept = chair["candidates"][chair["kept"]]
    case = out / "reverse" / "refined_case"
    assert (out / "reverse" / "candidates.png").stat().st_size > 1000
    assert "after reverse pass" in (out / "report.md").read_text()
    assert kept["verdict"]["gravity_stable"]
    chair_mesh = object_world_mesh(load_case(case).object("chair"), case)
    assert load_case(case).object("chair").mesh.endswith("_generated.obj")
    assert legs_of(chair_mesh) == 4

    # the robot at the end sits on the regenerated chair, not on the aligned three-legged one
    robot_options = ["robot.enabled=true", "robot.baseline=false", "robot.judge=false"]
    code = main(
        ["run", str(EXAMPLES / "sit_chair_missing_leg"), "-o", str(out), "reverse.enabled=true", *FAST, *robot_options]
    )
    assert code == 0
    run = json.loads((out / "run.json").read_text())
    assert {s["stage"]: s["status"] for s in run["stages"]}["reverse"] == "reused"
    robot = next(s["record"] for s in run["stages"] if s["stage"] == "robot")
    assert robot["source"] == "reverse" and Path(robot["scene"]) == (out / "reverse" / "converted").resolve()


def legs_of(mesh: trimesh.Trimesh, height_m: float = 0.05) -> int:
    """Legs the object stands on: the closed outlines a horizontal cut `height_m` above its lowest point meets.

    A cut, not the floor contact: a generated leg a centimetre short is still a leg (the judge rules on its wobble).
    """
    lowest = mesh.vertices[:, 2].min()
    cut = mesh.section(plane_origin=[0.0, 0.0, lowest + height_m], plane_normal=[0.0, 0.0, 1.0])
    return 0 if cut is None else len(cut.discrete)


def test_legs_are_counted_by_a_cut_above_the_floor() -> None:
    _, shape = sample_furniture(np.random.default_rng(2), "chair")
    assert legs_of(shape.mesh()[0]) == 4
    assert legs_of(shape.without({"leg_front_left"}).mesh()[0]) == 3
    short = shape.parts["leg_back_right"]
    short.centre[2] += 0.0075  # 1.5 cm shorter, the top unchanged: a wobble, still a leg
    short.size[2] -= 0.015
    assert legs_of(shape.mesh()[0]) == 4
    bundled = load_case(EXAMPLES / "sit_chair_missing_leg")
    assert legs_of(object_world_mesh(bundled.object("chair"), EXAMPLES / "sit_chair_missing_leg")) == 3
