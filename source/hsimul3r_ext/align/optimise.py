"""Gradient descent on the objects' poses and the human's translation: the terms of `losses.py` on the
posed skin, signed distances from the Warp kernel, Adam with a cosine-decayed step."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from ..kernels.torch_distance import signed_distance
from .config import AlignConfig
from .losses import contact_loss, ground_loss, non_contact_loss, prior_loss
from .problem import AlignmentProblem, ObjectGeometry

NEAR_M = 0.03  # skin farther than this from an object is not queried (re-chosen every REFRESH steps)
REFRESH = 5  # REFRESH steps move a point by at most REFRESH * learning_rate_m (2 cm at the defaults)
LEVER_M = 0.5  # a rotation step of 1 rad moves a point this far from the origin: rotation lr = lr_m / lever
# Adam divides by sqrt(v) + eps: with the default 1e-8 a gradient of 1e-9 (a sub-micron penetration) would
# take a full step. Real terms have gradients of 1e-2 and more.
ADAM_EPS = 1e-3
MAX_OBJECT_POINTS = 200  # object samples in the non-contact term
MAX_PART_POINTS = 48  # skin points per contact pair in the non-contact term (all of them measure the gap)


@dataclass
class AlignmentResult:
    human_translation: np.ndarray  # (3,)
    objects: list[ObjectGeometry]  # moved
    moves: list[dict]  # per object: translation_m, rotation_deg, scale
    losses: dict[str, list[float]] = field(default_factory=dict)


def optimise(problem: AlignmentProblem, config: AlignConfig, progress: bool | None = None) -> AlignmentResult:
    """Minimise ground + non-contact + contact + prior over the free poses; return the moved scene."""
    dtype = torch.float64
    skin = torch.as_tensor(problem.surface.vertices, dtype=dtype)  # (F, V, 3)
    human = torch.zeros(3, dtype=dtype, requires_grad=config.human_translation)
    objects = [_MovingObject(obj, config, dtype) for obj in problem.objects]
    terms = _Terms(problem, skin, objects, config)
    groups = [{"params": [human], "lr": config.learning_rate_m}]
    for obj in objects:
        groups += [
            {"params": [obj.translation], "lr": config.learning_rate_m},
            {"params": [obj.rotation], "lr": config.learning_rate_m / LEVER_M},
            {"params": [obj.log_scale], "lr": config.learning_rate_m},
        ]
    groups = [g for g in groups if g["params"][0].requires_grad]
    steps = config.steps if groups else 0
    optimiser = torch.optim.Adam(groups, eps=ADAM_EPS) if groups else None
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, max(1, steps)) if groups else None
    weights = asdict(config.weights)
    history: dict[str, list[float]] = {key: [] for key in ("total", *weights)}
    bar = tqdm(range(steps + 1), desc="aligning", unit="step", disable=None if progress is None else not progress)
    for step in bar:
        for obj in objects:
            obj.place()
        if step % REFRESH == 0:
            terms.refresh(human)
        values = terms(human)
        total = sum(weights[key] * value for key, value in values.items())
        for key, value in (("total", total), *values.items()):
            history[key].append(float(value.detach()))
        if step == steps:
            break
        optimiser.zero_grad()
        total.backward()
        optimiser.step()
        schedule.step()
    with torch.no_grad():
        moved = [obj.result() for obj in objects]
    return AlignmentResult(human.detach().numpy().copy(), [m[0] for m in moved], [m[1] for m in moved], history)


class _Terms:
    """The four loss terms of the current placement, named as in `config.weights`."""

    def __init__(self, problem: AlignmentProblem, skin: torch.Tensor, objects: list, config: AlignConfig) -> None:
        self.flat_skin = skin.reshape(-1, 3)
        self.skin_lowest = skin[:, :, 2].min(dim=1).values
        self.objects = objects
        self.pairs = [_pair_points(problem, k) for k in range(len(objects))]
        self.touching_m = config.contact.touching_m
        self.region_m = config.contact.object_region_m
        self.prior_scales = (
            config.prior_scale.translation_m,
            np.radians(config.prior_scale.rotation_deg),
            config.prior_scale.log_scale,
        )
        self.near: list[torch.Tensor] = []

    def refresh(self, human: torch.Tensor) -> None:
        """Choose the skin near each object again; only it is queried for penetration until the next refresh."""
        with torch.no_grad():
            world = self.flat_skin + human
            self.near = [torch.as_tensor(np.flatnonzero(o.distance(world, 2 * NEAR_M) < NEAR_M)) for o in self.objects]

    def __call__(self, human: torch.Tensor) -> dict[str, torch.Tensor]:
        zero = self.flat_skin.new_zeros(())
        lowest = [obj.lowest_z() for obj in self.objects if obj.geometry.on_floor]
        ground = ground_loss(torch.stack(lowest) if lowest else zero[None][:0], self.skin_lowest + human[2])
        # Gather from the constant skin, then shift: the backward pass then only sums over the gathered points.
        contact = zero
        for obj, indices in zip(self.objects, self.near, strict=True):
            contact = contact + contact_loss(obj.signed_distance(self.flat_skin[indices] + human))
        apart = [
            obj.part_terms(self.flat_skin, human, pairs, self.touching_m, self.region_m)
            for obj, pairs in zip(self.objects, self.pairs, strict=True)
        ]
        apart = torch.cat(apart)
        prior = prior_loss(
            torch.cat([human[None]] + [o.translation[None] for o in self.objects]),
            torch.stack([o.angle() for o in self.objects]),
            torch.stack([o.log_scale.sum() for o in self.objects]),
            self.prior_scales,
        )
        non_contact = apart.mean() if len(apart) else zero
        return {"ground": ground, "non_contact": non_contact, "contact": contact, "prior": prior}


def _pair_points(problem: AlignmentProblem, k: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Flat skin indices of every contact pair of object k, the pair each index belongs to, and which of
    them (at most MAX_PART_POINTS per pair, evenly spread) enter the non-contact term."""
    surface, contacts = problem.surface, problem.contacts
    vertex_count = surface.vertices.shape[1]
    indices, owners, sampled = [], [], []
    for row in np.flatnonzero(contacts.object == k):
        part = np.flatnonzero(surface.part == contacts.part[row])
        indices.append(contacts.frame[row] * vertex_count + part)
        owners.append(np.full(len(part), len(owners)))
        chosen = np.zeros(len(part), bool)
        chosen[np.linspace(0, len(part) - 1, min(len(part), MAX_PART_POINTS)).astype(int)] = True
        sampled.append(chosen)
    if not indices:
        empty = torch.zeros(0, dtype=torch.long)
        return empty, empty, torch.zeros(0, dtype=torch.bool)
    return tuple(torch.as_tensor(np.concatenate(a)) for a in (indices, owners, sampled))


class _MovingObject:
    """An object's free pose parameters and its placement at the current step."""

    def __init__(self, geometry: ObjectGeometry, config: AlignConfig, dtype: torch.dtype) -> None:
        free = not geometry.static
        rotation_size = {"yaw": 1, "full": 3, "none": 0}[config.objects.rotation] if free else 0
        scaled = free and config.objects.scale
        self.geometry = geometry
        self.translation = torch.zeros(3, dtype=dtype, requires_grad=free)
        self.rotation = torch.zeros(rotation_size, dtype=dtype, requires_grad=rotation_size > 0)
        self.log_scale = torch.zeros(int(scaled), dtype=dtype, requires_grad=scaled)
        self.base_rotation = torch.as_tensor(Rotation.from_quat(geometry.orientation).as_matrix(), dtype=dtype)
        # A floor object starts on the floor: from deep in it the small steps would run out first. The prior
        # measures moves from there: how far the reconstruction sank it is the error fixed, not evidence to keep.
        lift = -geometry.lowest_z() if free and geometry.on_floor else 0.0
        self.base_position = torch.as_tensor(geometry.position + np.array([0.0, 0.0, lift]), dtype=dtype)
        self.hull = torch.as_tensor(geometry.hull, dtype=dtype)
        chosen = np.random.default_rng(0).permutation(len(geometry.samples))[:MAX_OBJECT_POINTS]
        self.samples = torch.as_tensor(geometry.samples[chosen], dtype=dtype)
        self.place()

    def place(self) -> None:
        self.matrix = _delta_rotation(self.rotation) @ self.base_rotation
        self.position = self.base_position + self.translation
        self.scale = torch.exp(self.log_scale.sum())

    def angle(self) -> torch.Tensor:
        return self.rotation.norm() if self.rotation.numel() else self.translation.new_zeros(())

    def to_world(self, local: torch.Tensor) -> torch.Tensor:
        return self.scale * local @ self.matrix.T + self.position

    def lowest_z(self) -> torch.Tensor:
        return self.to_world(self.hull)[:, 2].min()

    def to_local(self, world: torch.Tensor) -> torch.Tensor:
        return (world - self.position) @ self.matrix / self.scale

    def signed_distance(self, world: torch.Tensor) -> torch.Tensor:
        return self.scale * signed_distance(self.geometry.field, self.to_local(world))

    def distance(self, world: torch.Tensor, max_distance: float) -> np.ndarray:
        """Signed distance without gradients (for choosing points), in metres."""
        scale = float(self.scale)
        return scale * self.geometry.field.query(self.to_local(world).numpy(), max_distance / scale)[0]

    def part_terms(
        self,
        skin: torch.Tensor,
        human: torch.Tensor,
        pairs: tuple[torch.Tensor, ...],
        touching_m: float,
        region_m: float,
    ) -> torch.Tensor:
        """Non-contact term of each contact pair whose part's skin does not reach the object (gap > touching_m)."""
        indices, owners, sampled = pairs
        if not len(indices):
            return skin.new_zeros(0)
        count = int(owners.max()) + 1
        with torch.no_grad():
            distance = torch.as_tensor(self.distance(skin[indices] + human, 1.0), dtype=skin.dtype)
            gap = torch.full((count,), np.inf, dtype=skin.dtype).scatter_reduce(0, owners, distance, "amin")
        apart = torch.nonzero(gap > touching_m).flatten()
        if not len(apart):
            return skin.new_zeros(0)
        keep = torch.isin(owners, apart) & sampled
        owner = torch.searchsorted(apart, owners[keep])
        return non_contact_loss(self.to_world(self.samples), skin[indices[keep]] + human, owner, len(apart), region_m)

    def result(self) -> tuple[ObjectGeometry, dict]:
        self.place()
        quat = Rotation.from_matrix(self.matrix.numpy()).as_quat()
        record = {
            "translation_m": [float(v) for v in self.position.numpy() - self.geometry.position],
            "rotation_deg": float(np.degrees(float(self.angle()))),
            "scale": float(self.scale),
        }
        return self.geometry.moved(self.position.numpy(), quat, float(self.scale)), record


def _delta_rotation(rotation: torch.Tensor) -> torch.Tensor:
    """Yaw (1 value), axis-angle (3 values) or identity (none) as a 3x3 matrix."""
    if rotation.numel() == 1:
        c, s = torch.cos(rotation[0]), torch.sin(rotation[0])
        zero, one = torch.zeros_like(c), torch.ones_like(c)
        return torch.stack([torch.stack([c, -s, zero]), torch.stack([s, c, zero]), torch.stack([zero, zero, one])])
    if rotation.numel() == 3:
        w, zero = rotation, torch.zeros_like(rotation[0])
        skew = torch.stack(
            [torch.stack([zero, -w[2], w[1]]), torch.stack([w[2], zero, -w[0]]), torch.stack([-w[1], w[0], zero])]
        )
        return torch.linalg.matrix_exp(skew)
    return torch.eye(3, dtype=rotation.dtype)
