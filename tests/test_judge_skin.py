"""The judge measures penetration on the humanoid's skin, posed by linear blend skinning from the simulated
bodies: on the bundled clean examples it stays a few mm (where the rigid per-body pieces cut 20-190 mm into
the seats), while the armchair whose backrest cuts into the back still shows it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from hsimul3r_ext.assets import convert_case, load_convert_config
from hsimul3r_ext.assets.humanoid_files import HUMANOID_SKIN, humanoid_builder
from hsimul3r_ext.body.model_files import BODY_MODELS_ENV
from hsimul3r_ext.body.posed_surface import posed_surface
from hsimul3r_ext.hsi.case_io import load_case
from hsimul3r_ext.stability import interaction_test, judge, load_converted, load_judge_config
from hsimul3r_ext.stability.interaction import InteractionResult
from hsimul3r_ext.stability.report import RIGID_PIECES, SKIN

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FAST = ["judge.gravity.seconds=2.0", "judge.interaction.settle_seconds=1.0"]
# Kinematic mode records the bodies after each physics step, a few mm off the reference (hands most).
TRACKING_SLACK_M = 0.015


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory):
    """Converted bundled examples by name, with the shipped open body model, each converted once."""
    out, done = tmp_path_factory.mktemp("converted"), {}

    def get(name: str) -> Path:
        if name not in done:
            with pytest.MonkeyPatch.context() as patch:
                patch.delenv(BODY_MODELS_ENV, raising=False)
                convert_case(EXAMPLES / name, out / name, load_convert_config([]), build_humanoid=humanoid_builder())
            done[name] = out / name
        return done[name]

    return get


@pytest.fixture(scope="module")
def chair_run(converted) -> InteractionResult:
    return interaction_test(load_converted(converted("sit_chair_clean")), load_judge_config(FAST), "kinematic")


def test_skin_posed_by_the_reference_bodies_is_the_body_model_surface(converted) -> None:
    """The humanoid's rest frames are the world's at the rest joints, so LBS with the bodies' world poses
    (what kinematic mode imposes) reproduces the body model posed by the case's SMPL motion."""
    humanoid = load_converted(converted("sit_chair_clean")).humanoid
    frames = np.arange(0, len(humanoid.body_pos), 7)
    expected = posed_surface(load_case(EXAMPLES / "sit_chair_clean").motion, frames).vertices
    skin = humanoid.skin.posed(humanoid.body_pos[frames], humanoid.body_quat[frames])
    assert np.linalg.norm(skin - expected, axis=-1).max() < 1e-4


def test_skin_posed_by_the_simulated_bodies_follows_the_motion(converted, chair_run: InteractionResult) -> None:
    humanoid = load_converted(converted("sit_chair_clean")).humanoid
    order = [chair_run.body_names.index(n) for n in humanoid.skin.body_names]
    samples = np.arange(chair_run.motion_samples)
    frames = np.round(chair_run.time[samples] * humanoid.fps).astype(int)
    simulated = chair_run.body_poses[samples][:, order]
    skin = humanoid.skin.posed(simulated[..., :3], simulated[..., 3:])
    gap = np.linalg.norm(skin - posed_surface(load_case(EXAMPLES / "sit_chair_clean").motion, frames).vertices, axis=-1)
    assert gap[0].max() < 1e-3  # the first sample is the reference itself, before any step
    assert gap.max() < TRACKING_SLACK_M


@pytest.mark.parametrize(
    ("name", "low_mm", "high_mm"),
    [
        ("sit_chair_clean", 0.0, 5.0),
        ("lie_sofa_clean", 0.0, 5.0),
        # The judge lifts the armchair 5.3 mm onto the ground (its collision hulls reach below its mesh), and
        # the seated humanoid shoves it ~7 mm: the seat comes up into the thighs.
        ("sit_armchair_clean", 0.0, 15.0),
        ("sit_armchair", 20.0, np.inf),  # the backrest cuts into the back (70 mm on the reference skin)
    ],
)
def test_kinematic_penetration_on_the_skin(converted, name: str, low_mm: float, high_mm: float) -> None:
    result = interaction_test(load_converted(converted(name)), load_judge_config(FAST), "kinematic")
    assert result.human_json()["penetration_surface"] == SKIN
    deepest = max(o.to_json(result.body_names)["max_penetration_mm"] for o in result.objects)
    assert low_mm <= deepest <= high_mm


def test_a_folder_without_the_skin_is_judged_on_the_rigid_pieces_and_says_so(converted, tmp_path: Path) -> None:
    folder = tmp_path / "old_conversion"
    shutil.copytree(converted("sit_chair_clean"), folder)
    (folder / HUMANOID_SKIN).unlink()
    judge(folder, tmp_path / "report", load_judge_config(FAST), mode="kinematic")
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["human"]["penetration_surface"] == RIGID_PIECES
    assert report["objects"][0]["interaction"]["max_penetration_mm"] > 15.0  # the seated pelvis piece in the seat
    assert "rigid per-body visual pieces" in (tmp_path / "report" / "report.md").read_text()
