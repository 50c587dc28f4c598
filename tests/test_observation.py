"""Per-object observations in the case format (`hsi/observation.py`, `objects[i].observation`) and the depth /
face-id renderer (`kernels/raycast.py`) that makes them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from PIL import Image

from hsimul3r_ext.hsi.case_io import MANIFEST, load_case, save_case, write_case_files
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.hsi.observation import Observation, PinholeCamera, load_observation
from hsimul3r_ext.hsi.scene import HSIScene, SceneObject
from hsimul3r_ext.kernels.raycast import look_at, render

WIDTH, HEIGHT = 8, 6
OBSERVATION = "observations/box"


def small_observation() -> Observation:
    """An 8x6 view: the object in the middle, the left column hidden by something in front."""
    camera = PinholeCamera(6.0, 6.0, 4.0, 3.0, WIDTH, HEIGHT, look_at(np.array([2.0, 1.0, 1.0]), np.zeros(3)))
    mask = np.zeros((HEIGHT, WIDTH), dtype=bool)
    mask[2:5, 2:7] = True
    depth = np.where(mask, np.linspace(2.0, 2.5, WIDTH)[None, :], 0.0)
    occluder = np.zeros_like(mask)
    occluder[:, :2] = True
    image = np.arange(HEIGHT * WIDTH * 3, dtype=np.uint8).reshape(HEIGHT, WIDTH, 3)
    return Observation(camera, mask, depth, occluder, image)


def box_case(folder: Path, observation: str | None = OBSERVATION) -> Path:
    """An object-only case (one box on the floor) written in place, with its observation folder."""
    (folder / "objects").mkdir(parents=True)
    trimesh.creation.box(extents=(0.5, 0.5, 0.5)).apply_translation([0.0, 0.0, 0.25]).export(
        folder / "objects" / "box.obj"
    )
    small_observation().write(folder / OBSERVATION)
    box = SceneObject("box", "objects/box.obj", category="box", observation=observation)
    write_case_files(HSIScene("box_seen", objects=[box], root=folder), folder)
    return folder


def rejection(case: Path) -> CaseError:
    with pytest.raises(CaseError) as caught:
        load_case(case)
    return caught.value


def test_an_observation_round_trips_through_save_and_load(tmp_path: Path) -> None:
    source = box_case(tmp_path / "source")
    scene = load_case(source)
    assert scene.objects[0].observation == OBSERVATION
    out = save_case(scene, tmp_path / "copy")
    files = sorted(p.name for p in (out / OBSERVATION).iterdir())
    assert files == ["camera.json", "depth.npy", "image.png", "mask.png", "occluder_mask.png"]
    assert json.loads((out / MANIFEST).read_text())["objects"][0]["observation"] == OBSERVATION
    assert load_case(out).objects[0].observation == OBSERVATION
    written, copied = small_observation(), load_observation(out / OBSERVATION)
    np.testing.assert_array_equal(copied.mask, written.mask)
    np.testing.assert_array_equal(copied.depth, written.depth.astype(np.float32))
    np.testing.assert_array_equal(copied.occluder, written.occluder)
    np.testing.assert_array_equal(copied.image, written.image)
    np.testing.assert_allclose(copied.camera.camera_to_world, written.camera.camera_to_world)
    assert (copied.camera.fx, copied.camera.width, copied.camera.height) == (6.0, WIDTH, HEIGHT)
    assert (source / OBSERVATION / "mask.png").read_bytes() == (out / OBSERVATION / "mask.png").read_bytes()


def test_an_object_without_an_observation_writes_no_field(tmp_path: Path) -> None:
    case = box_case(tmp_path / "case", observation=None)
    assert "observation" not in json.loads((case / MANIFEST).read_text())["objects"][0]
    assert load_case(case).objects[0].observation is None


def edit_camera(case: Path, **changes: object) -> None:
    path = case / OBSERVATION / "camera.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}))


def test_a_negative_focal_length_names_camera_json_and_fx(tmp_path: Path) -> None:
    case = box_case(tmp_path / "case")
    edit_camera(case, fx=-6.0)
    error = rejection(case)
    assert (Path(error.file), error.field) == (case / OBSERVATION / "camera.json", "fx")


def test_a_camera_pose_that_is_not_a_rotation_names_camera_to_world(tmp_path: Path) -> None:
    case = box_case(tmp_path / "case")
    pose = np.eye(4)
    pose[:3, :3] *= 2.0
    edit_camera(case, camera_to_world=pose.tolist())
    error = rejection(case)
    assert (Path(error.file), error.field) == (case / OBSERVATION / "camera.json", "camera_to_world")
    assert "not a rotation" in error.problem


def test_a_mask_of_another_size_than_the_camera_names_mask_png(tmp_path: Path) -> None:
    case = box_case(tmp_path / "case")
    Image.fromarray(np.full((HEIGHT + 1, WIDTH), 255, dtype=np.uint8)).save(case / OBSERVATION / "mask.png")
    error = rejection(case)
    assert (Path(error.file), error.field) == (case / OBSERVATION / "mask.png", "mask")
    assert f"camera.json says {WIDTH}x{HEIGHT}" in error.problem


@pytest.mark.parametrize(
    ("value", "words"),
    [("observations/nothing_here", "does not exist"), ("objects/box.obj", "is not a folder"),
     ("../elsewhere", "outside the case folder"), (7, "folder relative to the case")],
)  # fmt: skip
def test_a_missing_or_wrong_observation_folder_names_the_manifest_field(
    tmp_path: Path, value: object, words: str
) -> None:
    case = box_case(tmp_path / "case")
    manifest = json.loads((case / MANIFEST).read_text())
    manifest["objects"][0]["observation"] = value
    (case / MANIFEST).write_text(json.dumps(manifest))
    error = rejection(case)
    assert (Path(error.file), error.field) == (case / MANIFEST, "objects[0].observation")
    assert words in error.problem
    assert str(error).startswith(f"{case / MANIFEST}: objects[0].observation: ")


def test_raycast_sees_a_unit_box_from_three_metres() -> None:
    box = trimesh.creation.box(extents=(1.0, 1.0, 1.0))  # centred on the origin: its +x face is at x = 0.5
    camera = PinholeCamera(150.0, 150.0, 80.0, 60.0, 160, 120, look_at(np.array([3.0, 0.0, 0.0]), np.zeros(3)))
    depth, face = render(box.vertices, box.faces, camera)
    assert depth.shape == face.shape == (120, 160)
    assert depth[60, 80] == pytest.approx(2.5, abs=1e-5)
    hit = face >= 0
    assert (depth[hit] > 0).all() and (depth[~hit] == 0).all()
    assert hit.sum() == pytest.approx((150 / 2.5) ** 2, rel=0.05)  # a 1 m square at 2.5 m: ~60 x 60 pixels
    assert not hit[0, 0] and not hit[-1, -1]
    points = camera.world_points(depth, hit)
    np.testing.assert_allclose(points[:, 0], 0.5, atol=1e-5)
    assert np.abs(points[:, 1:]).max() <= 0.5 + 1e-5
    np.testing.assert_allclose(box.face_normals[face[hit]], np.tile([1.0, 0.0, 0.0], (hit.sum(), 1)), atol=1e-9)
