"""Alignment (paper Sec. 3.2): each loss term pushes the right way on tiny scenes, the Warp signed distance
differentiates correctly, the optimiser fixes a sunk and a hovering body, configuration and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
import trimesh

from hsimul3r_ext.align import load_align_config
from hsimul3r_ext.align.losses import contact_loss, ground_loss, non_contact_loss, prior_loss
from hsimul3r_ext.align.metrics import measure_alignment
from hsimul3r_ext.align.optimise import optimise
from hsimul3r_ext.align.problem import AlignmentProblem, ContactPairs, ObjectGeometry
from hsimul3r_ext.body.posed_surface import PosedSurface
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.hsi.smpl_layout import SMPL_JOINT_NAMES
from hsimul3r_ext.kernels.mesh_distance import MeshDistance
from hsimul3r_ext.kernels.torch_distance import signed_distance

PELVIS, HEAD = SMPL_JOINT_NAMES.index("pelvis"), SMPL_JOINT_NAMES.index("head")


def _descent(value: torch.Tensor, variable: torch.Tensor) -> np.ndarray:
    """The direction gradient descent moves `variable`: minus the gradient."""
    (gradient,) = torch.autograd.grad(value, variable)
    return -gradient.numpy()


def test_ground_term_puts_objects_on_the_floor_and_lifts_skin_out_of_it() -> None:
    floating = torch.tensor([0.05], dtype=torch.float64, requires_grad=True)
    sinking = torch.tensor([-0.03], dtype=torch.float64, requires_grad=True)
    skin_low = torch.tensor([-0.02, 0.01], dtype=torch.float64, requires_grad=True)
    no_skin_problem = torch.tensor([0.0], dtype=torch.float64)
    assert _descent(ground_loss(floating, no_skin_problem), floating)[0] < 0  # down
    assert _descent(ground_loss(sinking, no_skin_problem), sinking)[0] > 0  # up
    step = _descent(ground_loss(torch.zeros(0, dtype=torch.float64), skin_low), skin_low)
    assert step[0] > 0 and step[1] == 0  # the frame below the floor goes up, the one above is left alone


def test_non_contact_term_draws_object_and_part_together() -> None:
    object_points = torch.tensor(np.random.default_rng(0).normal([0.5, 0.0, 0.0], 0.05, (50, 3)), requires_grad=True)
    skin = torch.tensor(np.random.default_rng(1).normal(0.0, 0.03, (40, 3)), requires_grad=True)
    parts = torch.zeros(40, dtype=torch.long)
    loss = non_contact_loss(object_points, skin, parts, 1, region_m=1.0).sum()
    object_step, skin_step = (g.numpy() for g in torch.autograd.grad(loss, (object_points, skin)))
    assert -object_step.sum(axis=0)[0] < 0  # the object moves toward the part (-x)
    assert -skin_step.sum(axis=0)[0] > 0  # the part moves toward the object (+x)
    two = non_contact_loss(object_points, torch.cat([skin, skin + 1.0]), torch.cat([parts, parts + 1]), 2, 1.0)
    assert two.shape == (2,) and two[1] > two[0]  # per part; the farther part has the larger term


def test_signed_distance_gradient_is_the_outward_normal_and_matches_finite_differences() -> None:
    box = trimesh.creation.box([0.4, 0.4, 0.2])
    field = MeshDistance(box.vertices, box.faces)
    points = torch.tensor([[0.05, 0.02, 0.08], [0.0, 0.0, 0.3], [0.15, -0.1, 0.0]], requires_grad=True)
    distance = signed_distance(field, points.double())
    (gradient,) = torch.autograd.grad(distance.sum(), points)
    np.testing.assert_allclose(gradient[0].numpy(), [0, 0, 1], atol=1e-5)  # inside, 2 cm under the top face
    np.testing.assert_allclose(gradient[1].numpy(), [0, 0, 1], atol=1e-5)  # above the box
    step = 1e-4
    for k in range(3):
        shifted = points.detach().numpy().copy()
        shifted[2, k] += step
        numeric = (field.query(shifted)[0][2] - field.query(points.detach().numpy())[0][2]) / step
        assert abs(numeric - gradient[2, k].item()) < 1e-2


def test_contact_term_pushes_skin_out_of_the_object_only_when_inside() -> None:
    box = trimesh.creation.box([0.4, 0.4, 0.2])
    field = MeshDistance(box.vertices, box.faces)
    inside = torch.tensor([[0.0, 0.0, 0.08]], dtype=torch.float64, requires_grad=True)
    outside = torch.tensor([[0.0, 0.0, 0.15]], dtype=torch.float64, requires_grad=True)
    step = _descent(contact_loss(signed_distance(field, inside)), inside)
    assert step[0, 2] > 0 and abs(step[0, 0]) < 1e-9  # up, through the nearest (top) face
    loss = contact_loss(signed_distance(field, outside))
    assert float(loss.detach()) == 0.0 and np.all(_descent(loss, outside) == 0)


def test_prior_pulls_back_toward_the_reconstruction() -> None:
    moved = torch.tensor([[0.1, -0.2, 0.0]], dtype=torch.float64, requires_grad=True)
    angle = torch.tensor([0.3], dtype=torch.float64, requires_grad=True)
    loss = prior_loss(moved, angle, torch.zeros(1, dtype=torch.float64), (0.1, 0.2, 0.05))
    step = _descent(loss, moved)
    assert step[0, 0] < 0 and step[0, 1] > 0 and step[0, 2] == 0
    assert _descent(prior_loss(moved, angle, torch.zeros(1, dtype=torch.float64), (0.1, 0.2, 0.05)), angle)[0] < 0


def _seat_scene(skin_offset_z: float, labelled: bool = True, seat_z: float = 0.0) -> AlignmentProblem:
    """A 45 cm box 'seat' on the floor (or `seat_z` off it) and a 'pelvis' patch of skin above (or in) where
    it belongs on the floor, in two frames."""
    seat = trimesh.creation.box([0.5, 0.5, 0.45])
    seat.apply_translation([0, 0, 0.225])  # its own frame has the base centre at the origin, as cases do
    samples, _ = trimesh.sample.sample_surface(seat, 400, seed=0)
    geometry = ObjectGeometry(
        name="seat",
        field=MeshDistance(seat.vertices, seat.faces),
        hull=np.asarray(seat.vertices, dtype=float),
        samples=np.asarray(samples),
        position=np.array([0.3, 0.0, seat_z]),
        orientation=np.array([0.0, 0.0, 0.0, 1.0]),
        on_floor=True,
        static=False,
    )
    rng = np.random.default_rng(2)
    patch = np.column_stack([rng.uniform(0.2, 0.4, 60), rng.uniform(-0.1, 0.1, 60), np.full(60, 0.45)])
    head = patch + [0.0, 0.0, 0.6]
    feet = np.array([[0.8, 0.0, 0.0], [0.8, 0.1, 0.0]])  # standing on the floor beside the seat
    frame = np.vstack([patch, head, feet])
    frame[:, 2] += skin_offset_z
    part = np.array([PELVIS] * 60 + [HEAD] * 60 + [SMPL_JOINT_NAMES.index("left_foot")] * 2)
    surface = PosedSurface(frames=np.arange(2), vertices=np.stack([frame, frame]), faces=np.zeros((0, 3)), part=part)
    rows = np.array([[0, PELVIS, 0], [1, PELVIS, 0]]) if labelled else np.zeros((0, 3), int)
    contacts = ContactPairs(rows[:, 0], rows[:, 1], rows[:, 2], "labels" if labelled else "none")
    return AlignmentProblem(surface, [geometry], contacts)


def test_optimiser_lifts_a_sunk_body_out_of_the_seat_and_keeps_the_seat_on_the_floor() -> None:
    config = load_align_config(["align.steps=120"])
    problem = _seat_scene(-0.03)  # pelvis 3 cm into the seat, feet 3 cm into the floor
    before = measure_alignment(problem.surface, problem.objects, problem.contacts)
    result = optimise(problem, config, progress=False)
    after = measure_alignment(problem.surface, result.objects, problem.contacts, result.human_translation)
    assert before["max_penetration_mm"] == pytest.approx(30.0, abs=1.0)
    assert after["max_penetration_mm"] < 3.0 and after["feet_below_floor_mm"] < 3.0
    assert abs(after["objects"]["seat"]["lowest_point_mm"]) <= 5.0
    assert 0.02 < result.human_translation[2] < 0.04


def test_optimiser_brings_a_hovering_part_onto_its_object() -> None:
    config = load_align_config(["align.steps=150"])
    problem = _seat_scene(+0.05)  # the labelled pelvis hovers 5 cm above the seat (the feet too)
    before = measure_alignment(problem.surface, problem.objects, problem.contacts)
    result = optimise(problem, config, progress=False)
    after = measure_alignment(problem.surface, result.objects, problem.contacts, result.human_translation)
    assert before["mean_contact_distance_mm"] == pytest.approx(50.0, abs=1.0)
    assert after["mean_contact_distance_mm"] <= 1000 * config.contact.touching_m + 2.0
    assert after["max_penetration_mm"] < 3.0


@pytest.mark.parametrize("seat_z", [-0.3, 0.12])
def test_a_floor_object_ends_on_the_floor_however_far_off_it_started(seat_z: float) -> None:
    """Sunk 30 cm is farther than 60 small steps reach: floor objects start on the floor."""
    config = load_align_config(["align.steps=60"])
    problem = _seat_scene(0.0, seat_z=seat_z)
    result = optimise(problem, config, progress=False)
    after = measure_alignment(problem.surface, result.objects, problem.contacts, result.human_translation)
    assert abs(after["objects"]["seat"]["lowest_point_mm"]) <= 2.0
    assert after["max_penetration_mm"] < 3.0


def test_nothing_moves_when_nothing_is_wrong() -> None:
    config = load_align_config(["align.steps=60"])
    problem = _seat_scene(0.003)  # resting 3 mm above the seat: touching by the config's 1 cm
    result = optimise(problem, config, progress=False)
    assert np.linalg.norm(result.human_translation) < 0.005
    assert np.linalg.norm(result.objects[0].position - problem.objects[0].position) < 0.005


def test_overrides_reach_the_config_and_typos_are_errors() -> None:
    config = load_align_config(["align.steps=7", "align.objects.rotation=full", "align.objects.scale=true"])
    assert (config.steps, config.objects.rotation, config.objects.scale) == (7, "full", True)
    with pytest.raises(CaseError, match="stepz"):
        load_align_config(["align.stepz=3"])
    with pytest.raises(CaseError, match=r"align\.objects\.rotation"):
        load_align_config(["align.objects.rotation=sideways"])
    with pytest.raises(CaseError, match=r"align\.weights\.contact"):
        load_align_config(["align.weights.contact=-1.0"])


def test_a_case_without_motion_or_objects_is_refused(tmp_path: Path) -> None:
    from hsimul3r_ext.align import align_case
    from hsimul3r_ext.ingest.importers.meshes import ObjectSpec
    from hsimul3r_ext.ingest.ingest_case import ingest

    box = tmp_path / "box.obj"
    trimesh.creation.box([0.4, 0.4, 0.4]).export(box)
    ingest(tmp_path / "objects_only", objects=[ObjectSpec(box)])
    with pytest.raises(CaseError, match="motion"):
        align_case(tmp_path / "objects_only", tmp_path / "out", load_align_config())
    assert not (tmp_path / "out").exists()
