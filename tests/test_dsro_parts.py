"""The shipped generator's pieces: box-part latents, procedural furniture, its training views, the condition
crop, placement of a generated object in a case, fidelity to an observation, LoRA and the weights file."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import trimesh

from hsimul3r_ext.dsro.condition import CHANNELS, CROP_PIXELS, SCALARS, condition_arrays
from hsimul3r_ext.dsro.dataset import make_example
from hsimul3r_ext.dsro.furniture import CATEGORIES, sample_furniture
from hsimul3r_ext.dsro.generator import load_generator
from hsimul3r_ext.dsro.lora import merge_lora
from hsimul3r_ext.dsro.parts import LATENT_SIZE, SLOTS, THIN_SLOTS, PartShape
from hsimul3r_ext.dsro.parts_generator import NetworkSize, PartsFlowGenerator
from hsimul3r_ext.dsro.placement import SCALE_LIMITS, place
from hsimul3r_ext.dsro.regenerate import observation_iou
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.hsi.observation import Observation, PinholeCamera
from hsimul3r_ext.kernels.raycast import look_at, render

TINY = NetworkSize(width=32, blocks=1, condition_width=32)


@pytest.mark.parametrize("category", CATEGORIES)
def test_furniture_stands_on_the_floor_centred_and_survives_the_latent(category: str) -> None:
    rng = np.random.default_rng(3)
    for _ in range(5):
        _, shape = sample_furniture(rng, category)
        mesh, owners = shape.mesh(frame="object")
        assert abs(mesh.bounds[0, 2]) < 1e-9  # on the floor
        assert np.allclose((mesh.bounds[0, :2] + mesh.bounds[1, :2]) / 2, 0.0, atol=0.02)  # footprint centred
        assert set(owners) == {SLOTS.index(name) for name in shape.parts}
        back = PartShape.from_latent(shape.latent())
        assert back.parts.keys() == shape.parts.keys()
        for name, part in shape.parts.items():
            assert np.allclose(back.parts[name].centre, part.centre) and np.allclose(back.parts[name].size, part.size)
        assert shape.latent().shape == (LATENT_SIZE,)


def test_generator_frame_turns_the_object_by_its_yaw() -> None:
    _, shape = sample_furniture(np.random.default_rng(0), "table")
    turned = PartShape(shape.parts, np.pi / 2)
    object_frame, _ = turned.mesh(frame="object")
    generator_frame, _ = turned.mesh()
    assert np.allclose(generator_frame.extents[[1, 0, 2]], object_frame.extents, atol=1e-9)


def test_hidden_thin_parts_are_missing_from_the_target_at_the_drop_rate() -> None:
    seen_hidden = 0
    for seed in range(30):
        always = make_example(
            np.random.default_rng(seed), drop_rate=1.0, categories=("chair", "stool"), person_rate=1.0
        )
        never = make_example(np.random.default_rng(seed), drop_rate=0.0, categories=("chair", "stool"), person_rate=1.0)
        assert set(always.hidden) <= set(THIN_SLOTS)
        assert set(always.target.parts) == set(always.truth.parts) - set(always.hidden)
        assert set(never.target.parts) == set(never.truth.parts)
        assert always.dropped == bool(always.hidden)
        seen_hidden += bool(always.hidden)
    assert seen_hidden >= 10  # a seated or standing person hides legs often


def test_condition_crop_and_its_errors() -> None:
    example = make_example(np.random.default_rng(4))
    image, scalars = condition_arrays(example.observation)
    assert image.shape == (CHANNELS, CROP_PIXELS, CROP_PIXELS) and scalars.shape == (SCALARS,)
    assert image[0].sum() > 20  # the object's mask fills part of the crop
    empty = Observation(example.observation.camera, np.zeros_like(example.observation.mask), example.observation.depth)
    with pytest.raises(CaseError, match="mask"):
        condition_arrays(empty, "obs")


def _camera(target: np.ndarray) -> PinholeCamera:
    return PinholeCamera(150.0, 150.0, 80.0, 60.0, 160, 120, look_at(target + [2.2, 1.2, 1.0], target))


def test_placement_turns_scales_and_centres_on_the_observed_object() -> None:
    _, shape = sample_furniture(np.random.default_rng(1), "chair")
    reference_shape = PartShape(shape.parts, 0.0)
    reference, _ = reference_shape.mesh(frame="object")
    reference.apply_scale(1.1)
    reference.apply_transform(trimesh.transformations.rotation_matrix(0.4, [0, 0, 1]))
    reference.apply_translation([1.0, -2.0, 0.0])
    camera = _camera(np.array([1.0, -2.0, 0.4]))
    seen_as = PartShape(shape.parts, 0.4 - camera.heading_rad())  # the object as the generator sees it
    placement = place(seen_as.mesh()[0], camera, reference)
    world = placement.world_mesh()
    assert placement.scale == pytest.approx(1.1, rel=1e-3) and not placement.scale_clipped
    assert np.allclose(world.bounds, reference.bounds, atol=1e-3)
    depth, face = render(reference.vertices, reference.faces, camera)
    observation = Observation(camera, face >= 0, np.where(face >= 0, depth, 0.0))
    assert observation_iou(world, observation) > 0.99
    tiny = reference.copy().apply_scale(0.2)
    clipped = place(seen_as.mesh()[0], camera, tiny)
    assert clipped.scale == pytest.approx(SCALE_LIMITS[0]) and clipped.scale_clipped


def test_lora_starts_at_the_base_model_and_folds_back() -> None:
    torch.manual_seed(0)
    model = PartsFlowGenerator(TINY)
    x, t, c = torch.randn(3, LATENT_SIZE), torch.rand(3), torch.randn(3, TINY.condition_width)
    before = model.velocity(x, t, c)
    model.prepare_finetuning(4)
    assert torch.allclose(model.velocity(x, t, c), before, atol=1e-6)
    assert all(p.requires_grad for p in model.trainable_parameters())
    assert not any(p.requires_grad for p in model.encoder.parameters())
    with torch.no_grad():
        for p in model.trainable_parameters():
            p.add_(0.05 * torch.randn_like(p))
    adapted = model.velocity(x, t, c)
    plain = copy.deepcopy(model)
    merge_lora(plain.flow)
    assert torch.allclose(plain.velocity(x, t, c), adapted, atol=1e-5)


def test_weights_file_round_trip_and_bad_files(tmp_path) -> None:
    torch.manual_seed(1)
    model = PartsFlowGenerator(TINY).eval()
    model.save(tmp_path / "g.pt", note="test")
    loaded = load_generator(tmp_path / "g.pt")
    x, t, c = torch.randn(2, LATENT_SIZE), torch.rand(2), torch.randn(2, TINY.condition_width)
    assert torch.allclose(loaded.velocity(x, t, c), model.velocity(x, t, c), atol=2e-2)  # stored in half precision
    assert loaded.metadata["note"] == "test"
    (tmp_path / "bad.pt").write_bytes(b"not a torch file")
    with pytest.raises(CaseError, match="generator"):
        load_generator(tmp_path / "bad.pt")
    torch.save({"format": "something-else"}, tmp_path / "other.pt")
    with pytest.raises(CaseError, match="format"):
        load_generator(tmp_path / "other.pt")
