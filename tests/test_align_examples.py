"""Alignment on the bundled examples: it mends what the injected errors broke, leaves clean cases where
they are, keeps objects on the floor, and cannot mend a chair that lost a leg (still Type 1)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hsimul3r_ext.align import align_case, load_align_config
from hsimul3r_ext.stability.config import load_judge_config
from hsimul3r_ext.stability.judge import judge

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CLEAN = ("sit_chair_clean", "sit_armchair_clean", "lie_sofa_clean", "lean_table_clean")


@pytest.fixture(scope="module")
def aligned_chair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("align") / "sit_chair"
    return out, align_case(EXAMPLES / "sit_chair", out, load_align_config(), progress=False)


def test_chair_example_penetration_and_contact_gaps_are_cut(aligned_chair: tuple[Path, dict]) -> None:
    _, record = aligned_chair
    before, after = record["metrics"]["before"], record["metrics"]["after"]
    assert record["contact_source"] == "labels"
    assert before["mean_penetration_mm"] > 3.0 and before["mean_contact_distance_mm"] > 10.0  # the errors are real
    assert after["mean_penetration_mm"] <= 0.2 * before["mean_penetration_mm"]
    assert after["mean_contact_distance_mm"] <= 0.5 * before["mean_contact_distance_mm"]
    assert after["feet_below_floor_mm"] <= 5.0
    assert all(abs(o["lowest_point_mm"]) <= 5.0 for o in after["objects"].values())


def test_aligned_chair_is_a_valid_case_with_its_record(aligned_chair: tuple[Path, dict]) -> None:
    from hsimul3r_ext.hsi.case_io import load_case

    out, record = aligned_chair
    scene, original = load_case(out), load_case(EXAMPLES / "sit_chair")
    shift = np.asarray(record["moved"]["human"]["translation_m"])
    np.testing.assert_allclose(scene.motion.transl, original.motion.transl + shift, atol=1e-6)
    np.testing.assert_allclose(scene.motion.joints, original.motion.joints + shift, atol=1e-5)
    moved = np.asarray(record["moved"]["objects"]["chair"]["translation_m"])
    np.testing.assert_allclose(scene.objects[0].position, original.objects[0].position + moved, atol=1e-6)
    assert scene.provenance[-1]["step"] == "align"
    assert (out / "align.json").is_file() and (out / "align.png").stat().st_size > 10_000
    assert (out / "align_losses.png").is_file()
    # The observation (a camera in the world frame) stays with the moved chair, its folder copied as it was.
    assert scene.objects[0].observation == original.objects[0].observation == "observations/chair"
    for file in sorted((EXAMPLES / "sit_chair" / "observations" / "chair").iterdir()):
        assert (out / "observations" / "chair" / file.name).read_bytes() == file.read_bytes()


@pytest.mark.parametrize("name", CLEAN)
def test_clean_examples_hardly_move(name: str, tmp_path: Path) -> None:
    record = align_case(EXAMPLES / name, tmp_path / name, load_align_config(["align.metric_frames=30"]))
    assert np.linalg.norm(record["moved"]["human"]["translation_m"]) < 0.01
    for move in record["moved"]["objects"].values():
        assert np.linalg.norm(move["translation_m"]) < 0.01 and move["rotation_deg"] < 1.0
    assert all(abs(o["lowest_point_mm"]) <= 5.0 for o in record["metrics"]["after"]["objects"].values())


@pytest.mark.slow
def test_chair_verdict_after_alignment_is_not_worse(aligned_chair: tuple[Path, dict], tmp_path: Path) -> None:
    out, _ = aligned_chair
    config = load_judge_config()
    before = judge(EXAMPLES / "sit_chair", tmp_path / "before", config)
    after = judge(out, tmp_path / "after", config)
    assert after["type"] >= before["type"]  # Type 1 (falls) is the worst, Type 4 (stable interaction) the best


def test_missing_leg_chair_stays_type_1(tmp_path: Path) -> None:
    aligned = tmp_path / "aligned"
    align_case(EXAMPLES / "sit_chair_missing_leg", aligned, load_align_config(["align.metric_frames=30"]))
    report = judge(aligned, tmp_path / "judged", load_judge_config(), gravity_only=True)
    assert report["type"] == 1
