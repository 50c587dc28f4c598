"""The batched contact distance (E envs x K keypoints x M posed objects) against brute force and known cases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh
from scipy.spatial.transform import Rotation

from hsimul3r_ext.kernels.contact_distance import BatchedContactDistance

SIT_CHAIR = Path(__file__).resolve().parents[1] / "examples" / "sit_chair"
BOX_HALF = np.array([0.2, 0.15, 0.1])
SPHERE_RADIUS = 0.25


def identity_quat(*shape: int) -> torch.Tensor:
    quat = torch.zeros(*shape, 4)
    quat[..., 3] = 1.0
    return quat


def test_matches_brute_force_over_all_triangles_of_posed_objects() -> None:
    rng = np.random.default_rng(0)
    num_envs, num_points = 3, 20
    box, sphere = trimesh.creation.box(2 * BOX_HALF), trimesh.creation.icosphere(subdivisions=2, radius=SPHERE_RADIUS)
    # poses as Isaac Lab hands them out: slices of one (E, M, 7) root-pose tensor, so not contiguous
    pose = np.zeros((num_envs, 2, 7))
    pose[:, 0, :3] = [-0.4, 0.0, 0.0] + rng.uniform(-0.05, 0.05, (num_envs, 3))
    pose[:, 1, :3] = [0.4, 0.0, 0.0] + rng.uniform(-0.05, 0.05, (num_envs, 3))
    pose[:, :, 3:] = Rotation.random(2 * num_envs, random_state=1).as_quat().reshape(num_envs, 2, 4)  # xyzw
    around = np.where(np.arange(num_points) < num_points // 2, 0, 1)  # half the points near each object
    points = pose[:, around, :3] + rng.uniform(-0.3, 0.3, (num_envs, num_points, 3))

    pose_t = torch.tensor(pose, dtype=torch.float32)
    points_t = torch.tensor(points, dtype=torch.float32).transpose(0, 1).contiguous().transpose(0, 1)
    assert not (pose_t[..., :3].is_contiguous() or points_t.is_contiguous())
    field = BatchedContactDistance([(box.vertices, box.faces), (sphere.vertices, sphere.faces)])
    distance, closest, index = (t.numpy() for t in field.query(points_t, pose_t[..., :3], pose_t[..., 3:]))

    for env in range(num_envs):
        rotations = [Rotation.from_quat(pose[env, m, 3:]) for m in range(2)]
        posed = [rotations[m].apply(mesh.vertices) + pose[env, m, :3] for m, mesh in enumerate((box, sphere))]
        for k, point in enumerate(points[env]):
            nearest = []
            for m, (vertices, mesh) in enumerate(zip(posed, (box, sphere), strict=True)):
                triangles = vertices[mesh.faces]
                candidates = trimesh.triangles.closest_point(triangles, np.tile(point, (len(triangles), 1)))
                gaps = np.linalg.norm(candidates - point, axis=1)
                nearest.append((gaps.min(), candidates[gaps.argmin()], m))
            gap, surface, m = min(nearest, key=lambda item: item[0])
            local = rotations[m].inv().apply(point - pose[env, m, :3])
            if m == 0:  # analytic box
                inside = bool((np.abs(local) < BOX_HALF).all())
            else:  # the icosphere is convex: inside every face plane
                inside = bool(((sphere.vertices[sphere.faces[:, 0]] - local) * sphere.face_normals).sum(1).min() > 0)
            assert index[env, k] == m
            assert abs(distance[env, k] - (-gap if inside else gap)) < 1e-5
            assert np.linalg.norm(closest[env, k] - surface) < 1e-4
    assert (distance < 0).any() and (distance > 0).any()  # both signs were exercised


def test_quaternions_are_xyzw() -> None:
    # a 1 m long bar along x; in env 1 it is turned 90 deg about z and lies along y
    bar = trimesh.creation.box((1.0, 0.1, 0.1))
    field = BatchedContactDistance([(bar.vertices, bar.faces)])
    points = torch.tensor([[[0.4, 0.0, 0.0]], [[0.4, 0.0, 0.0]]])
    quat = identity_quat(2, 1)
    quat[1, 0] = torch.tensor([0.0, 0.0, math.sin(math.pi / 4), math.cos(math.pi / 4)])
    distance, closest, index = field.query(points, torch.zeros(2, 1, 3), quat)
    assert distance[0, 0].item() == pytest.approx(-0.05, abs=1e-6)  # inside the bar, 5 cm under its side
    assert distance[1, 0].item() == pytest.approx(0.35, abs=1e-6)  # outside the turned bar, 5 cm half-width
    assert torch.allclose(closest[1, 0], torch.tensor([0.05, 0.0, 0.0]), atol=1e-6)
    assert index.tolist() == [[0], [0]]


def test_reward_rises_when_the_pelvis_is_on_the_seat() -> None:
    manifest = json.loads((SIT_CHAIR / "hsi.json").read_text())
    chair = manifest["objects"][0]
    mesh = trimesh.load(SIT_CHAIR / chair["mesh"], force="mesh", process=False)
    seat_top = np.array([0.05, 0.0, 0.441])  # middle of the bundled chair's seat, in its own frame
    assert np.isclose(mesh.vertices[:, 2], seat_top[2]).sum() >= 4, "the bundled chair's seat top moved"
    to_world = Rotation.from_quat(chair["orientation_xyzw"])
    position = np.asarray(chair["position"])
    on_seat = to_world.apply(seat_top) + position
    above = to_world.apply(seat_top + [0.0, 0.0, 0.10]) + position

    field = BatchedContactDistance([(mesh.vertices, mesh.faces)])
    pelvis = torch.tensor(np.array([[above], [on_seat]]), dtype=torch.float32)  # env 0 hovers, env 1 sits
    object_pos = torch.tensor(position, dtype=torch.float32).expand(2, 1, 3)
    object_quat = torch.tensor(chair["orientation_xyzw"], dtype=torch.float32).expand(2, 1, 4)
    distance, closest, _ = field.query(pelvis, object_pos, object_quat)
    assert distance[0, 0].item() == pytest.approx(0.10, abs=1e-5)
    assert abs(distance[1, 0].item()) < 1e-5
    assert np.linalg.norm(closest[0, 0].numpy() - on_seat) < 1e-5
    sigma = 0.1
    reward = torch.exp(-distance.abs() / sigma)
    assert reward[1, 0] > reward[0, 0]


def test_points_beyond_max_distance_and_bad_inputs() -> None:
    box = trimesh.creation.box(2 * BOX_HALF)
    field = BatchedContactDistance([(box.vertices, box.faces)])
    points = torch.tensor([[[5.0, 0.0, 0.0], [0.3, 0.0, 0.0]]])  # 4.8 m and 0.1 m from the box
    distance, closest, index = field.query(points, torch.zeros(1, 1, 3), identity_quat(1, 1), max_distance=0.05)
    assert distance[0].tolist() == pytest.approx([0.05, 0.05])  # float32
    assert torch.equal(closest, points)
    assert index.tolist() == [[-1, -1]]
    distance, _, index = field.query(points, torch.zeros(1, 1, 3), identity_quat(1, 1))
    assert distance[0].tolist() == pytest.approx([1.0, 0.1], abs=1e-6)
    assert index.tolist() == [[-1, 0]]

    with pytest.raises(ValueError, match="points is on meta but the meshes were built on cpu"):
        field.query(points.to("meta"), torch.zeros(1, 1, 3), identity_quat(1, 1))
    with pytest.raises(ValueError, match=r"object_quat must be \(E=1, M=1, 4\), got \(1, 2, 4\)"):
        field.query(points, torch.zeros(1, 1, 3), identity_quat(1, 2))
    with pytest.raises(ValueError, match=r"object_pos must be \(E=1, M=1, 3\), got \(2, 1, 3\)"):
        field.query(points, torch.zeros(2, 1, 3), identity_quat(1, 1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensors_against_cpu_meshes_and_cuda_matches_cpu() -> None:
    box = trimesh.creation.box(2 * BOX_HALF)
    points = torch.rand(4, 8, 3) - 0.5
    pose_pos, pose_quat = torch.zeros(4, 1, 3), identity_quat(4, 1)
    with pytest.raises(ValueError, match="points is on cuda:0 but the meshes were built on cpu"):
        BatchedContactDistance([(box.vertices, box.faces)]).query(points.cuda(), pose_pos.cuda(), pose_quat.cuda())
    on_cpu = BatchedContactDistance([(box.vertices, box.faces)]).query(points, pose_pos, pose_quat)
    on_cuda = BatchedContactDistance([(box.vertices, box.faces)], device="cuda:0").query(
        points.cuda(), pose_pos.cuda(), pose_quat.cuda()
    )
    for expected, got in zip(on_cpu, on_cuda, strict=True):
        assert torch.allclose(expected.to(got.dtype), got.cpu(), atol=1e-6)
