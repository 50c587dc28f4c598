"""Nearest object surface of the humanoid's contact bodies, against the objects' current poses.

The one place the contact terms (observation, reward) reach the contact-distance kernel: the object
meshes are the converted visual meshes in their own frames, posed each query where the simulator has
the objects now (static objects stay at their case pose).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from ....kernels.contact_distance import BatchedContactDistance

if TYPE_CHECKING:
    from ..hsi_env import HSIEnv


class SceneContact:
    """Signed distance and nearest surface point of query points to the objects of each environment."""

    def __init__(self, env: HSIEnv) -> None:
        self._env = env
        objects = env.layout.objects
        self.kernel = BatchedContactDistance([(o.vertices, o.faces) for o in objects], env.device)
        self._dynamic = [(m, o.asset_name) for m, o in enumerate(objects) if not o.static]
        pos, quat = env.layout.object_poses(env.layout.env_cases(env.num_envs, env.device))
        self._pos = pos + env.scene.env_origins[:, None]
        self._quat = quat

    def object_poses_w(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(E, M, 3) positions and (E, M, 4) xyzw orientations of the objects now."""
        for m, name in self._dynamic:
            data = self._env.scene[name].data
            self._pos[:, m] = data.root_pos_w.torch
            self._quat[:, m] = data.root_quat_w.torch
        return self._pos, self._quat

    def nearest(self, points: torch.Tensor, max_distance: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(E, K) signed distance and (E, K, 3) nearest surface point of world points (E, K, 3)."""
        pos, quat = self.object_poses_w()
        distance, closest, _ = self.kernel.query(points, pos, quat, max_distance)
        return distance, closest
