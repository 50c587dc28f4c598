"""Scene and 2D-evidence importers (DUSt3R npz, HSfM's dump, scene clouds, ViTPose, Grounded-SAM-2) against the
synthetic truth: a bundled case rendered through four cameras (`capture.render`), written in each tool's
layout (`capture.formats.scene`) and read back."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest
import trimesh

from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.ingest.capture.evidence import import_sam2_masks, import_vitpose
from hsimul3r_ext.ingest.capture.formats.scene import (
    tool_frame,
    write_dust3r_npz,
    write_hsfm_dust3r,
    write_sam2_masks,
    write_vitpose,
)
from hsimul3r_ext.ingest.capture.model import Capture, Keypoints2D, Person
from hsimul3r_ext.ingest.capture.render import FLOOR_HALF_SIZE_M, SceneRenderer, add_scene
from hsimul3r_ext.ingest.capture.scene_points import import_dust3r_npz, import_hsfm_dust3r, import_scene_cloud
from hsimul3r_ext.ingest.capture.synthetic import CaptureSettings, synthetic_capture
from hsimul3r_ext.kernels.mesh_distance import MeshDistance

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sit_chair_clean"
SETTINGS = CaptureSettings(num_views=4, width=160, height=120, focal_px=150.0)
IMAGE_SCALE = 0.5
NOISE_M = 0.01


@pytest.fixture(scope="module")
def synthetic():
    capture = synthetic_capture(EXAMPLE, SETTINGS)
    add_scene(capture, IMAGE_SCALE)
    return capture


@pytest.fixture(scope="module")
def true_surfaces(synthetic) -> MeshDistance:
    """Floor and objects, the static surfaces a scene point must lie on."""
    renderer = SceneRenderer(synthetic)
    vertices, faces, ids = renderer.geometry(frame=-1)  # no person at frame -1
    assert set(np.unique(ids)) == {0, 2}
    return MeshDistance(vertices, faces)


@pytest.fixture(scope="module")
def seen_surfaces(synthetic) -> MeshDistance:
    """Floor, objects and the person where the fixed cameras' point maps saw them (frame 0)."""
    vertices, faces, _ = SceneRenderer(synthetic).geometry(frame=0)
    return MeshDistance(vertices, faces)


def _first_hits(origin: np.ndarray, directions: np.ndarray, triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Brute force (Moeller-Trumbore against every triangle): distance along each ray and the face hit first."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    e1, e2 = b - a, c - a
    distances, faces = [], []
    for direction in directions:
        p = np.cross(direction, e2)
        det = np.einsum("ij,ij->i", e1, p)
        s = origin - a
        u = np.einsum("ij,ij->i", s, p) / det
        q = np.cross(s, e1)
        v = q @ direction / det
        t = np.einsum("ij,ij->i", e2, q) / det
        valid = (np.abs(det) > 1e-12) & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        t = np.where(valid, t, np.inf)
        distances.append(t.min())
        faces.append(int(t.argmin()) if np.isfinite(t.min()) else -1)
    return np.array(distances), np.array(faces)


def test_ray_cast_agrees_with_brute_force(synthetic) -> None:
    renderer = SceneRenderer(synthetic)
    camera = synthetic.truth.cameras["cam1"]
    view = renderer.render(camera, 0)
    vertices, faces, face_ids = renderer.geometry(0)
    rng = np.random.default_rng(1)
    rows = np.concatenate([rng.integers(0, SETTINGS.height, 12), *[np.nonzero(view.ids == i)[0][:4] for i in (1, 2)]])
    cols = np.concatenate([rng.integers(0, SETTINGS.width, 12), *[np.nonzero(view.ids == i)[1][:4] for i in (1, 2)]])
    pinhole = view.camera
    local = np.stack(
        [(cols + 0.5 - pinhole.cx) / pinhole.fx, (rows + 0.5 - pinhole.cy) / pinhole.fy, np.ones(len(rows))], 1
    )
    directions = local @ pinhole.camera_to_world[:3, :3].T
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    origin = pinhole.camera_to_world[:3, 3]
    distance, face = _first_hits(origin, directions, vertices[faces])
    hit = face >= 0
    assert hit.sum() >= 8 and set(view.ids[rows, cols]) >= {1, 2}
    expected = origin + distance[hit, None] * directions[hit]
    np.testing.assert_allclose(view.points[rows[hit], cols[hit]], expected, atol=1e-4)
    np.testing.assert_array_equal(view.ids[rows, cols][hit], face_ids[face[hit]])
    assert (view.facing[rows[~hit], cols[~hit]] == 0).all()


def test_id_maps_agree_with_projected_objects(synthetic) -> None:
    """Chair pixels are exactly the chair's projected silhouette, less what the person hides."""
    truth = synthetic.truth
    chair = synthetic.case.objects[0]
    mesh = trimesh.load(synthetic.case.root / chair.mesh, process=False)
    mesh.apply_translation(chair.position)
    ys, xs = np.mgrid[0 : SETTINGS.height, 0 : SETTINGS.width] + 0.5
    centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
    hidden_ids = []
    for name, camera in truth.cameras.items():
        masks = truth.masks[name]
        assert masks.labels == {1: "person:0", 2: "object:chair"}
        ids = masks.ids[-1]  # seated: the person hides part of the chair
        corners, depth = camera.project(np.asarray(mesh.vertices)[mesh.faces], 0)
        assert (depth > 0).all()
        silhouette = np.zeros(len(centres), dtype=bool)
        for a, b, c in corners:
            d1, d2 = b - a, c - a
            det = d1[0] * d2[1] - d1[1] * d2[0]
            if abs(det) < 1e-12:
                continue
            rel = centres - a
            u = (rel[:, 0] * d2[1] - rel[:, 1] * d2[0]) / det
            v = (d1[0] * rel[:, 1] - d1[1] * rel[:, 0]) / det
            silhouette |= (u >= 0) & (v >= 0) & (u + v <= 1)
        silhouette = silhouette.reshape(ids.shape)
        chair_pixels = ids == 2
        assert silhouette.sum() > 200
        assert (chair_pixels & ~silhouette).sum() <= 2  # pixel centres on an edge may go either way
        hidden_ids.append(ids[silhouette & ~chair_pixels])
    hidden_ids = np.concatenate(hidden_ids)
    assert len(hidden_ids) > 20 and (hidden_ids == 1).mean() > 0.99  # what the silhouettes lack, the person hides


def test_scene_points_are_the_static_surfaces(synthetic, true_surfaces) -> None:
    scene = synthetic.truth.scene
    distance, _ = true_surfaces.query(scene.points)
    assert np.abs(distance).max() < 1e-4
    assert len(scene.point_maps) == 4 and scene.point_maps[0].points.shape == (60, 80, 3)
    assert (scene.confidence >= 1).all() and (scene.confidence <= 10).all()
    renderer = SceneRenderer(synthetic)
    cameras = synthetic.truth.cameras
    person_pixels = [
        m.confidence[renderer.render(cameras[m.camera], m.frame, IMAGE_SCALE).ids == 1] for m in scene.point_maps
    ]
    # the point maps hold the person, as a reconstruction network sees them; the scene's points do not
    assert sum(p.size for p in person_pixels) > 100 and all((p > 0).all() for p in person_pixels)
    assert np.abs(scene.points[:, :2]).max() <= FLOOR_HALF_SIZE_M


@pytest.mark.parametrize("layout", ["npz", "hsfm"])
def test_scene_written_then_imported_matches_truth(synthetic, seen_surfaces, tmp_path, layout) -> None:
    truth = synthetic.truth
    rng = np.random.default_rng(7)
    similarity = tool_frame(truth, rng)
    assert 0.3 <= similarity.scale <= 3.0
    if layout == "npz":
        path = tmp_path / "scene.npz"
        write_dust3r_npz(truth, path, similarity, NOISE_M, rng)
        capture = import_dust3r_npz(path)
    else:
        path = tmp_path / "dust3r_reconstruction_results_capture.pkl"
        write_hsfm_dust3r(truth, path, similarity, NOISE_M, rng)
        capture = import_hsfm_dust3r(path)
    assert not capture.metric and list(capture.cameras) == list(truth.cameras)
    for name, camera in capture.cameras.items():
        expected = truth.cameras[name]
        np.testing.assert_allclose(camera.intrinsics, expected.intrinsics, atol=1e-9)
        assert (camera.width, camera.height) == (expected.width, expected.height)
        np.testing.assert_allclose(
            camera.camera_to_world[0], similarity.apply_pose(expected.camera_to_world[0]), atol=1e-6
        )
    np.testing.assert_allclose(capture.cameras["cam0"].camera_to_world[0], np.eye(4), atol=1e-6)
    scene = capture.scene
    assert len(scene.points) == sum(int((m.confidence > 1.5).sum()) for m in truth.scene.point_maps)
    distance, _ = seen_surfaces.query(similarity.inverse().apply(scene.points))
    median = float(np.median(np.abs(distance)))
    assert 0.5 * NOISE_M < median < 0.85 * NOISE_M, median  # |N(0, s)| along the normal: median 0.674 s
    notes = " ".join(capture.provenance[0]["notes"])
    assert "metric: false" in notes and "+0.5 px" in notes
    assert capture.provenance[0]["point_map_to_image"]["cam0"] == [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]


def test_dust3r_npz_focals_and_principal_points(synthetic, tmp_path) -> None:
    rng = np.random.default_rng(3)
    path = tmp_path / "scene.npz"
    write_dust3r_npz(synthetic.truth, path, tool_frame(synthetic.truth, rng), 0.0, rng)
    arrays = dict(np.load(path))
    k = arrays.pop("intrinsics")
    np.savez(path, focals=k[:, 0, 0], pp=k[:, :2, 2], **arrays)
    capture = import_dust3r_npz(path)
    for name, camera in capture.cameras.items():
        np.testing.assert_allclose(camera.intrinsics, synthetic.truth.cameras[name].intrinsics, atol=1e-9)


def test_keypoints_round_trip(synthetic, tmp_path) -> None:
    truth = synthetic.truth
    write_vitpose(truth, tmp_path)
    person = truth.people[0]
    for name in truth.cameras:
        capture = import_vitpose(tmp_path / name, name)
        (imported,) = capture.people
        assert imported.person_id == "1" and imported.motion is None  # the person's mask id
        expected, keypoints = person.keypoints[name], imported.keypoints[name]
        assert keypoints.layout == "coco17"
        np.testing.assert_array_equal(keypoints.frames, expected.frames)
        np.testing.assert_array_equal(keypoints.pixels, expected.pixels)
        np.testing.assert_array_equal(keypoints.confidence, expected.confidence)


def test_wholebody_keypoints_detected_by_count(synthetic, tmp_path) -> None:
    rng = np.random.default_rng(5)
    frames = np.array([0, 4, 9])
    pixels = rng.uniform(0, 100, (3, 133, 2))
    score = rng.uniform(0, 1, (3, 133))
    people = [Person("0", None, frames, keypoints={"cam0": Keypoints2D("coco_wholebody133", frames, pixels, score)})]
    write_vitpose(Capture(fps=10.0, cameras={"cam0": synthetic.truth.cameras["cam0"]}, people=people), tmp_path)
    keypoints = import_vitpose(tmp_path / "cam0", "cam0").people[0].keypoints["cam0"]
    assert keypoints.layout == "coco_wholebody133"
    np.testing.assert_array_equal(keypoints.pixels, pixels)
    np.testing.assert_array_equal(keypoints.frames, frames)


def test_masks_round_trip(synthetic, tmp_path) -> None:
    truth = synthetic.truth
    write_sam2_masks(truth, tmp_path)
    for name, expected in truth.masks.items():
        masks = import_sam2_masks(tmp_path / name, name).masks[name]
        np.testing.assert_array_equal(masks.frames, expected.frames)
        np.testing.assert_array_equal(masks.ids, expected.ids)
        assert masks.labels == {1: "person:1", 2: "object:chair"}
    hsfm = tmp_path / "cam0"
    for folder in ("mask_data", "json_data"):
        os.rename(hsfm / folder, hsfm / f"sam2_{folder}")
    np.testing.assert_array_equal(import_sam2_masks(hsfm, "cam0").masks["cam0"].ids, truth.masks["cam0"].ids)


def test_scene_clouds_are_reference_geometry(synthetic, tmp_path) -> None:
    points = synthetic.truth.scene.points[:500]
    colors = np.tile([[10, 200, 30, 255]], (len(points), 1)).astype(np.uint8)
    scene = trimesh.Scene([trimesh.PointCloud(points, colors=colors), trimesh.creation.cone(0.01, 0.02)])
    scene.export(tmp_path / "scene.glb")
    trimesh.PointCloud(points).export(tmp_path / "scene.ply")
    for name in ("scene.glb", "scene.ply"):
        capture = import_scene_cloud(tmp_path / name)
        np.testing.assert_allclose(capture.scene.points, points, atol=1e-5)
        assert capture.scene.point_maps == [] and not capture.cameras and not capture.metric
    assert (import_scene_cloud(tmp_path / "scene.glb").scene.colors == [10, 200, 30]).all()
    with pytest.raises(CaseError, match="file"):
        import_scene_cloud(tmp_path / "scene.obj")


class _Shell:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_malicious_hsfm_dump_is_refused(tmp_path) -> None:
    path = tmp_path / "dust3r_reconstruction_results_x.pkl"
    path.write_bytes(pickle.dumps({"dust3r_ga_output": {"cam0": {"pts3d": _Shell()}}}))
    with pytest.raises(CaseError) as error:
        import_hsfm_dust3r(path)
    assert error.value.field == "pickle" and "system" in error.value.problem


@pytest.fixture(scope="module")
def written(synthetic, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("written")
    rng = np.random.default_rng(11)
    similarity = tool_frame(synthetic.truth, rng)
    write_dust3r_npz(synthetic.truth, folder / "scene.npz", similarity, NOISE_M, rng)
    write_hsfm_dust3r(synthetic.truth, folder / "dump.pkl", similarity, NOISE_M, rng)
    write_vitpose(synthetic.truth, folder / "vitpose")
    write_sam2_masks(synthetic.truth, folder / "sam2")
    return folder


def _npz(source: Path, target: Path, **changes) -> Path:
    arrays = dict(np.load(source))
    arrays.update(changes)
    np.savez(target, **{k: v for k, v in arrays.items() if v is not None})
    return target


def _break_npz(written: Path, tmp: Path, change: str) -> Path:
    arrays = dict(np.load(written / "scene.npz"))
    pts3d, pose = arrays["pts3d"].copy(), arrays["cam2world"].copy()
    if change == "missing conf":
        return _npz(written / "scene.npz", tmp / "x.npz", conf=None)
    if change == "nan point":
        pts3d[1, 3, 4, 0] = np.nan
        return _npz(written / "scene.npz", tmp / "x.npz", pts3d=pts3d)
    if change == "sheared pose":
        pose[2, 0, 1] += 0.3
        return _npz(written / "scene.npz", tmp / "x.npz", cam2world=pose)
    if change == "no intrinsics":
        return _npz(written / "scene.npz", tmp / "x.npz", intrinsics=None)
    if change == "repeated names":
        return _npz(written / "scene.npz", tmp / "x.npz", names=np.array(["a", "a", "b", "c"]))
    raise AssertionError(change)


@pytest.mark.parametrize(
    ("change", "field"),
    [("missing conf", "conf"), ("nan point", "cam1.pts3d"), ("sheared pose", "cam2.cam2world"),
     ("no intrinsics", "intrinsics"), ("repeated names", "names")],
)  # fmt: skip
def test_broken_npz_names_the_field(written, tmp_path, change, field) -> None:
    with pytest.raises(CaseError) as error:
        import_dust3r_npz(_break_npz(written, tmp_path, change))
    assert error.value.field == field


def test_broken_hsfm_dump_names_the_field(written, tmp_path) -> None:
    with (written / "dump.pkl").open("rb") as stream:
        dump = pickle.load(stream)  # our own file, written above
    del dump["dust3r_ga_output"]["cam3"]["conf"]
    path = tmp_path / "dump.pkl"
    path.write_bytes(pickle.dumps(dump))
    with pytest.raises(CaseError) as error:
        import_hsfm_dust3r(path)
    assert error.value.field == "cam3.conf"


def test_broken_evidence_names_the_field(written, tmp_path) -> None:
    poses = tmp_path / "poses"
    shutil.copytree(written / "vitpose" / "cam0", poses)
    first = sorted(poses.glob("pose_*.json"))[0]
    data = json.loads(first.read_text())
    data["1"]["keypoints"] = data["1"]["keypoints"][:5]
    first.write_text(json.dumps(data))
    with pytest.raises(CaseError) as error:
        import_vitpose(poses, "cam0")
    assert (error.value.field, Path(error.value.file).name) == ("1.keypoints", first.name)
    first.write_text("{not json")
    with pytest.raises(CaseError, match="not readable JSON"):
        import_vitpose(poses, "cam0")

    masks = tmp_path / "masks"
    shutil.copytree(written / "sam2" / "cam1", masks)
    label_file = sorted((masks / "json_data").glob("*.json"))[2]
    info = json.loads(label_file.read_text())
    del info["labels"]["2"]
    label_file.write_text(json.dumps(info))
    with pytest.raises(CaseError) as error:
        import_sam2_masks(masks, "cam1")
    assert error.value.field == "ids" and "[2]" in error.value.problem
    shutil.rmtree(masks / "json_data")
    with pytest.raises(CaseError) as error:
        import_sam2_masks(masks, "cam1")
    assert error.value.field == "mask_data"
