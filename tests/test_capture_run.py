"""A capture folder as users have it (DUSt3R scene, HSfM people, ViTPose, SAM2, a MIDI glb) through
`hsimul3r ingest --capture` and `hsimul3r run`: the case lands in the true metric world, the report has verdicts."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.spatial import cKDTree
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.posed_surface import posed_keypoints
from hsimul3r_ext.cli import main as hsimul3r
from hsimul3r_ext.hsi import load_case
from hsimul3r_ext.hsi.case_io import object_world_mesh
from hsimul3r_ext.ingest.capture.formats.capture_folder import WrittenCapture, write_capture_folder
from hsimul3r_ext.ingest.capture.store import load_evidence
from hsimul3r_ext.ingest.capture.synthetic import CaptureSettings
from hsimul3r_ext.ingest.capture.world import Similarity

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SETTINGS = CaptureSettings(num_views=4, width=320, height=240, focal_px=300.0, frame_step=10)


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WrittenCapture]:
    folder = tmp_path_factory.mktemp("capture") / "sit_chair"
    return folder, write_capture_folder(EXAMPLES / "sit_chair_clean", folder, SETTINGS, point_map_scale=1.0)


@pytest.fixture(scope="module")
def monocular(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, WrittenCapture, Path]:
    """A moving camera: DUSt3R over the video's frames, TRAM's people, ViTPose and SAM2 on the one camera."""
    folder = tmp_path_factory.mktemp("monocular") / "sit_chair"
    settings = CaptureSettings(monocular=True, width=320, height=240, focal_px=300.0, frame_step=10)
    written = write_capture_folder(EXAMPLES / "sit_chair_clean", folder, settings, point_map_scale=1.0)
    out = tmp_path_factory.mktemp("monocular_case") / "case"
    assert hsimul3r(["ingest", "--capture", str(folder), "-o", str(out)]) == 0
    return folder, written, out


@pytest.fixture(scope="module")
def ingested(written: tuple[Path, WrittenCapture], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("ingested") / "case"
    assert hsimul3r(["ingest", "--capture", str(written[0]), "-o", str(out)]) == 0
    return out


def _truth_to_case(written: WrittenCapture, case: Path) -> Similarity:
    """Our world differs from the truth's by a heading and an origin on the floor (and any scale error): the
    similarity that takes the truth's camera centres to the case's."""
    from hsimul3r_ext.ingest.capture.object_fit import similarity_from_pairs

    truth = written.synthetic.truth.cameras
    ours = load_evidence(case / "capture").cameras
    names = sorted(truth)  # every pose of every camera: a moving camera's too
    return similarity_from_pairs(
        np.concatenate([truth[n].camera_to_world[:, :3, 3] for n in names]),
        np.concatenate([ours[n].camera_to_world[:, :3, 3] for n in names]),
    )


def test_the_case_is_in_the_true_metric_gravity_aligned_world(written: tuple[Path, WrittenCapture], ingested: Path):
    _check_world(_truth_to_case(written[1], ingested))


def _check_world(mapping: Similarity) -> None:
    tilt = np.degrees(np.arccos(np.clip(mapping.rotation[2, 2], -1.0, 1.0)))
    assert tilt < 1.0  # the floor normal: the truth's up is the case's up
    assert abs(mapping.scale - 1.0) < 0.02  # the metric scale
    assert abs(mapping.translation[2]) < 0.02  # the floor at z = 0


def test_the_person_and_the_chair_land_where_they_were(written: tuple[Path, WrittenCapture], ingested: Path) -> None:
    _check_person_and_chair(written[1], ingested)


def test_a_monocular_capture_lands_in_the_true_world(monocular: tuple[Path, WrittenCapture, Path]) -> None:
    _, written, case = monocular
    assert len(load_evidence(case / "capture").cameras["cam0"].frames) > 5  # one moving camera
    _check_world(_truth_to_case(written, case))
    _check_person_and_chair(written, case)


def _check_person_and_chair(written: WrittenCapture, case: Path) -> None:
    synthetic = written.synthetic
    mapping = _truth_to_case(written, case)
    scene = load_case(case)
    frames = load_evidence(case / "capture").people[0].frames
    truth_motion = synthetic.truth.people[0].motion
    true_pelvis = posed_keypoints(truth_motion, frames).positions[:, 0]
    pelvis = posed_keypoints(scene.motion).positions[:, 0]
    assert np.linalg.norm(pelvis - mapping.apply(true_pelvis), axis=1).max() < 0.05
    truth_chair = object_world_mesh(synthetic.case.objects[0], synthetic.case.root)
    chair = np.asarray(object_world_mesh(scene.object("chair"), case).vertices)
    expected = mapping.apply(np.asarray(truth_chair.vertices))
    gaps, nearest = cKDTree(expected).query(chair)
    assert gaps.max() < 0.03  # every corner of the placed chair within 3 cm of the true one's
    turn = Rotation.align_vectors(expected[nearest] - expected[nearest].mean(0), chair - chair.mean(0))[0]
    assert turn.magnitude() < np.radians(3.0)


def test_a_capture_folder_runs_to_a_report_with_verdicts(written: tuple[Path, WrittenCapture], tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert hsimul3r(["run", str(written[0]), "-o", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    stages = [entry["stage"] for entry in run["stages"]]
    assert stages[:3] == ["capture", "capture_align", "validate"]
    assert run["verdict"]["before"]["type"] in (1, 2, 3, 4) and run["verdict"]["after"]["type"] in (1, 2, 3, 4)
    report = (out / "report.md").read_text()
    assert "## Capture" in report and "Reprojection error" in report
    align = next(e["record"] for e in run["stages"] if e["stage"] == "capture_align")
    assert (out / "capture_align" / align["picture"]).is_file()
    world = next(e["record"] for e in run["stages"] if e["stage"] == "capture")
    assert (out / "capture" / world["picture"]).is_file() and "capture_world.png" in report
    after = [errors["after"] for errors in align["reprojection_px"]["0"].values()]
    assert np.mean(after) < 5.0  # against the noisy detections (3 px per axis): the noise itself is ~3.8 px


class _RunsCode:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        import os

        return os.system, (f"touch {self.marker}",)


def test_a_capture_with_a_malicious_pickle_is_refused_with_exit_2(
    written: tuple[Path, WrittenCapture], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import pickle
    import shutil

    folder = tmp_path / "capture"
    shutil.copytree(written[0], folder)
    marker = tmp_path / "ran"
    (folder / "hsfm_output_smplx.pkl").write_bytes(pickle.dumps({"hsfm_places_cameras": _RunsCode(marker)}))
    assert hsimul3r(["ingest", "--capture", str(folder), "-o", str(tmp_path / "case")]) == 2
    assert "hsfm_output_smplx.pkl" in capsys.readouterr().err
    assert not marker.exists() and not (tmp_path / "case").exists()


def test_the_scene_points_leave_the_people_out(written: tuple[Path, WrittenCapture]) -> None:
    from hsimul3r_ext.ingest.capture.folder import import_capture
    from hsimul3r_ext.ingest.capture.masks import is_person, labelled

    capture = import_capture(written[0])
    confident = sum(int((m.confidence > 1.5).sum()) for m in capture.scene.point_maps)
    on_people = 0
    for point_map in capture.scene.point_maps:
        on_people += int((labelled(capture, point_map, is_person) & (point_map.confidence > 1.5)).sum())
    assert on_people > 100 and len(capture.scene.points) == confident - on_people


def test_a_capture_yaml_names_sources_laid_out_otherwise(
    written: tuple[Path, WrittenCapture], ingested: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    source, folder = written[0], tmp_path / "capture"
    (folder / "recon").mkdir(parents=True)
    shutil.copy(source / "dust3r_scene.npz", folder / "recon" / "views.npz")
    shutil.copy(source / "hsfm_output_smplx.pkl", folder / "recon" / "humans.pkl")  # a name detection cannot tell
    shutil.copytree(source / "vitpose", folder / "kp")
    shutil.copytree(source / "sam2", folder / "seg")
    shutil.copytree(source / "objects", folder / "gen")
    cameras = sorted(p.name for p in (source / "vitpose").iterdir())
    lines = [
        "scene: {file: recon/views.npz, format: dust3r_npz}",
        "people: [{file: recon/humans.pkl, format: hsfm}]",
        "keypoints: {" + ", ".join(f"{c}: kp/{c}" for c in cameras) + "}",
        "masks: {" + ", ".join(f"{c}: seg/{c}" for c in cameras) + "}",
        "objects: [gen/midi_scene.glb]",
    ]
    (folder / "capture.yaml").write_text("\n".join(lines) + "\n")
    assert hsimul3r(["ingest", "--capture", str(folder), "-o", str(tmp_path / "case")]) == 0
    np.testing.assert_allclose(load_case(tmp_path / "case").motion.transl, load_case(ingested).motion.transl, atol=1e-6)
    (folder / "capture.yaml").write_text("people: [{file: recon/humans.pkl, format: hmr2}]\n")
    assert hsimul3r(["ingest", "--capture", str(folder), "-o", str(tmp_path / "case2")]) == 2
    assert "capture.yaml: people[0].format: expected one of 4dhumans" in capsys.readouterr().err


def test_person_all_writes_one_case_per_person(written: tuple[Path, WrittenCapture], ingested: Path, tmp_path: Path):
    assert hsimul3r(["ingest", "--capture", str(written[0]), "--person", "all", "-o", str(tmp_path / "cases")]) == 0
    assert sorted(p.name for p in (tmp_path / "cases").iterdir() if p.is_dir()) == ["0"]
    np.testing.assert_allclose(load_case(tmp_path / "cases" / "0").motion.transl, load_case(ingested).motion.transl)
    assert (tmp_path / "cases" / "0.capture.png").is_file()
