"""The synthetic truth seen through its cameras: per pixel the first surface (floor, objects, the person's skin).

A static-scene reconstruction (DUSt3R) gives a point and a confidence per pixel, a segmenter (SAM2) an id per
pixel. Both are rendered here from the case a synthetic capture was made from, one ray per pixel against the
whole scene (`kernels.raycast`), so the scene and 2D-evidence importers are tested against known truth.

Conventions of the rendered truth:
- ids: 0 background and floor, 1..P the people (`truth.people` order), then one per object (case order);
  labels "person:<person_id>" and "object:<name>".
- confidence: DUSt3R's are >= 1, larger where it is sure. The stand-in is 1 + 9 |cos| of the angle between
  the ray and the surface normal (grazing views are least sure), and 0 where there is no static scene:
  nothing hit, or a person (a static-scene tool masks people out; their ids stay in the masks).
- point maps are rendered at `image_scale` of the camera's size (DUSt3R works at about 512 px); their pixel
  (x, y) covers camera pixels (x, y) / image_scale, recorded per camera in the scene's provenance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...body.posed_surface import posed_surface
from ...hsi.case_io import object_world_mesh
from ...hsi.observation import PinholeCamera
from ...kernels.raycast import render
from .model import CameraTrack, MaskTrack, PointMap, SceneGeometry
from .synthetic import SyntheticCapture

FLOOR_HALF_SIZE_M = 10.0
MAX_CONFIDENCE = 10.0


@dataclass
class RenderedView:
    """What one camera sees at one frame."""

    camera: PinholeCamera
    points: np.ndarray  # (H, W, 3) world point of the first surface; 0 where nothing is hit
    ids: np.ndarray  # (H, W) int32, see the module docstring
    facing: np.ndarray  # (H, W) |cos| between the ray and the surface normal; 0 where nothing is hit


class SceneRenderer:
    """The truth's static geometry (floor, objects) built once, the people posed at each capture frame."""

    def __init__(self, synthetic: SyntheticCapture) -> None:
        truth = synthetic.truth
        floor = FLOOR_HALF_SIZE_M * np.array([[-1, -1, 0], [1, -1, 0], [1, 1, 0], [-1, 1, 0]], dtype=float)
        self._static = [(floor, np.array([[0, 1, 2], [0, 2, 3]]), 0)]
        self.labels: dict[int, str] = {}
        self._people = []
        for person in truth.people:
            if person.motion is None:
                raise ValueError(f"person {person.person_id!r} has no motion to render")
            label_id = len(self.labels) + 1
            self.labels[label_id] = f"person:{person.person_id}"
            self._people.append((np.asarray(person.frames), posed_surface(person.motion), label_id))
        for obj in synthetic.case.objects:
            label_id = len(self.labels) + 1
            self.labels[label_id] = f"object:{obj.name}"
            mesh = object_world_mesh(obj, synthetic.case.root)
            self._static.append((np.asarray(mesh.vertices), np.asarray(mesh.faces), label_id))

    @property
    def person_ids(self) -> list[int]:
        return [label_id for _, _, label_id in self._people]

    def geometry(self, frame: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The scene at `frame` as one triangle soup: vertices (N, 3), faces (M, 3), the id of each face (M,)."""
        parts = list(self._static)
        for frames, surface, label_id in self._people:
            hits = np.flatnonzero(frames == frame)
            if len(hits):
                parts.append((surface.vertices[hits[0]], surface.faces, label_id))
        offsets = np.cumsum([0] + [len(v) for v, _, _ in parts[:-1]])
        vertices = np.concatenate([v for v, _, _ in parts])
        faces = np.concatenate([f + o for (_, f, _), o in zip(parts, offsets, strict=True)])
        face_ids = np.concatenate([np.full(len(f), label_id, dtype=np.int32) for _, f, label_id in parts])
        return vertices, faces, face_ids

    def render(self, camera: CameraTrack, frame: int, image_scale: float = 1.0) -> RenderedView:
        """The first surface per pixel of `camera` at `frame`, on a grid `image_scale` times its size."""
        vertices, faces, face_ids = self.geometry(frame)
        pinhole = scaled_pinhole(camera, frame, image_scale)
        depth, face = render(vertices, faces, pinhole)
        hit = face >= 0
        points = np.zeros(depth.shape + (3,))
        points[hit] = pinhole.world_points(depth, hit)
        ids = np.zeros(depth.shape, dtype=np.int32)
        ids[hit] = face_ids[face[hit]]
        corners = vertices[faces[face[hit]]]
        normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        rays = points[hit] - pinhole.camera_to_world[:3, 3]
        cosine = np.einsum("ij,ij->i", normals, rays)
        facing = np.zeros(depth.shape)
        lengths = np.linalg.norm(normals, axis=1) * np.linalg.norm(rays, axis=1)
        facing[hit] = np.abs(cosine) / np.maximum(lengths, 1e-12)
        return RenderedView(pinhole, points, ids, facing)


def scaled_pinhole(camera: CameraTrack, frame: int, image_scale: float) -> PinholeCamera:
    """The camera at `frame` on a pixel grid `image_scale` times its own (the same field of view)."""
    k = camera.intrinsics * image_scale
    width, height = round(camera.width * image_scale), round(camera.height * image_scale)
    return PinholeCamera(k[0, 0], k[1, 1], k[0, 2], k[1, 2], width, height, camera.pose(frame))


def add_scene(synthetic: SyntheticCapture, image_scale: float = 0.25) -> None:
    """Fill `truth.scene` (static points seen by the cameras, point maps) and `truth.masks` in place.

    Point maps: one per camera pose (a fixed camera once, a moving one at each of its frames), people in them as
    a reconstruction network sees them; the scene's points leave the people out. Masks: every camera at every
    frame a person is in, at the camera's full size.
    """
    truth = synthetic.truth
    renderer = SceneRenderer(synthetic)
    people = np.array(renderer.person_ids)
    point_maps, statics = [], []
    for camera in truth.cameras.values():
        for frame in camera.frames:
            view = renderer.render(camera, int(frame), image_scale)
            confidence = np.where(view.facing > 0, 1.0 + (MAX_CONFIDENCE - 1.0) * view.facing, 0.0)
            point_maps.append(PointMap(camera.name, int(frame), view.points, confidence))
            statics.append((confidence > 0) & ~np.isin(view.ids, people))
    seen = statics
    truth.scene = SceneGeometry(
        points=np.concatenate([m.points[s] for m, s in zip(point_maps, seen, strict=True)]),
        confidence=np.concatenate([m.confidence[s] for m, s in zip(point_maps, seen, strict=True)]),
        point_maps=point_maps,
        provenance={
            "source": "synthetic render", "image_scale": image_scale, "floor_half_size_m": FLOOR_HALF_SIZE_M,
            "confidence": f"1 + {MAX_CONFIDENCE - 1:g} |cos(ray, normal)|, people included (as DUSt3R sees them); "
            "the scene's points are the static ones",
            "point_map_to_image": {name: [[1 / image_scale, 0.0, 0.0], [0.0, 1 / image_scale, 0.0]]
                                   for name in truth.cameras},
        },
    )  # fmt: skip
    frames = np.unique(np.concatenate([p.frames for p in truth.people]))
    for camera in truth.cameras.values():
        ids = np.stack([renderer.render(camera, int(frame)).ids for frame in frames])
        truth.masks[camera.name] = MaskTrack(camera.name, frames.copy(), ids, dict(renderer.labels))
    truth.provenance.append({"step": "add_scene", "image_scale": image_scale, "labels": renderer.labels})
