"""A case that came from a capture keeps the capture's cameras and 2D evidence (the case's `capture` folder)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hsimul3r_ext.hsi import CaseError, load_case, save_case
from hsimul3r_ext.ingest.capture.store import load_evidence
from hsimul3r_ext.ingest.capture.synthetic import CaptureSettings, synthetic_capture
from hsimul3r_ext.ingest.importers import ImportedMotion
from hsimul3r_ext.ingest.ingest_case import ingest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def capture_case(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    synthetic = synthetic_capture(EXAMPLES / "sit_chair_clean", CaptureSettings(num_views=3, frame_step=10))
    person = synthetic.truth.people[0]
    out = tmp_path_factory.mktemp("capture") / "case"
    imported = ImportedMotion(person.motion, {"step": "import", "importer": "synthetic"})
    ingest(out, imported=(imported, EXAMPLES / "sit_chair_clean"), capture=(synthetic.truth, person))
    return out, synthetic


def test_the_evidence_round_trips_through_the_case(capture_case: tuple[Path, object]) -> None:
    out, synthetic = capture_case
    scene = load_case(out)
    assert scene.capture == "capture"
    evidence = load_evidence(out / scene.capture)
    person = synthetic.truth.people[0]
    assert set(evidence.cameras) == set(synthetic.truth.cameras) == set(evidence.people[0].keypoints)
    for name, camera in synthetic.truth.cameras.items():
        np.testing.assert_allclose(evidence.cameras[name].camera_to_world, camera.camera_to_world)
        np.testing.assert_allclose(evidence.cameras[name].intrinsics, camera.intrinsics)
        got, want = evidence.people[0].keypoints[name], person.keypoints[name]
        np.testing.assert_allclose(got.pixels, want.pixels, atol=1e-3)
        np.testing.assert_allclose(got.confidence, want.confidence, atol=1e-6)
        assert got.layout == want.layout
    np.testing.assert_array_equal(evidence.people[0].frames, person.frames)
    assert evidence.fps == pytest.approx(synthetic.truth.fps)


def test_saving_the_case_elsewhere_carries_the_capture_folder(
    capture_case: tuple[Path, object], tmp_path: Path
) -> None:
    out, _ = capture_case
    copy = save_case(load_case(out), tmp_path / "copy")
    assert load_evidence(copy / "capture").cameras.keys() == load_evidence(out / "capture").cameras.keys()


def test_a_capture_folder_without_its_manifest_is_named(capture_case: tuple[Path, object], tmp_path: Path) -> None:
    out, _ = capture_case
    broken = save_case(load_case(out), tmp_path / "broken")
    (broken / "capture" / "capture.json").unlink()
    with pytest.raises(CaseError, match=r"hsi\.json: capture: capture/capture\.json is missing"):
        load_case(broken)


def test_broken_evidence_names_the_file_and_field(capture_case: tuple[Path, object], tmp_path: Path) -> None:
    out, _ = capture_case
    broken = save_case(load_case(out), tmp_path / "broken")
    manifest = json.loads((broken / "capture" / "capture.json").read_text())
    manifest["keypoints"][0]["layout"] = "openpose25"
    (broken / "capture" / "capture.json").write_text(json.dumps(manifest))
    with pytest.raises(CaseError, match=r"capture\.json: keypoints\[0\]: unknown layout 'openpose25'"):
        load_evidence(broken / "capture")
