"""A case's objects written as image-to-3D models deliver them: what the object importers and fits are tested on.

A generator knows nothing of metres or of where the camera stood: a MIDI-style scene keeps the instances'
relative placement in one frame of its own (here: a random rotation, then scaled to fit a unit cube and
centred), a single-object model returns the object alone, upright and normalised. Files are glTF binaries,
Y up by glTF's convention. Each writer returns the similarity it applied, world (Z up) -> the Z-up
normalised frame the importer (`capture/objects.py`) reads back, so a test knows the true placement.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from ....hsi.axes import to_z_up
from ..world import Similarity


def write_multi_instance_glb(
    meshes: dict[str, trimesh.Trimesh], path: str | Path, rng: np.random.Generator
) -> Similarity:
    """All `meshes` (world frame, by instance name) moved together into one normalised frame, one node each."""
    rotation = Rotation.random(random_state=rng).as_matrix()
    similarity = _normalising(np.concatenate([m.vertices for m in meshes.values()]), rotation)
    _write(meshes, similarity, Path(path))
    return similarity


def write_single_object_glb(mesh: trimesh.Trimesh, path: str | Path, yaw_deg: float = 0.0) -> Similarity:
    """One object alone, upright (turned by `yaw_deg` about the up axis: a generator's canonical heading is
    its own), normalised; the node is named after the file."""
    rotation = Rotation.from_euler("z", yaw_deg, degrees=True).as_matrix()
    similarity = _normalising(np.asarray(mesh.vertices), rotation)
    _write({Path(path).stem: mesh}, similarity, Path(path))
    return similarity


def _normalising(vertices: np.ndarray, rotation: np.ndarray) -> Similarity:
    """Turn by `rotation`, then scale the bounding box's longest side to 1 and centre it at the origin."""
    turned = vertices @ rotation.T
    low, high = turned.min(axis=0), turned.max(axis=0)
    scale = 1.0 / float(np.max(high - low))
    return Similarity(scale, rotation, -scale * (low + high) / 2)


def _write(meshes: dict[str, trimesh.Trimesh], similarity: Similarity, path: Path) -> None:
    to_y_up = np.eye(4)
    to_y_up[:3, :3] = to_z_up("y").inv().as_matrix()
    scene = trimesh.Scene()
    for name, mesh in meshes.items():
        moved = trimesh.Trimesh(np.asarray(mesh.vertices), np.asarray(mesh.faces), process=False)
        moved.apply_transform(to_y_up @ similarity.matrix)
        scene.add_geometry(moved, node_name=name, geom_name=name)
    path.parent.mkdir(parents=True, exist_ok=True)
    scene.export(path, file_type="glb")
