"""`hsimul3r convert` of a case with a motion: the humanoid joins the scene, its files round-trip."""

from __future__ import annotations

from pathlib import Path

import mujoco
import newton
import numpy as np
import pytest
from pxr import Usd
from synthetic import rotation_angle_deg

from hsimul3r_ext.cli import main
from hsimul3r_ext.hsi import load_case
from hsimul3r_ext.ingest.importers import MotionImportOptions, import_motion

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "raw" / "sit_chair"


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("convert")
    case, out = root / "case", root / "converted"
    assert main(["ingest", "--motion", str(EXAMPLE / "sit_down.npz"), "--object", str(EXAMPLE / "chair.obj"),
                 "category=chair", "-o", str(case)]) == 0  # fmt: skip
    assert main(["convert", str(case), "-o", str(out), f"convert.coacd.cache_dir={root / 'cache'}"]) == 0
    return case, out


def test_scene_holds_the_humanoid_and_plays_the_reference(converted: tuple[Path, Path]) -> None:
    _, out = converted
    stage = Usd.Stage.Open(str(out / "scene.usda"))
    assert stage.GetPrimAtPath("/World/Humanoid/pelvis").IsValid()
    assert (stage.GetStartTimeCode(), stage.GetEndTimeCode()) == (0.0, 103.0)
    ghost = stage.GetPrimAtPath("/World/Humanoid/Reference/pelvis")
    times = ghost.GetAttribute("xformOp:translate").GetTimeSamples()
    assert len(times) == 104
    builder = newton.ModelBuilder()
    builder.add_usd(str(out / "scene.usda"))
    model = builder.finalize(device="cpu")
    assert (model.body_count, model.joint_dof_count) == (25, 69 + 6 + 6)  # humanoid + the dynamic chair
    mj = mujoco.MjModel.from_xml_path(str(out / "scene.xml"))
    assert (mj.nv, mj.nu) == (81, 69)


def test_humanoid_motion_reads_back_as_the_case_motion(converted: tuple[Path, Path]) -> None:
    case, out = converted
    original = load_case(case).motion
    imported = import_motion(out / "humanoid_motion.npz", "beyondmimic", MotionImportOptions()).motion
    assert rotation_angle_deg(imported.body_pose, original.body_pose.astype(np.float64)).max() < 0.05
    np.testing.assert_allclose(imported.joints, original.joints, atol=1e-3)  # the example uses the open model
    assert imported.fps == original.fps


def test_no_humanoid_flag_keeps_objects_only(converted: tuple[Path, Path], tmp_path: Path) -> None:
    case, _ = converted
    assert main(["convert", str(case), "-o", str(tmp_path / "objects_only"), "--no-humanoid"]) == 0
    assert not (tmp_path / "objects_only" / "humanoid.usda").exists()
