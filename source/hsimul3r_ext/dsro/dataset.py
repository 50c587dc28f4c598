"""The shipped generator's training data: procedural furniture seen by a camera, a person hiding part of it.

Each example renders one piece (`furniture.py`) with a person (`occluder.py`) seated on it or standing in
front, from a camera in front of the object (azimuth within 60 deg of its front, 5-35 deg above). The target
imitates what real image-to-3D generators do with what they cannot see: when thin parts (legs, a pedestal
column) are hidden in the observation (< 30% of their projected area visible), then with probability
`drop_rate` every hidden thin part is missing from the target. The true shape is kept beside it, for fidelity.
Each view gets TARGETS_PER_VIEW independent draws of that coin, so the generator learns what real ones do: for
one image, sometimes the leg and sometimes not (one draw per view lets a network memorise each view's coin and
answer every new image one way, which leaves DSRO no winner/loser pairs to learn from).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.spatial import ConvexHull
from scipy.spatial.transform import Rotation

from ..hsi.observation import Observation, PinholeCamera
from ..kernels.raycast import look_at, render
from .condition import condition_arrays
from .furniture import sample_furniture
from .occluder import seated_person, standing_person
from .parts import SLOTS, THIN_SLOTS, PartShape

IMAGE_PIXELS = 128
HIDDEN_BELOW = 0.3  # a thin part is hidden when less than this share of its projected area is visible
TARGETS_PER_VIEW = 4
DROP_RATE = 0.7  # default chance that a view with hidden thin parts yields a target without them
PERSON_RATE = 0.85  # share of views with a person in them
MIN_VISIBLE_PIXELS = 40


@dataclass
class Example:
    category: str
    observation: Observation
    truth: PartShape  # in the generator frame (turned by the object's yaw as the camera sees it)
    target: PartShape  # the truth, or the truth less its hidden thin parts
    hidden: tuple[str, ...]
    dropped: bool


def _person(rng: np.random.Generator, category: str, shape: PartShape, person_rate: float) -> trimesh.Trimesh | None:
    if rng.random() >= person_rate:
        return None
    stature = rng.uniform(1.5, 1.9)
    seat = shape.parts["seat"]
    front_x, half_width = seat.centre[0] + seat.size[0] / 2, seat.size[1] / 2
    if category != "table" and rng.random() < 0.6:
        return seated_person(seat.centre[2] + seat.size[2] / 2, front_x, stature, rng.uniform(-0.5, 0.5) * half_width)
    return standing_person(front_x + rng.uniform(0.15, 0.6), rng.uniform(-0.8, 0.8) * half_width, stature)


def _camera(rng: np.random.Generator, mesh: trimesh.Trimesh) -> PinholeCamera:
    size = float(np.linalg.norm(mesh.extents))
    azimuth, elevation = np.radians(rng.uniform(-60, 60)), np.radians(rng.uniform(5, 35))
    distance = rng.uniform(2.0, 3.2) * max(1.0, size / 1.2)
    target = np.array([0.0, 0.0, mesh.bounds[1, 2] / 2]) + rng.normal(0.0, 0.08, 3)
    eye = target + distance * np.array(
        [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)]
    )
    focal = rng.uniform(110, 170)
    half = IMAGE_PIXELS / 2
    return PinholeCamera(focal, focal, half, half, IMAGE_PIXELS, IMAGE_PIXELS, look_at(eye, target))


def _projected_area(camera: PinholeCamera, corners: np.ndarray) -> float:
    world_to_camera = np.linalg.inv(camera.camera_to_world)
    local = corners @ world_to_camera[:3, :3].T + world_to_camera[:3, 3]
    pixels = np.stack([camera.fx * local[:, 0] / local[:, 2], camera.fy * local[:, 1] / local[:, 2]], axis=1)
    try:
        return float(ConvexHull(pixels).volume)
    except Exception:  # degenerate (a part seen edge-on)
        return 0.0


def make_example(
    rng: np.random.Generator,
    drop_rate: float = DROP_RATE,
    categories: tuple[str, ...] | None = None,
    person_rate: float = PERSON_RATE,
) -> Example:
    """One (observation, target, truth) triple; the object frame is the world frame here. A view that shows
    too little of the object (hidden behind the person, or out of frame) is drawn again."""
    while True:
        example = _draw(rng, drop_rate, categories, person_rate)
        if example.observation.mask.sum() >= MIN_VISIBLE_PIXELS:
            return example


def _draw(
    rng: np.random.Generator, drop_rate: float, categories: tuple[str, ...] | None, person_rate: float
) -> Example:
    category = None if categories is None else categories[int(rng.integers(len(categories)))]
    category, shape = sample_furniture(rng, category)
    mesh, owners = shape.mesh(frame="object")
    person = _person(rng, category, shape, person_rate)
    camera = _camera(rng, mesh)
    scene = mesh if person is None else trimesh.util.concatenate([mesh, person])
    depth, face = render(scene.vertices, scene.faces, camera)
    on_object = (face >= 0) & (face < len(mesh.faces))
    slot = np.where(on_object, owners[np.clip(face, 0, len(owners) - 1)], -1)
    hidden = []
    for name in THIN_SLOTS:
        if name in shape.parts:
            part_mesh, _ = PartShape({name: shape.parts[name]}).mesh(frame="object")
            area = _projected_area(camera, part_mesh.vertices)
            if (slot == SLOTS.index(name)).sum() < HIDDEN_BELOW * area:
                hidden.append(name)
    occluder = (face >= len(mesh.faces)) if person is not None else None
    observation = Observation(camera, on_object, np.where(on_object, depth, 0.0), occluder)
    yaw = -camera.heading_rad()  # the object (yaw 0 in the world) as the generator frame sees it
    truth = PartShape(shape.parts, yaw)
    dropped = bool(hidden) and rng.random() < drop_rate
    target = truth.without(set(hidden)) if dropped else truth
    return Example(category, observation, truth, target, tuple(hidden), dropped)


def to_object_frame(mesh: trimesh.Trimesh, yaw_rad: float) -> trimesh.Trimesh:
    """A generator-frame mesh turned back by the object's yaw."""
    turn = np.eye(4)
    turn[:3, :3] = Rotation.from_euler("z", -yaw_rad).as_matrix()
    return mesh.copy().apply_transform(turn)


def make_arrays(seed: int, count: int, drop_rate: float = DROP_RATE) -> dict[str, np.ndarray]:
    """`count` views as arrays: images, scalars, TARGETS_PER_VIEW target latents and the true latent each,
    hidden counts and dropped flags (per target)."""
    rng = np.random.default_rng(seed)
    images, scalars, targets, truths, hidden, dropped, categories = [], [], [], [], [], [], []
    for _ in range(count):
        example = make_example(rng, drop_rate)
        image, values = condition_arrays(example.observation)
        images.append(image)
        scalars.append(values)
        draws = [bool(example.hidden) and rng.random() < drop_rate for _ in range(TARGETS_PER_VIEW)]
        draws[0] = example.dropped
        targets.append([(example.truth.without(set(example.hidden)) if d else example.truth).latent() for d in draws])
        truths.append(example.truth.latent())
        hidden.append(len(example.hidden))
        dropped.append(draws)
        categories.append(example.category)
    return {
        "images": np.stack(images), "scalars": np.stack(scalars),
        "targets": np.stack(targets).astype(np.float32), "truths": np.stack(truths).astype(np.float32),
        "hidden": np.array(hidden), "dropped": np.array(dropped), "categories": np.array(categories),
    }  # fmt: skip
