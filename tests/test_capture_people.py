"""People trackers' files, written from a synthetic truth in each tool's layout, imported back and compared with
the truth through the relation each tool's frame has to it (a fitted heading and origin, the camera poses)."""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import h5py
import joblib
import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.posed_surface import posed_keypoints
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.ingest.capture.formats.people import (
    write_fourdhumans,
    write_gvhmr,
    write_hsfm,
    write_tram,
    write_videomimic,
    write_wham,
)
from hsimul3r_ext.ingest.capture.model import CameraTrack, Capture, Person
from hsimul3r_ext.ingest.capture.people import PEOPLE_IMPORTERS, detect_people_format
from hsimul3r_ext.ingest.capture.synthetic import CaptureSettings, synthetic_capture
from hsimul3r_ext.ingest.importers.common import MotionImportOptions

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OPTIONS = MotionImportOptions()
SKELETON = 24  # the SMPL joints: SMPL-X's hand poses (dropped by GVHMR) move none of them
CM = 0.01


@pytest.fixture(scope="module")
def one_person() -> Capture:
    return synthetic_capture(EXAMPLES / "sit_chair_clean", CaptureSettings(monocular=True)).truth


@pytest.fixture(scope="module")
def two_people(one_person: Capture) -> Capture:
    """A second person one metre aside, tracked from the sixth image on."""
    first = one_person.people[0]
    later = np.arange(5, len(first.frames))
    motion = first.motion.at_frames(later)
    motion = replace(motion, transl=motion.transl + [0.0, 1.0, 0.0])
    second = Person(person_id="1", motion=motion, frames=first.frames[later], frame_of_reference="capture")
    return replace(one_person, people=[first, second])


def joints(person: Person) -> np.ndarray:
    return posed_keypoints(person.motion).positions[:, :SKELETON]


def in_camera(points: np.ndarray, camera: CameraTrack, frames: np.ndarray) -> np.ndarray:
    poses = np.stack([camera.pose(int(f)) for f in frames])
    return np.einsum("fji,fkj->fki", poses[:, :3, :3], points - poses[:, None, :3, 3])


def fit_heading(source: np.ndarray, target: np.ndarray) -> tuple[Rotation, np.ndarray]:
    """The yaw and translation taking `source` points onto `target` (least squares)."""
    a, b = source.reshape(-1, 3), target.reshape(-1, 3)
    ac, bc = a - a.mean(0), b - b.mean(0)
    yaw = np.arctan2(
        np.sum(ac[:, 0] * bc[:, 1] - ac[:, 1] * bc[:, 0]), np.sum(ac[:, 0] * bc[:, 0] + ac[:, 1] * bc[:, 1])
    )
    rotation = Rotation.from_euler("z", yaw)
    return rotation, b.mean(0) - rotation.apply(a.mean(0))


def by_id(capture: Capture) -> dict[str, Person]:
    return {person.person_id: person for person in capture.people}


def test_fourdhumans_tracks_are_people_in_the_full_image_camera(two_people: Capture, tmp_path: Path) -> None:
    path = write_fourdhumans(two_people, tmp_path, np.random.default_rng(1))
    assert detect_people_format(path) == "4dhumans"
    imported = by_id(PEOPLE_IMPORTERS["4dhumans"](path, OPTIONS))
    assert sorted(imported) == ["0", "1"]
    truth_camera = two_people.cameras["cam0"]
    focal = 5000.0 * 640 / 256  # the 640x480 image padded to 640x640, which PHALP renders at 256 px
    for truth in two_people.people:
        person = imported[truth.person_id]
        assert person.frame_of_reference == "camera:phalp"
        np.testing.assert_array_equal(person.frames, truth.frames)
        conversion = person.provenance["camera_conversion"]
        np.testing.assert_allclose(conversion["intrinsics"], [[focal, 0, 320], [0, focal, 240], [0, 0, 1]])
        seen, expected = joints(person), in_camera(joints(truth), truth_camera, truth.frames)
        relative = (seen - seen[:, :1]) - (expected - expected[:, :1])
        assert np.abs(relative).max() < CM  # the body as seen from the camera
        pixel = seen[:, 0, :2] / seen[:, :1, 2] * focal + [320, 240]
        truth_pixel = np.stack(
            [truth_camera.project(p[0], int(f))[0] for p, f in zip(joints(truth), truth.frames, strict=True)]
        )
        assert np.abs(pixel - truth_pixel).max() < 0.5  # the pelvis where the image has it
        np.testing.assert_allclose(seen[:, 0, 2] / expected[:, 0, 2], focal / 600.0, rtol=1e-4)


def test_gvhmr_person_and_camera_share_its_gravity_world(one_person: Capture, tmp_path: Path) -> None:
    path = write_gvhmr(one_person, tmp_path, np.random.default_rng(2))
    assert detect_people_format(path) == "gvhmr"
    capture = PEOPLE_IMPORTERS["gvhmr"](path, OPTIONS)
    (person,), truth = capture.people, one_person.people[0]
    assert person.frame_of_reference == "gravity" and person.motion.model_type == "smplx"
    np.testing.assert_array_equal(person.frames, truth.frames)
    seen, expected = joints(person), joints(truth)
    rotation, offset = fit_heading(seen, expected)
    assert np.abs(rotation.apply(seen.reshape(-1, 3)) + offset - expected.reshape(-1, 3)).max() < CM
    camera, truth_camera = capture.cameras["gvhmr"], one_person.cameras["cam0"]
    np.testing.assert_allclose(camera.intrinsics, truth_camera.intrinsics, atol=1e-3)
    assert (camera.width, camera.height) == (640, 480)
    moved = rotation.apply(camera.camera_to_world[:, :3, 3]) + offset
    assert np.abs(moved - truth_camera.camera_to_world[:, :3, 3]).max() < CM
    turned = (rotation * Rotation.from_matrix(camera.camera_to_world[:, :3, :3])).as_matrix()
    angles = Rotation.from_matrix(turned @ truth_camera.camera_to_world[:, :3, :3].transpose(0, 2, 1)).magnitude()
    assert np.degrees(angles).max() < 0.1


def test_wham_tracks_land_in_gravity_worlds_with_the_pelvis_fixed(two_people: Capture, tmp_path: Path) -> None:
    path = write_wham(two_people, tmp_path, np.random.default_rng(3))
    assert detect_people_format(path) == "wham"
    imported = by_id(PEOPLE_IMPORTERS["wham"](path, OPTIONS))
    assert sorted(imported) == ["0", "1"]
    written = joblib.load(path)  # our own file
    for truth in two_people.people:
        person = imported[truth.person_id]
        assert person.frame_of_reference == "gravity"
        np.testing.assert_array_equal(person.frames, truth.frames)
        seen, expected = joints(person), joints(truth)
        pelvis = Rotation.from_euler("x", 90, degrees=True).apply(written[int(truth.person_id)]["trans_world"])
        assert np.abs(seen[:, 0] - pelvis).max() < CM  # trans_world is where the pelvis is, turned Z-up
        rotation, offset = fit_heading(seen, expected)
        assert np.abs(rotation.apply(seen.reshape(-1, 3)) + offset - expected.reshape(-1, 3)).max() < CM


def test_tram_people_in_the_camera_and_its_slam_track(two_people: Capture, tmp_path: Path) -> None:
    folder = write_tram(two_people, tmp_path / "tram", np.random.default_rng(4))
    assert detect_people_format(folder) == "tram"
    capture = PEOPLE_IMPORTERS["tram"](folder, OPTIONS)
    truth_camera, camera = two_people.cameras["cam0"], capture.cameras["tram"]
    np.testing.assert_allclose(camera.intrinsics, truth_camera.intrinsics, atol=1e-3)
    relative = np.linalg.inv(camera.camera_to_world[0]) @ camera.camera_to_world
    truth_relative = np.linalg.inv(truth_camera.camera_to_world[0]) @ truth_camera.camera_to_world
    np.testing.assert_allclose(relative, truth_relative, atol=1e-4)
    assert len(capture.people) == 2
    for person in capture.people:
        assert person.frame_of_reference == "camera:tram"
        truth = next(t for t in two_people.people if len(t.frames) == len(person.frames))
        np.testing.assert_array_equal(person.frames, truth.frames)
        poses = np.stack([truth_camera.pose(int(f)) for f in person.frames])
        world = np.einsum("fij,fkj->fki", poses[:, :3, :3], joints(person)) + poses[:, None, :3, 3]
        assert np.abs(world - joints(truth)).max() < CM


def _edit(path: Path, change: Callable[[Any], object]) -> None:
    """Load one of our own files (trusted: written above) by its container, change it, save it back."""
    if path.suffix == ".h5":
        with h5py.File(path, "a") as file:
            change(file)
        return
    if path.suffix == ".pt":
        data = torch.load(path, weights_only=True)
    elif path.suffix == ".npy":
        data = np.load(path, allow_pickle=True).item()
    else:
        data = joblib.load(path)  # reads joblib dumps and plain pickles alike
    change(data)
    if path.suffix == ".pt":
        torch.save(data, path)
    elif path.suffix == ".npy":
        np.save(path, data, allow_pickle=True)
    elif path.name.startswith("hsfm"):
        with path.open("wb") as stream:
            pickle.dump(data, stream)
    else:
        joblib.dump(data, path)


def _replace(file: h5py.File, key: str, value: np.ndarray) -> None:
    del file[key]
    file[key] = value


def _cut_body_pose(frames: dict[str, dict]) -> None:
    for frame in frames.values():
        for smpl in frame["smpl"]:
            smpl["body_pose"] = smpl["body_pose"][:21]


HSFM_PEOPLE, VM_PERSON = "hsfm_people(smplx_params)", "our_pred_humans_smplx_params/0"
# name -> (writer, file in what it wrote, change, the field the error must name)
BROKEN: dict[str, tuple[Callable, str, Callable[[Any], object], str]] = {
    "4dhumans: a frame without camera": (
        write_fourdhumans, "", lambda d: next(iter(d.values())).pop("camera"), ".camera"),
    "4dhumans: body_pose of 21 joints": (write_fourdhumans, "", _cut_body_pose, ".smpl[0].body_pose"),
    "gvhmr: no K_fullimg": (write_gvhmr, "", lambda d: d.pop("K_fullimg"), "K_fullimg"),
    "gvhmr: SMPL's 69-wide body_pose": (
        write_gvhmr, "", lambda d: d["smpl_params_global"].update(body_pose=torch.zeros(35, 69)),
        "smpl_params_global.body_pose"),
    "wham: no trans_world": (write_wham, "", lambda d: d[0].pop("trans_world"), "[0].trans_world"),
    "tram: rotations as axis-angle": (
        write_tram, "hps/hps_track_0.npy", lambda d: d.update(pred_rotmat=np.zeros((35, 72))), "pred_rotmat"),
    "tram: camera without focal": (write_tram, "camera.npy", lambda d: d.pop("img_focal"), "img_focal"),
    "hsfm: no root_transl": (
        write_hsfm, "", lambda d: d[HSFM_PEOPLE][0].pop("root_transl"), f"{HSFM_PEOPLE}[0].root_transl"),
    "hsfm: a mirroring camera": (
        write_hsfm, "", lambda d: d["hsfm_places_cameras"]["cam0"].update(cam2world=np.diag([-1.0, 1, 1, 1])),
        "hsfm_places_cameras[cam0].cam2world"),
    "videomimic: 22 body joints": (
        write_videomimic, "", lambda f: _replace(f, f"{VM_PERSON}/body_pose", np.tile(np.eye(3), (35, 22, 1, 1))),
        f"{VM_PERSON}/body_pose"),
    "videomimic: betas of 16": (
        write_videomimic, "", lambda f: _replace(f, f"{VM_PERSON}/betas", np.zeros((35, 16))), f"{VM_PERSON}/betas"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_broken_field_is_named(case: str, one_person: Capture, tmp_path: Path) -> None:
    writer, inside, change, field = BROKEN[case]
    path = writer(one_person, tmp_path / "out", np.random.default_rng(0))
    _edit(path / inside if inside else path, change)
    with pytest.raises(CaseError) as caught:
        PEOPLE_IMPORTERS[case.split(":")[0]](path, OPTIONS)
    assert caught.value.field.endswith(field)
    assert str(path.name) in caught.value.file or str(path) in caught.value.file


class _RunsACommand:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def _malicious(fmt: str, folder: Path, payload: _RunsACommand) -> Path:
    folder.mkdir(parents=True)
    if fmt == "4dhumans":
        path = folder / "demo_video.pkl"
        joblib.dump({"demo/img/000001.jpg": {"smpl": [payload], "tid": [0]}}, path, compress=3)
    elif fmt == "wham":
        path = folder / "wham_output.pkl"
        joblib.dump({0: {"pose_world": np.zeros((2, 72)), "betas": payload}}, path)
    elif fmt == "hsfm":
        path = folder / "hsfm_output_smplx.pkl"
        with path.open("wb") as stream:
            pickle.dump({"hsfm_places_cameras": {"cam0": payload}}, stream)
    elif fmt == "gvhmr":
        path = folder / "hmr4d_results.pt"
        torch.save({"smpl_params_global": payload}, path)
    else:
        (folder / "hps").mkdir()
        np.save(folder / "hps" / "hps_track_0.npy", {"pred_rotmat": payload}, allow_pickle=True)
        np.save(folder / "camera.npy", {"pred_cam_R": np.eye(3)[None]}, allow_pickle=True)
        path = folder
    return path


@pytest.mark.parametrize("fmt", ["4dhumans", "wham", "gvhmr", "tram", "hsfm"])
def test_a_malicious_pickle_is_refused_and_runs_nothing(fmt: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    path = _malicious(fmt, tmp_path / "files", _RunsACommand(marker))
    with pytest.raises(CaseError):
        PEOPLE_IMPORTERS[fmt](path, OPTIONS)
    assert not marker.exists()


def test_other_files_are_not_taken_for_people(tmp_path: Path) -> None:
    joblib.dump({"poses": np.zeros((3, 72))}, tmp_path / "motion.pkl")
    assert detect_people_format(tmp_path / "motion.pkl") is None
    assert detect_people_format(tmp_path) is None


@pytest.fixture(scope="module")
def seen_by_three() -> Capture:
    """Three fixed cameras on a ring and two people, the second one metre aside."""
    truth = synthetic_capture(EXAMPLES / "sit_chair_clean", CaptureSettings(num_views=3, frame_step=10)).truth
    first = truth.people[0]
    moved = replace(first.motion, transl=first.motion.transl + [0.0, 1.0, 0.0])
    return replace(truth, people=[first, Person(person_id="1", motion=moved, frames=first.frames)])


def in_each_camera(capture: Capture, person: Person, t: int) -> dict[str, np.ndarray]:
    """The person's joints at motion frame `t` in the frame of each of the capture's cameras."""
    points = joints(person)[t]
    frame = int(person.frames[t])
    return {
        name: (points - camera.pose(frame)[:3, 3]) @ camera.pose(frame)[:3, :3]
        for name, camera in capture.cameras.items()
    }


@pytest.mark.parametrize("body_model", ["smplx", "smpl"])
def test_hsfm_people_and_cameras_share_its_world(body_model: str, seen_by_three: Capture, tmp_path: Path) -> None:
    path = write_hsfm(seen_by_three, tmp_path, np.random.default_rng(5), body_model=body_model)
    assert detect_people_format(path) == "hsfm"
    capture = PEOPLE_IMPORTERS["hsfm"](path, OPTIONS)
    assert sorted(capture.cameras) == sorted(seen_by_three.cameras)
    for name, camera in capture.cameras.items():
        np.testing.assert_allclose(camera.intrinsics, seen_by_three.cameras[name].intrinsics, atol=1e-3)
        assert (camera.width, camera.height) == (640, 480)
    imported = by_id(capture)
    assert sorted(imported) == ["0", "1"]
    for truth in seen_by_three.people:
        person = imported[truth.person_id]
        assert person.frame_of_reference == "capture" and person.motion.model_type == body_model
        np.testing.assert_array_equal(person.frames, [0])
        seen, expected = in_each_camera(capture, person, 0), in_each_camera(seen_by_three, truth, 0)
        for name in expected:
            assert np.abs(seen[name] - expected[name]).max() < CM


def test_videomimic_people_and_camera_share_its_gravity_world(two_people: Capture, tmp_path: Path) -> None:
    path = write_videomimic(two_people, tmp_path, np.random.default_rng(6))
    assert detect_people_format(path) == "videomimic"
    capture = PEOPLE_IMPORTERS["videomimic"](path, OPTIONS)
    camera = capture.cameras["videomimic"]
    np.testing.assert_allclose(camera.intrinsics, two_people.cameras["cam0"].intrinsics, atol=1e-3)
    np.testing.assert_array_equal(camera.frames, two_people.cameras["cam0"].frames)
    imported = by_id(capture)
    assert sorted(imported) == ["0", "1"]
    for truth in two_people.people:
        person = imported[truth.person_id]
        assert person.frame_of_reference == "capture"
        np.testing.assert_array_equal(person.frames, truth.frames)
        for t in (0, len(truth.frames) - 1):
            seen, expected = in_each_camera(capture, person, t), in_each_camera(two_people, truth, t)
            assert np.abs(seen["videomimic"] - expected["cam0"]).max() < CM
        seen, expected = joints(person), joints(truth)
        rotation, offset = fit_heading(seen, expected)  # Z up already: a heading and an origin apart
        assert np.abs(rotation.apply(seen.reshape(-1, 3)) + offset - expected.reshape(-1, 3)).max() < CM
