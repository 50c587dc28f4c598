"""The shipped generator's shape representation: a fixed set of box slots plus the object's yaw.

Each slot is a box (presence, centre xyz, size xyz, pitch about y) in the object's frame: Z up, metres, the
side a person uses facing +X, origin at the footprint centre on the floor. A slot is present when its
presence is > 0. The object frame is turned by `yaw` about Z into the generator's frame (x towards the
camera, horizontally), so the latent says both what the object is and how the camera sees it.
Latents are normalised (divided by `SCALE`) so every number is of order one, as flow matching wants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

SLOTS: tuple[str, ...] = (
    "seat", "back", "base", "arm_left", "arm_right",
    "leg_front_left", "leg_front_right", "leg_back_left", "leg_back_right", "column", "foot",
)  # fmt: skip
THIN_SLOTS: tuple[str, ...] = tuple(name for name in SLOTS if name.startswith("leg_") or name == "column")
SLOT_FIELDS = ("presence", "cx", "cy", "cz", "sx", "sy", "sz", "pitch")
SLOT_SIZE = len(SLOT_FIELDS)
LATENT_SIZE = 2 + len(SLOTS) * SLOT_SIZE  # (cos yaw, sin yaw) then the slots
_SLOT_SCALE = np.array([1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.3])
SCALE = np.concatenate([[1.0, 1.0], np.tile(_SLOT_SCALE, len(SLOTS))])
MIN_SIZE_M = 0.01  # a decoded box is at least this thick


@dataclass
class Part:
    """One box in the object frame."""

    centre: np.ndarray  # (3,) m
    size: np.ndarray  # (3,) m
    pitch_rad: float = 0.0  # about the object's y axis, top towards -X for positive values


@dataclass
class PartShape:
    """A piece of furniture as named boxes, and how it is turned in the generator's frame."""

    parts: dict[str, Part]
    yaw_rad: float = 0.0

    def latent(self) -> np.ndarray:
        """The normalised latent (LATENT_SIZE,)."""
        values = np.zeros(LATENT_SIZE)
        values[:2] = np.cos(self.yaw_rad), np.sin(self.yaw_rad)
        for index, name in enumerate(SLOTS):
            row = values[2 + index * SLOT_SIZE : 2 + (index + 1) * SLOT_SIZE]
            part = self.parts.get(name)
            if part is None:
                row[0] = -1.0
            else:
                row[:] = [1.0, *part.centre, *part.size, part.pitch_rad]
        return values / SCALE

    @classmethod
    def from_latent(cls, latent: np.ndarray) -> PartShape:
        values = np.asarray(latent, dtype=np.float64).reshape(LATENT_SIZE) * SCALE
        parts = {}
        for index, name in enumerate(SLOTS):
            row = values[2 + index * SLOT_SIZE : 2 + (index + 1) * SLOT_SIZE]
            if row[0] > 0.0:
                parts[name] = Part(row[1:4].copy(), np.maximum(np.abs(row[4:7]), MIN_SIZE_M), float(row[7]))
        return cls(parts, float(np.arctan2(values[1], values[0])))

    def without(self, names: set[str]) -> PartShape:
        return PartShape({k: v for k, v in self.parts.items() if k not in names}, self.yaw_rad)

    def mesh(self, frame: str = "generator") -> tuple[trimesh.Trimesh | None, np.ndarray]:
        """Overlapping boxes, as reconstructions deliver them (the converter makes a solid), and each face's slot
        index. `frame`: "generator" (turned by yaw) or "object"."""
        boxes, owners = [], []
        for name, part in self.parts.items():
            transform = np.eye(4)
            transform[:3, :3] = Rotation.from_euler("y", -part.pitch_rad).as_matrix()
            transform[:3, 3] = part.centre
            box = trimesh.creation.box(part.size, transform)
            boxes.append(box)
            owners.append(np.full(len(box.faces), SLOTS.index(name)))
        if not boxes:
            return None, np.zeros(0, dtype=int)
        mesh = trimesh.util.concatenate(boxes)
        if frame == "generator":
            turn = np.eye(4)
            turn[:3, :3] = Rotation.from_euler("z", self.yaw_rad).as_matrix()
            mesh.apply_transform(turn)
        return mesh, np.concatenate(owners)
