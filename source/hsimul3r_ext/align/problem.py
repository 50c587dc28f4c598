"""What the alignment works on: the posed human skin, each object's geometry in its own frame, and which
body parts are meant to touch which object in which frame."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from ..body.posed_surface import PosedSurface, posed_surface, sample_frames
from ..hsi.case_io import MOTION_FILE, load_mesh
from ..hsi.errors import CaseError
from ..hsi.scene import HSIScene
from ..hsi.smpl_layout import SMPL_JOINT_NAMES, canonical_joint_name
from ..kernels.mesh_distance import MeshDistance
from .config import AlignConfig


@dataclass
class ObjectGeometry:
    """One object's mesh in its own frame, queried for distances, and where the case placed it."""

    name: str
    field: MeshDistance
    hull: np.ndarray  # (H, 3) convex hull vertices: the exact lowest point under any rotation
    samples: np.ndarray  # (N, 3) surface samples for the non-contact term
    position: np.ndarray  # (3,)
    orientation: np.ndarray  # (4,) xyzw
    on_floor: bool
    static: bool
    scale: float = 1.0  # uniform scale of the mesh in its own frame

    def world(self, local: np.ndarray) -> np.ndarray:
        return Rotation.from_quat(self.orientation).apply(self.scale * local) + self.position

    def signed_distance(self, world_points: np.ndarray, max_distance: float = 1.0) -> np.ndarray:
        local = Rotation.from_quat(self.orientation).inv().apply(world_points - self.position) / self.scale
        return self.scale * self.field.query(local, max_distance=max_distance / self.scale)[0]

    def lowest_z(self) -> float:
        return float(self.world(self.hull)[:, 2].min())

    def moved(self, position: np.ndarray, orientation: np.ndarray, scale: float) -> ObjectGeometry:
        return replace(self, position=np.asarray(position), orientation=np.asarray(orientation), scale=float(scale))


@dataclass
class ContactPairs:
    """Rows (frame index into the surface's frames, SMPL part index, object index) meant to be in contact."""

    frame: np.ndarray
    part: np.ndarray
    object: np.ndarray
    source: str  # "labels" | "proximity" | "none"

    def __len__(self) -> int:
        return len(self.frame)

    def at_frames(self, keep: np.ndarray) -> ContactPairs:
        """The rows whose frame is in `keep` (indices into the surface's frames), renumbered to it."""
        position = {int(f): k for k, f in enumerate(keep)}
        rows = np.isin(self.frame, keep)
        frame = np.array([position[int(f)] for f in self.frame[rows]], dtype=int)
        return ContactPairs(frame, self.part[rows], self.object[rows], self.source)


@dataclass
class AlignmentProblem:
    surface: PosedSurface
    objects: list[ObjectGeometry]
    contacts: ContactPairs


def build_problem(
    scene: HSIScene, config: AlignConfig, models_dir: str | Path | None = None, frames: np.ndarray | None = None
) -> AlignmentProblem:
    """Pose the body at `frames` (default: `config.metric_frames` spread over the motion), load the objects."""
    if scene.motion is None:
        raise CaseError(scene.root or scene.name, "motion", "alignment needs the human: the case has no motion")
    if not scene.objects:
        raise CaseError(scene.root or scene.name, "objects", "alignment needs at least one object")
    if frames is None:
        frames = sample_frames(scene.motion.num_frames, config.metric_frames)
    surface = posed_surface(scene.motion, frames, models_dir)
    objects = [_object_geometry(scene, index, config) for index in range(len(scene.objects))]
    return AlignmentProblem(surface, objects, _contact_pairs(scene, surface, objects, config))


def _object_geometry(scene: HSIScene, index: int, config: AlignConfig) -> ObjectGeometry:
    obj = scene.objects[index]
    mesh = load_mesh(Path(scene.root) / obj.mesh, f"objects[{index}].mesh")
    samples, _ = trimesh.sample.sample_surface(mesh, config.object_samples, seed=index)
    hull = mesh.convex_hull.vertices if len(mesh.vertices) > 3 else mesh.vertices
    lowest = (Rotation.from_quat(obj.orientation).apply(hull) + obj.position)[:, 2].min()
    return ObjectGeometry(
        name=obj.name,
        field=MeshDistance(mesh.vertices, mesh.faces),
        hull=np.asarray(hull, dtype=float),
        samples=np.asarray(samples, dtype=float),
        position=np.asarray(obj.position, dtype=float),
        orientation=np.asarray(obj.orientation, dtype=float),
        on_floor=bool(lowest <= config.on_floor_within_m),  # sunk by any depth, or floating a little
        static=obj.static,
    )


def _contact_pairs(
    scene: HSIScene, surface: PosedSurface, objects: list[ObjectGeometry], config: AlignConfig
) -> ContactPairs:
    """From the motion's contact labels when it has them, else from reference proximity.

    A labelled body is given, per frame, to the object its skin is nearest to."""
    motion = scene.motion
    parts = [np.flatnonzero(surface.part == p) for p in range(len(SMPL_JOINT_NAMES))]
    rows: list[tuple[int, int, int]] = []
    if motion.contact_labels is not None and motion.contact_labels.any():
        source = "labels"
        labelled = []
        for name in motion.contact_body_names:
            smpl = canonical_joint_name(name)
            if smpl is None:
                raise CaseError(
                    Path(scene.root or ".") / MOTION_FILE, "contact_body_names", f"{name!r} is not an SMPL body name"
                )
            labelled.append(SMPL_JOINT_NAMES.index(smpl))
        for f, frame in enumerate(surface.frames):
            for k in np.flatnonzero(motion.contact_labels[frame]):
                part = labelled[k]
                if len(parts[part]) == 0:
                    continue
                skin = surface.vertices[f, parts[part]]
                nearest = np.argmin([obj.signed_distance(skin).min() for obj in objects])
                rows.append((f, part, int(nearest)))
    else:
        source = "proximity"
        for f in range(len(surface.frames)):
            for o, obj in enumerate(objects):
                near = obj.signed_distance(surface.vertices[f]) < config.contact.proximity_m
                rows.extend((f, int(part), o) for part in np.unique(surface.part[near]))
        if not rows:
            source = "none"
    table = np.asarray(rows, dtype=int).reshape(-1, 3)
    return ContactPairs(frame=table[:, 0], part=table[:, 1], object=table[:, 2], source=source)
