"""Generated objects from image-to-3D models: their `.glb` files into `GeneratedObject`s.

Layouts assumed (the tools' exports through trimesh / their own glTF writers; state checked by our writers
in `formats/objects.py` and the tests):
- MIDI-style multi-instance scene: one glb whose scene graph holds one mesh node per instance, every node
  transform placing its instance in one shared normalised frame (no metric scale). The instance name is the
  node name (the user's mask labels are matched against it).
- Single object (TRELLIS, Hunyuan3D, SAM 3D): one glb holding one object, possibly split into several mesh
  primitives (merged here), in a canonical frame: Y up (glTF's convention), normalised to about a unit cube.
Both are turned to Z up at import (glTF files are Y up by their specification) and the rotation is recorded,
so a gravity-aligned fit can try single objects upright; node transforms are baked into the vertices.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import trimesh

from ...hsi.axes import rotation_matrix_list, to_z_up
from ...hsi.errors import CaseError
from ..importers.common import source_record
from ..importers.meshes import object_name
from .model import GeneratedObject

GENERATORS = ("midi", "trellis", "hunyuan3d", "sam3d", "other")


def import_multi_instance_glb(path: str | Path, labels: Mapping[str, str] | None = None) -> list[GeneratedObject]:
    """One `GeneratedObject` per instance node of a MIDI-style glb, all in the file's shared frame (Z up).

    `labels` maps node names to mask labels; instances not in it get "object:<node name>"."""
    path = Path(path)
    scene = _read_scene(path)
    nodes = list(scene.graph.nodes_geometry)
    unknown = sorted(set(labels or {}) - set(nodes))
    if unknown:
        raise CaseError(path, "labels", f"no instance node named {', '.join(unknown)}; nodes: {', '.join(nodes)}")
    objects, taken = [], set()
    for node in nodes:
        transform, geometry = scene.graph[node]
        mesh = _triangle_mesh(scene.geometry[geometry], path, f"node {node!r}").copy()
        mesh.apply_transform(transform)
        name = object_name(node, taken)
        taken.add(name)
        label = (labels or {}).get(node, f"object:{node}")
        objects.append(GeneratedObject(name, _z_up(mesh), label, _record(path, "midi", node, mesh)))
    return objects


def import_single_object_glb(
    path: str | Path, name: str | None = None, mask_label: str | None = None, generator: str = "other"
) -> GeneratedObject:
    """The one object of a TRELLIS / Hunyuan3D / SAM 3D glb (its primitives merged), Z up."""
    path = Path(path)
    if generator not in GENERATORS:
        raise CaseError(path, "generator", f"unknown generator {generator!r}; known: {', '.join(GENERATORS)}")
    scene = _read_scene(path)
    parts = []
    for node in scene.graph.nodes_geometry:
        transform, geometry = scene.graph[node]
        parts.append(_triangle_mesh(scene.geometry[geometry], path, f"node {node!r}").copy().apply_transform(transform))
    mesh = trimesh.util.concatenate(parts)
    name = object_name(name or path.stem, set())
    label = mask_label or f"object:{name}"
    return GeneratedObject(name, _z_up(mesh), label, _record(path, generator, None, mesh))


def _read_scene(path: Path) -> trimesh.Scene:
    if path.suffix.lower() not in (".glb", ".gltf"):
        raise CaseError(path, "format", f"expected a .glb or .gltf file, got {path.suffix!r}")
    if not path.is_file():
        raise CaseError(path, "file", "does not exist")
    try:
        scene = trimesh.load(path, force="scene", process=False)
    except Exception as err:  # trimesh raises many types for corrupt files
        raise CaseError(path, "file", f"cannot read glTF ({type(err).__name__}: {err})") from None
    if not scene.graph.nodes_geometry:
        raise CaseError(path, "nodes", "no mesh in the file")
    return scene


def _triangle_mesh(geometry: object, path: Path, where: str) -> trimesh.Trimesh:
    if not isinstance(geometry, trimesh.Trimesh) or len(geometry.faces) == 0:
        raise CaseError(path, where, f"is a {type(geometry).__name__} without triangles, not a mesh")
    if not np.isfinite(geometry.vertices).all():
        raise CaseError(path, where, "has NaN or inf vertex coordinates")
    return geometry


def _z_up(mesh: trimesh.Trimesh) -> trimesh.Trimesh:
    transform = np.eye(4)
    transform[:3, :3] = to_z_up("y").as_matrix()
    return mesh.apply_transform(transform)


def _record(path: Path, generator: str, node: str | None, mesh: trimesh.Trimesh) -> dict:
    record = source_record(path, f"{generator}_glb")
    record.update({
        "node": node, "node_transform_baked": True, "up_axis": "y",
        "world_rotation_to_z_up": rotation_matrix_list(to_z_up("y")), "faces": len(mesh.faces),
        "frame": "the generator's normalised frame (no metric scale); placed by object_fit",
    })  # fmt: skip
    return record
