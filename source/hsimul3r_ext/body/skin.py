"""The humanoid's skin: the shaped body surface at rest in the humanoid's frame, skinned to its 24 bodies.

Posed by linear blend skinning from body world poses (simulated or reference), it is the surface the judge
measures penetration with. The rigid per-body visual pieces cannot stand in for it: a seated pelvis piece
keeps the upper thighs at the standing angle and cuts into the seat. Pose-corrective blend shapes of
licensed SMPL-family models are not applied (the open model has none).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation


@dataclass
class Skin:
    """Rest surface and skinning of a humanoid; at rest every body frame is the world's."""

    vertices: np.ndarray  # (V, 3) rest pose, humanoid frame
    faces: np.ndarray  # (M, 3)
    joints: np.ndarray  # (B, 3) rest body origins, humanoid frame
    weights: np.ndarray  # (V, B) rows sum to one
    body_names: tuple[str, ...]  # (B,)

    def posed(self, body_pos: np.ndarray, body_quat: np.ndarray) -> np.ndarray:
        """(..., V, 3) world vertices for world body poses (..., B, 3) and (..., B, 4 xyzw) in `body_names` order.

        Body k carries a rest point v to R_k (v - J_k) + p_k; a vertex goes where its weights blend those."""
        lead = body_quat.shape[:-2]
        rotations = Rotation.from_quat(body_quat.reshape(-1, 4)).as_matrix().reshape(*lead, -1, 3, 3)
        shifts = body_pos - np.einsum("...kij,kj->...ki", rotations, self.joints)
        blended = (self.weights @ rotations.reshape(*lead, -1, 9)).reshape(*lead, -1, 3, 3)
        return np.einsum("...vij,vj->...vi", blended, self.vertices) + self.weights @ shifts

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            vertices=self.vertices.astype(np.float32),
            faces=self.faces.astype(np.int32),
            joints=self.joints.astype(np.float32),
            weights=self.weights.astype(np.float32),
            body_names=np.array(self.body_names),
        )

    @classmethod
    def load(cls, path: Path) -> Skin:
        with np.load(path) as data:
            return cls(
                vertices=data["vertices"].astype(np.float64),
                faces=data["faces"].astype(np.int64),
                joints=data["joints"].astype(np.float64),
                weights=data["weights"].astype(np.float64),
                body_names=tuple(str(n) for n in data["body_names"]),
            )
