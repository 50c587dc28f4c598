"""The capture's metric, gravity-aligned world and the generated objects placed in it, against known truth.

Scenes are the bundled examples' furniture arranged in one room, seen by the synthetic capture's cameras:
the floor and the objects' camera-facing surfaces are sampled, given noise (1% of the scene's size) and 5%
stray points, and moved by a random similarity (scale 0.3-3, any rotation, or DUSt3R's first-camera OpenCV
frame) into "capture units"; the fits must undo it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import trimesh
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.posed_surface import posed_keypoints
from hsimul3r_ext.hsi.case_io import load_case, object_world_mesh
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.hsi.observation import PinholeCamera
from hsimul3r_ext.ingest.capture.formats.objects import write_multi_instance_glb, write_single_object_glb
from hsimul3r_ext.ingest.capture.keypoint_layouts import correspondence
from hsimul3r_ext.ingest.capture.model import Capture, MaskTrack, PointMap, SceneGeometry
from hsimul3r_ext.ingest.capture.object_fit import fit_objects, masked_points
from hsimul3r_ext.ingest.capture.objects import import_multi_instance_glb, import_single_object_glb
from hsimul3r_ext.ingest.capture.synthetic import CaptureSettings, synthetic_capture
from hsimul3r_ext.ingest.capture.world import FloorFit, Similarity, fit_floor, metric_scale, world_capture
from hsimul3r_ext.kernels.mesh_distance import MeshDistance
from hsimul3r_ext.kernels.raycast import render

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
# Example furniture arranged in one room: case, yaw (deg) about the object's own centre, shift (m).
ROOM = {
    "chair": ("sit_chair_clean", 0.0, (0.0, 0.0)),
    "table": ("lean_table_clean", 0.0, (0.0, 0.0)),
    "armchair": ("sit_armchair_clean", -90.0, (0.9, 1.6)),
    "sofa": ("lie_sofa_clean", 0.0, (-1.1, 0.0)),
}


@pytest.fixture(scope="module")
def synthetic():
    return synthetic_capture(EXAMPLES / "sit_chair_clean", CaptureSettings(num_views=4, frame_step=6, seed=3))


@pytest.fixture(scope="module")
def room() -> dict[str, trimesh.Trimesh]:
    meshes = {}
    for name, (case_name, yaw, shift) in ROOM.items():
        case = load_case(EXAMPLES / case_name)
        mesh = object_world_mesh(case.objects[0], case.root)
        centre = np.append(mesh.bounds.mean(axis=0)[:2], 0.0)
        turn = Rotation.from_euler("z", yaw, degrees=True)
        mesh.vertices = turn.apply(mesh.vertices - centre) + centre + [*shift, 0.0]
        meshes[name] = mesh
    return meshes


def camera_centres(capture: Capture) -> np.ndarray:
    return np.stack([c.camera_to_world[0, :3, 3] for c in capture.cameras.values()])


def visible_surface(mesh: trimesh.Trimesh, eyes: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """Surface points whose normal faces at least one camera: what the cameras can see of the object."""
    points, faces = trimesh.sample.sample_surface(mesh, count * 3, seed=int(rng.integers(1 << 31)))
    normals = mesh.face_normals[faces]
    facing = np.einsum("nek,nk->ne", eyes[None] - points[:, None], normals) > 0
    return points[facing.any(axis=1)][:count]


def noisy(points: np.ndarray, sigma: float, rng: np.random.Generator, outliers: float = 0.05) -> np.ndarray:
    """Points with Gaussian noise and a share of strays anywhere in their (enlarged) bounding box."""
    moved = points + rng.normal(0.0, sigma, points.shape)
    low, high = points.min(axis=0), points.max(axis=0)
    pad = 0.2 * (high - low)
    strays = rng.uniform(low - pad, high + pad, (int(outliers * len(points)), 3))
    return np.concatenate([moved, strays])


def random_frame(kind: str, rng: np.random.Generator, first_camera: np.ndarray) -> Similarity:
    """World -> capture units: any rotation, glTF's Y up, or the first camera's OpenCV frame; scale 0.3-3."""
    scale = float(np.exp(rng.uniform(np.log(0.3), np.log(3.0))))
    if kind == "opencv":
        rotation = first_camera[:3, :3].T
        return Similarity(scale, rotation, -scale * rotation @ first_camera[:3, 3])
    if kind == "y_up":
        rotation = (
            Rotation.from_euler("y", rng.uniform(0, 360), degrees=True) * Rotation.from_euler("x", -90, degrees=True)
        ).as_matrix()
    else:
        rotation = Rotation.random(random_state=rng).as_matrix()
    return Similarity(scale, rotation, rng.uniform(-2.0, 2.0, 3))


def room_points(room, eyes, rng, per_object: int = 1500) -> tuple[np.ndarray, dict[str, np.ndarray], float]:
    """(floor + objects' visible surfaces, noisy, with strays; each object's own noisy points; noise sigma m)."""
    surfaces = {name: visible_surface(mesh, eyes, per_object, rng) for name, mesh in room.items()}
    floor = np.column_stack([rng.uniform(-3.0, 3.0, (6000, 2)), np.zeros(6000)])
    everything = np.concatenate([floor, *surfaces.values()])
    sigma = 0.01 * float(np.linalg.norm(np.ptp(np.concatenate(list(surfaces.values())), axis=0)))
    return noisy(everything, sigma, rng), {n: noisy(p, sigma, rng) for n, p in surfaces.items()}, sigma


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b / np.linalg.norm(a) / np.linalg.norm(b), -1.0, 1.0))))


def rotation_error_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(Rotation.from_matrix(a @ b.T).magnitude()))


def moved_capture(truth: Capture, frame: Similarity) -> Capture:
    """The truth's cameras and keypoints in capture units (the people's motion left out: a tool's own)."""
    cameras = {
        name: replace(camera, camera_to_world=np.stack([frame.apply_pose(p) for p in camera.camera_to_world]))
        for name, camera in truth.cameras.items()
    }
    return replace(truth, cameras=cameras, metric=False)


@pytest.mark.parametrize("kind", ["opencv", "y_up", "any"])
def test_floor_normal_within_one_degree_in_any_frame(synthetic, room, kind: str) -> None:
    rng = np.random.default_rng({"opencv": 1, "y_up": 2, "any": 3}[kind])
    eyes = camera_centres(synthetic.truth)
    points, _, sigma = room_points(room, eyes, rng)
    frame = random_frame(kind, rng, synthetic.truth.cameras["cam0"].camera_to_world[0])
    truth_up = frame.rotation[:, 2]
    floor = fit_floor(frame.apply(points), rng=np.random.default_rng(0))
    assert angle_deg(floor.normal, truth_up) < 1.0
    assert abs(floor.offset - frame.apply(np.zeros(3)) @ truth_up) < 3 * sigma * frame.scale
    assert floor.rms == pytest.approx(sigma * frame.scale, rel=0.35)  # inlier residual ~ the noise
    cameras = np.stack([frame.apply_pose(c.camera_to_world[0]) for c in synthetic.truth.cameras.values()])
    with_cameras = fit_floor(frame.apply(points), cameras=cameras)
    assert angle_deg(with_cameras.normal, truth_up) < 1.0


def test_floor_needs_points_and_a_one_sided_plane() -> None:
    with pytest.raises(CaseError, match="too few"):
        fit_floor(np.zeros((10, 3)), source="scene.npz")
    rng = np.random.default_rng(0)
    ball = rng.normal(size=(4000, 3))  # a sphere: every plane with support cuts it, tangent ones hold too few
    ball /= np.linalg.norm(ball, axis=1, keepdims=True)
    with pytest.raises(CaseError, match=r"scene\.npz: points: no plane"):
        fit_floor(ball, source="scene.npz")


def test_metric_scale_from_triangulated_keypoints_within_two_percent(synthetic) -> None:
    rng = np.random.default_rng(11)
    for kind in ("opencv", "any"):
        frame = random_frame(kind, rng, synthetic.truth.cameras["cam0"].camera_to_world[0])
        fit = metric_scale(moved_capture(synthetic.truth, frame))
        assert fit.method == "triangulation"
        assert fit.metres_per_unit * frame.scale == pytest.approx(1.0, rel=0.02)
        assert fit.segments == 10 and fit.frames >= 10 and fit.spread < 0.1


def lifted_point_maps(synthetic, frame: Similarity, rng: np.random.Generator, depth_noise_m: float) -> list[PointMap]:
    """Half-resolution point maps of each camera at a few frames: at the keypoint pixels the true keypoint's
    depth (plus noise) along the pixel's ray, elsewhere nothing (confidence 0). In capture units."""
    truth = synthetic.truth
    person = truth.people[0]
    frames = person.frames[::3]
    keypoints = posed_keypoints(person.motion, np.flatnonzero(np.isin(person.frames, frames)))
    detector, body = correspondence(person.keypoints["cam0"].layout, keypoints.names)
    maps = []
    for name, camera in truth.cameras.items():
        pose = camera.camera_to_world[0]
        seen = person.keypoints[name]
        for t, capture_frame in enumerate(frames):
            points = np.full((camera.height // 2, camera.width // 2, 3), np.nan)
            confidence = np.zeros(points.shape[:2])
            row_of = np.flatnonzero(seen.frames == capture_frame)[0]
            for d, b in zip(detector, body, strict=True):
                u, v = seen.pixels[row_of, d] / 2
                if not (0 <= u < points.shape[1] and 0 <= v < points.shape[0]) or seen.confidence[row_of, d] == 0:
                    continue
                col, row = int(u), int(v)
                depth = (keypoints.positions[t, b] - pose[:3, 3]) @ pose[:3, 2] + rng.normal(0.0, depth_noise_m)
                centre = (np.array([col, row]) + 0.5) * 2  # the full-resolution pixel at the cell's centre
                ray = np.append((centre - camera.intrinsics[:2, 2]) / np.diag(camera.intrinsics)[:2], 1.0)
                points[row, col] = frame.apply(pose[:3, :3] @ ray * depth + pose[:3, 3])
                confidence[row, col] = 1.0
            maps.append(PointMap(name, int(capture_frame), points, confidence))
    return maps


def test_metric_scale_from_point_maps_within_two_percent(synthetic) -> None:
    rng = np.random.default_rng(12)
    frame = random_frame("any", rng, synthetic.truth.cameras["cam0"].camera_to_world[0])
    capture = moved_capture(synthetic.truth, frame)
    capture.scene = SceneGeometry(np.zeros((0, 3)), np.zeros(0), lifted_point_maps(synthetic, frame, rng, 0.01))
    fit = metric_scale(capture, method="point_map")
    assert fit.method == "point_map" and fit.segments == 10
    assert fit.metres_per_unit * frame.scale == pytest.approx(1.0, rel=0.02)


def test_metric_scale_needs_a_person_seen_with_both_ends(synthetic) -> None:
    empty = Capture(fps=30.0, cameras=synthetic.truth.cameras)
    with pytest.raises(CaseError, match="people"):
        metric_scale(empty)
    with pytest.raises(CaseError, match="no point map"):
        metric_scale(synthetic.truth, method="point_map")


def test_world_puts_the_floor_at_zero_z_up_in_metres(synthetic, room) -> None:
    rng = np.random.default_rng(21)
    truth = synthetic.truth
    eyes = camera_centres(truth)
    points, _, sigma = room_points(room, eyes, rng)
    frame = random_frame("opencv", rng, truth.cameras["cam0"].camera_to_world[0])
    capture = moved_capture(truth, frame)
    capture.scene = SceneGeometry(frame.apply(points), np.ones(len(points)))
    floor = fit_floor(capture.scene.points, cameras=np.stack([c.camera_to_world[0] for c in capture.cameras.values()]))
    scale = metric_scale(capture)
    world, similarity = world_capture(capture, floor, scale)
    truth_to_world = frame.then(similarity)  # the truth's world -> the recovered world: a turn about Z and a shift
    assert truth_to_world.scale == pytest.approx(1.0, rel=0.02)
    assert angle_deg(truth_to_world.rotation[:, 2], np.array([0.0, 0.0, 1.0])) < 1.0
    assert abs(truth_to_world.translation[2]) < 0.03
    forward = world.cameras["cam0"].camera_to_world[0, :3, 2]
    assert angle_deg(forward[:2], np.array([1.0, 0.0])) < 1e-6  # heading: the first camera looks along +X
    np.testing.assert_allclose(world.cameras["cam0"].camera_to_world[0, :2, 3], 0.0, atol=1e-9)
    heights = np.array([c.camera_to_world[0, 2, 3] for c in world.cameras.values()])
    np.testing.assert_allclose(heights, eyes[:, 2], atol=0.04)
    on_floor = np.abs(world.scene.points[:6000, 2])
    assert np.median(on_floor) < sigma
    assert world.metric and world.provenance[-1]["step"] == "world"
    record = world.provenance[-1]
    assert record["scale"]["segments"] == 10 and record["floor"]["inliers"] >= 5000
    assert record["floor_rms_m"] == pytest.approx(sigma, rel=0.35)
    assert capture.metric is False and capture.scene.points is not world.scene.points  # the input is kept


def test_world_moves_a_person_reconstructed_in_the_capture_frame(synthetic) -> None:
    """A person in the capture frame (the truth turned Y up, shifted) comes back to the truth's pose and skin,
    up to the world's heading and origin: SMPL's transl is re-anchored on the rest pelvis."""
    truth = synthetic.truth
    person = truth.people[0]
    turn = Similarity(1.0, Rotation.from_euler("xz", [-90, 30], degrees=True).as_matrix(), np.array([0.4, 1.3, -0.2]))
    rest_pelvis = posed_keypoints(replace(person.motion, global_orient=person.motion.global_orient * 0,
                                          body_pose=person.motion.body_pose * 0, transl=person.motion.transl * 0),
                                  np.array([0])).positions[0, 0]  # fmt: skip
    in_capture = replace(
        person, motion=replace(person.motion, transl=turn.apply(person.motion.transl + rest_pelvis) - rest_pelvis,
                               global_orient=(Rotation.from_matrix(turn.rotation)
                                              * Rotation.from_rotvec(person.motion.global_orient)).as_rotvec()),
    )  # fmt: skip
    up = turn.rotation[:, 2]
    floor = FloorFit(up, float(turn.translation @ up), 0.0, 100, 0.01, 100)
    cameras = {
        "cam0": replace(truth.cameras["cam0"], camera_to_world=turn.apply_pose(truth.cameras["cam0"].pose(0))[None])
    }
    capture = Capture(fps=truth.fps, cameras=cameras, people=[in_capture], metric=True)
    world, similarity = world_capture(capture, floor, None)
    frames = np.arange(0, person.motion.num_frames, 5)
    expected = turn.then(similarity).apply(posed_keypoints(person.motion, frames).positions)
    np.testing.assert_allclose(posed_keypoints(world.people[0].motion, frames).positions, expected, atol=1e-5)
    recovered = turn.then(similarity)  # truth world -> recovered world: a turn about Z, no tilt, no lift
    assert angle_deg(recovered.rotation[:, 2], np.array([0.0, 0.0, 1.0])) < 1e-6
    assert abs(recovered.translation[2]) < 1e-9


def placement_errors(fit: Similarity, truth: Similarity, vertices: np.ndarray, metres_per_unit: float):
    """(centroid error m, rotation error deg, relative scale error) of a placement against the truth's."""
    centre = vertices.mean(axis=0)
    position = np.linalg.norm(fit.apply(centre) - truth.apply(centre)) * metres_per_unit
    return position, rotation_error_deg(fit.rotation, truth.rotation), fit.scale / truth.scale - 1.0


def test_midi_scene_objects_placed_within_3cm_and_3deg(synthetic, room, tmp_path: Path) -> None:
    rng = np.random.default_rng(31)
    eyes = camera_centres(synthetic.truth)[:2]  # two views: each object seen from one side
    _, observed, sigma = room_points(room, eyes, rng)
    written = write_multi_instance_glb(room, tmp_path / "midi.glb", rng)
    labels = {"chair": "object:chair_0"}
    objects = import_multi_instance_glb(tmp_path / "midi.glb", labels)
    assert sorted(o.name for o in objects) == sorted(room)
    assert {o.name: o.mask_label for o in objects}["chair"] == "object:chair_0"
    assert {o.name: o.mask_label for o in objects}["sofa"] == "object:sofa"
    assert objects[0].provenance["importer"] == "midi_glb" and len(objects[0].provenance["sha256"]) == 64
    frame = random_frame("any", rng, np.eye(4))
    placed = fit_objects(objects, {n: frame.apply(p) for n, p in observed.items()}, shared_frame=True)
    truth = written.inverse().then(frame)  # normalised frame -> capture units
    for obj, result in zip(objects, placed, strict=True):
        position, rotation, scale = placement_errors(result.similarity, truth, obj.mesh.vertices, 1 / frame.scale)
        assert position < 0.03 and rotation < 3.0 and abs(scale) < 0.02, (obj.name, position, rotation, scale)
        assert result.residual / frame.scale < sigma and result.kept_share > 0.85
        np.testing.assert_allclose(result.mesh.vertices, result.similarity.apply(obj.mesh.vertices), atol=1e-9)


@pytest.mark.parametrize("name", ["chair", "sofa"])
def test_single_object_placed_upright_within_3cm_and_3deg(synthetic, room, name: str, tmp_path: Path) -> None:
    rng = np.random.default_rng({"chair": 41, "sofa": 42}[name])
    eyes = camera_centres(synthetic.truth)[:2]
    _, observed, _ = room_points({name: room[name]}, eyes, rng)
    written = write_single_object_glb(room[name], tmp_path / f"{name}.glb", yaw_deg=float(rng.uniform(0, 360)))
    generated = import_single_object_glb(tmp_path / f"{name}.glb", generator="trellis")
    assert generated.name == name and generated.mask_label == f"object:{name}"
    assert np.ptp(generated.mesh.vertices, axis=0).max() == pytest.approx(1.0)
    (placed,) = fit_objects([generated], observed, shared_frame=False, gravity_aligned=True)
    position, rotation, scale = placement_errors(placed.similarity, written.inverse(), generated.mesh.vertices, 1.0)
    assert position < 0.03 and rotation < 3.0 and abs(scale) < 0.02, (position, rotation, scale)


def test_objects_under_their_masks_in_rendered_point_maps(synthetic, room, tmp_path: Path) -> None:
    """Point maps and masks rendered from the room (real occlusion): each object's masked points lie on it,
    and the joint fit on them places the MIDI scene."""
    names = list(room)
    combined = trimesh.util.concatenate([room[n] for n in names])
    owner = np.repeat(np.arange(1, len(names) + 1), [len(room[n].faces) for n in names])
    rng = np.random.default_rng(51)
    frame = random_frame("any", rng, np.eye(4))
    maps, masks = [], {}
    for camera in list(synthetic.truth.cameras.values())[:2]:
        full = camera.pinhole(0)
        half = PinholeCamera(full.fx / 2, full.fy / 2, full.cx / 2, full.cy / 2, full.width // 2, full.height // 2,
                             full.camera_to_world)  # fmt: skip
        depth, _ = render(combined.vertices, combined.faces, half)
        hit = depth > 0
        points = np.full(depth.shape + (3,), np.nan)
        points[hit] = frame.apply(half.world_points(depth, hit))
        maps.append(PointMap(camera.name, 0, points, hit.astype(float)))
        _, faces = render(combined.vertices, combined.faces, full)
        ids = np.where(faces >= 0, owner[np.maximum(faces, 0)], 0)
        masks[camera.name] = MaskTrack(
            camera.name, np.array([0]), ids[None], {i + 1: f"object:{n}" for i, n in enumerate(names)}
        )
    capture = Capture(
        fps=30.0, cameras=synthetic.truth.cameras, scene=SceneGeometry(np.zeros((0, 3)), np.zeros(0), maps), masks=masks
    )
    observed = {}
    for name in names:
        points = masked_points(capture, f"object:{name}")
        distance = np.abs(MeshDistance(room[name].vertices, room[name].faces).query(frame.inverse().apply(points))[0])
        assert len(points) > 100 and np.quantile(distance, 0.95) < 0.02  # edge pixels may read a neighbour
        observed[name] = points
    written = write_multi_instance_glb(room, tmp_path / "midi.glb", rng)
    objects = import_multi_instance_glb(tmp_path / "midi.glb")
    placed = fit_objects(objects, observed, shared_frame=True)
    truth = written.inverse().then(frame)
    for obj, result in zip(objects, placed, strict=True):
        position, rotation, _ = placement_errors(result.similarity, truth, obj.mesh.vertices, 1 / frame.scale)
        assert position < 0.03 and rotation < 3.0, (obj.name, position, rotation)


def test_bad_generated_object_files_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.glb"
    broken.write_bytes(b"glTF not really")
    with pytest.raises(CaseError, match=r"broken\.glb: file"):
        import_multi_instance_glb(broken)
    with pytest.raises(CaseError, match="format"):
        import_single_object_glb(tmp_path / "object.obj")
    cloud = tmp_path / "cloud.glb"
    trimesh.Scene({"points": trimesh.PointCloud(np.random.default_rng(0).normal(size=(50, 3)))}).export(cloud)
    with pytest.raises(CaseError, match=r"cloud\.glb: node 'points'"):
        import_single_object_glb(cloud)
    box = tmp_path / "box.glb"
    trimesh.Scene({"box": trimesh.creation.box()}).export(box)
    with pytest.raises(CaseError, match="labels: no instance node named lamp"):
        import_multi_instance_glb(box, {"lamp": "object:lamp"})
    (generated,) = import_multi_instance_glb(box)
    with pytest.raises(CaseError, match="object box: points: 3 scene points"):
        fit_objects([generated], {"box": np.zeros((3, 3))}, shared_frame=False)
