"""The capture's metric, gravity-aligned world: the floor becomes z = 0 with Z up, units become metres.

A reconstruction such as DUSt3R's lives in its first camera's OpenCV frame (y down), at a scale of its own.
Two facts fix that: the floor, the one large plane the whole scene stands on, gives the up direction and the
height zero; the people give the metres, because the body model knows how long their bones are for their
betas. What remains free is the heading and the horizontal origin: the first camera's viewing direction,
made horizontal, becomes +X, and the floor point below that camera the origin, so that the world reads like
the user's first picture (the scene in front of you along +X).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ...body.posed_surface import posed_keypoints
from ...hsi.errors import CaseError
from ...hsi.motion import Motion
from ...hsi.smpl_layout import BODY_POSE_WIDTH
from ..importers.common import MotionImportOptions
from .keypoint_layouts import correspondence
from .masks import is_person, labelled
from .model import CameraTrack, Capture, Keypoints2D, Person, SceneGeometry
from .people.smpl_frames import motion_pelvis_rest, moved_motion


@dataclass(frozen=True)
class Similarity:
    """x -> scale * rotation @ x + translation: how a rigid scene moves between frames of different units."""

    scale: float
    rotation: np.ndarray  # (3, 3)
    translation: np.ndarray  # (3,)

    @classmethod
    def identity(cls) -> Similarity:
        return cls(1.0, np.eye(3), np.zeros(3))

    def apply(self, points: np.ndarray) -> np.ndarray:
        """Points (..., 3) moved."""
        return self.scale * np.asarray(points) @ self.rotation.T + self.translation

    def apply_pose(self, pose: np.ndarray) -> np.ndarray:
        """A rigid pose (4, 4) (camera-to-world, object-to-world) moved; its own units stay (no scale inside)."""
        moved = np.eye(4)
        moved[:3, :3] = self.rotation @ pose[:3, :3]
        moved[:3, 3] = self.apply(pose[:3, 3])
        return moved

    def inverse(self) -> Similarity:
        rotation = self.rotation.T
        return Similarity(1.0 / self.scale, rotation, -rotation @ self.translation / self.scale)

    def then(self, other: Similarity) -> Similarity:
        """This similarity followed by `other`."""
        return Similarity(
            other.scale * self.scale, other.rotation @ self.rotation, other.apply(self.translation)
        )  # fmt: skip

    @property
    def matrix(self) -> np.ndarray:
        """The (4, 4) homogeneous matrix (trimesh's apply_transform takes it)."""
        matrix = np.eye(4)
        matrix[:3, :3] = self.scale * self.rotation
        matrix[:3, 3] = self.translation
        return matrix

    def to_json(self) -> dict[str, Any]:
        return {
            "scale": float(self.scale),
            "rotation_xyzw": [float(v) for v in Rotation.from_matrix(self.rotation).as_quat()],
            "translation": [float(v) for v in self.translation],
        }


@dataclass(frozen=True)
class FloorFit:
    """The floor plane in the capture frame: points p with normal . p = offset; normal points up."""

    normal: np.ndarray  # (3,) unit
    offset: float
    rms: float  # RMS distance of the inliers to the plane, capture units
    inliers: int
    threshold: float  # inlier band half-width, capture units
    points: int  # points considered

    def height(self, points: np.ndarray) -> np.ndarray:
        """Signed distance above the floor, capture units."""
        return np.asarray(points) @ self.normal - self.offset

    def to_json(self) -> dict[str, Any]:
        return {
            "normal": [float(v) for v in self.normal], "offset": float(self.offset), "rms": float(self.rms),
            "inliers": int(self.inliers), "threshold": float(self.threshold), "points": int(self.points),
        }  # fmt: skip


def fit_floor(
    points: np.ndarray,
    confidence: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    *,
    cameras: np.ndarray | None = None,
    source: str = "scene points",
    hypotheses: int = 600,
    max_other_side: float = 0.1,
    min_support: float = 0.1,
) -> FloorFit:
    """The floor: the plane with most support that has (nearly) the whole scene on one side.

    RANSAC draws planes through point triples; a table top or a seat has scene on both sides and a plane
    through the furniture cuts it, so only planes with at most `max_other_side` of the off-plane points
    below them and at least `min_support` of all points in their band are candidates, and the one with most
    inliers wins (the lowest dominant plane). Walls are one-sided too: when `cameras` (camera-to-world poses
    (K, 4, 4), OpenCV axes) are given, a candidate must also face the cameras' mean "image up" (-y) within
    60 degrees, casual captures being taken upright.
    The plane is then refitted by least squares on its inliers, the inlier band set to 2.5 robust standard
    deviations of the residuals (at most 4% of the scene's extent); the normal points to the cameras' side,
    else to the side where the other points are. Units and frame are the caller's (the band scales with the
    scene's extent).
    """
    rng = np.random.default_rng(0) if rng is None else rng
    points, weights = _usable_points(points, confidence, source)
    size = float(np.linalg.norm(np.percentile(points, 95, axis=0) - np.percentile(points, 5, axis=0)))
    if not size > 0:
        raise CaseError(source, "points", "all scene points coincide: no floor to find")
    threshold = 0.02 * size
    sample = rng.choice(len(points), size=min(len(points), 20000), replace=False)
    normals, offsets = _plane_hypotheses(points, weights, rng, hypotheses)
    up = None if cameras is None else _cameras_up(cameras)
    normal, offset = _best_one_sided_plane(
        points[sample], normals, offsets, threshold, max_other_side, up, int(min_support * len(sample)), source
    )
    for _ in range(4):  # least-squares refit, band from the inliers' own spread
        inside = np.abs(points @ normal - offset) < threshold
        normal, offset = _least_squares_plane(points[inside], weights[inside], normal)
        residual = points[inside] @ normal - offset
        threshold = float(np.clip(2.5 * 1.4826 * np.median(np.abs(residual)), 1e-6 * size, 0.04 * size))
    inside = np.abs(points @ normal - offset) < threshold
    normal, offset = _least_squares_plane(points[inside], weights[inside], normal)
    residual = points[inside] @ normal - offset
    if _points_up(normal, offset, points, threshold, cameras) < 0:
        normal, offset = -normal, -offset
    return FloorFit(normal, float(offset), float(np.sqrt(np.mean(residual**2))), int(inside.sum()), threshold,
                    len(points))  # fmt: skip


def _usable_points(points: np.ndarray, confidence: np.ndarray | None, source: str) -> tuple[np.ndarray, np.ndarray]:
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    weights = np.ones(len(points)) if confidence is None else np.asarray(confidence, dtype=np.float64).reshape(-1)
    if len(weights) != len(points):
        raise CaseError(source, "confidence", f"{len(weights)} confidences for {len(points)} points")
    keep = np.isfinite(points).all(axis=1) & np.isfinite(weights) & (weights > 0)
    if keep.sum() < 50:
        raise CaseError(source, "points", f"{int(keep.sum())} finite, confident points: too few to find a floor")
    return points[keep], weights[keep]


def _plane_hypotheses(
    points: np.ndarray, weights: np.ndarray, rng: np.random.Generator, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Planes through random triples (drawn by confidence): unit normals (H, 3) and offsets (H,)."""
    triples = points[rng.choice(len(points), size=(count, 3), p=weights / weights.sum())]
    normals = np.cross(triples[:, 1] - triples[:, 0], triples[:, 2] - triples[:, 0])
    length = np.linalg.norm(normals, axis=1)
    good = length > 1e-12 * max(float(length.max()), 1e-300)
    normals = normals[good] / length[good, None]
    return normals, np.einsum("hi,hi->h", normals, triples[good, 0])


def _cameras_up(cameras: np.ndarray) -> np.ndarray:
    """The cameras' mean image-up direction (-y of OpenCV axes), unit."""
    up = -np.asarray(cameras, dtype=np.float64).reshape(-1, 4, 4)[:, :3, 1].sum(axis=0)
    return up / np.linalg.norm(up)


def _best_one_sided_plane(
    points: np.ndarray, normals: np.ndarray, offsets: np.ndarray, threshold: float, max_other_side: float,
    up: np.ndarray | None, min_support: int, source: str,
) -> tuple[np.ndarray, float]:  # fmt: skip
    best, best_support = None, min_support
    for start in range(0, len(normals), 64):
        distance = points @ normals[start : start + 64].T - offsets[start : start + 64]  # (N, h)
        support = (np.abs(distance) < threshold).sum(axis=0)
        above, below = (distance > 3 * threshold).sum(axis=0), (distance < -3 * threshold).sum(axis=0)
        minority = np.minimum(above, below) / np.maximum(above + below, 1)
        candidate = minority <= max_other_side
        if up is not None:
            candidate &= np.abs(normals[start : start + 64] @ up) > np.cos(np.radians(60.0))
        support = np.where(candidate, support, 0)
        if support.max() > best_support:
            best, best_support = start + int(support.argmax()), int(support.max())
    if best is None:
        raise CaseError(source, "points", "no plane with the scene on one side of it: cannot find the floor")
    return normals[best], float(offsets[best])


def _least_squares_plane(points: np.ndarray, weights: np.ndarray, hint: np.ndarray) -> tuple[np.ndarray, float]:
    """Weighted total-least-squares plane, its normal on the side of `hint`."""
    centre = np.average(points, axis=0, weights=weights)
    centred = (points - centre) * np.sqrt(weights)[:, None]
    normal = np.linalg.svd(centred, full_matrices=False)[2][-1]
    normal = normal if normal @ hint >= 0 else -normal
    return normal, float(normal @ centre)


def _points_up(
    normal: np.ndarray, offset: float, points: np.ndarray, threshold: float, cameras: np.ndarray | None
) -> float:
    """Positive when `normal` points to the scene's side: where the cameras are, else most off-floor points."""
    if cameras is not None:
        return float(np.sum(np.asarray(cameras).reshape(-1, 4, 4)[:, :3, 3] @ normal - offset))
    height = points @ normal - offset
    return float((height > 3 * threshold).sum() - (height < -3 * threshold).sum())


# Bones whose length no pose changes: a joint and its kinematic child move rigidly together in SMPL's
# skinning, so their distance is the rest bone length in every frame (hip width: both hips hang off the
# pelvis). Shoulder width goes through the collar joints and changes a little with shrugs; the median over
# segments and frames absorbs that. Distances between joints of different chains (wrist to hip, say) would
# measure the pose, not the person.
SEGMENTS: dict[str, tuple[str, str]] = {
    "left_upper_arm": ("left_shoulder", "left_elbow"),
    "right_upper_arm": ("right_shoulder", "right_elbow"),
    "left_forearm": ("left_elbow", "left_wrist"),
    "right_forearm": ("right_elbow", "right_wrist"),
    "left_thigh": ("left_hip", "left_knee"),
    "right_thigh": ("right_hip", "right_knee"),
    "left_shank": ("left_knee", "left_ankle"),
    "right_shank": ("right_knee", "right_ankle"),
    "shoulder_width": ("left_shoulder", "right_shoulder"),
    "hip_width": ("left_hip", "right_hip"),
}


@dataclass(frozen=True)
class ScaleFit:
    """Metres per capture unit, from the people's bone lengths, and how well the segments agree."""

    metres_per_unit: float
    spread: float  # robust relative spread of the per-sample ratios (1.4826 MAD / median)
    segments: int  # distinct segments that had measurements
    frames: int  # capture frames that contributed
    samples: int  # (frame or view, segment) measurements
    method: str  # "triangulation" or "point_map"
    person_id: str
    per_segment: dict[str, float] = field(default_factory=dict)  # segment -> median ratio

    def to_json(self) -> dict[str, Any]:
        return {
            "metres_per_unit": float(self.metres_per_unit), "spread": float(self.spread),
            "segments": self.segments, "frames": self.frames, "samples": self.samples, "method": self.method,
            "person": self.person_id, "per_segment": {k: float(v) for k, v in self.per_segment.items()},
        }  # fmt: skip


def metric_scale(
    capture: Capture,
    person_id: str | None = None,
    method: str = "auto",
    *,
    min_confidence: float = 0.3,
    max_reprojection_px: float = 15.0,
    models_dir: str | Path | None = None,
) -> ScaleFit:
    """The scene's metric scale from a person's bone lengths.

    The person's keypoints are placed in capture units by `method`: "triangulation" (their 2D keypoints in
    two or more calibrated views, cameras in capture units) or "point_map" (each view's point map read at
    the keypoint pixels); "auto" triangulates when two views saw the person. Each pose-independent segment
    (`SEGMENTS`) measured in a frame gives one ratio rest length / measured length, the rest lengths coming
    from the body model at the person's betas; the scale is the median ratio, its spread the residual. A
    point map's pixel lies on the skin, a few centimetres in front of the joint; both ends of a segment
    shift alike, so its length changes little.
    """
    person = _person(capture, person_id)
    rest = _rest_keypoints(person.motion, models_dir)
    if method == "auto":
        method = "triangulation" if len(set(person.keypoints) & set(capture.cameras)) >= 2 else "point_map"
    if method == "triangulation":
        layout, frames, lifted = _triangulated(person, capture.cameras, min_confidence, max_reprojection_px)
    elif method == "point_map":
        layout, frames, lifted = _lifted(person, capture, min_confidence)
    else:
        raise CaseError("capture", "method", f"unknown scale method {method!r}: triangulation, point_map or auto")
    detector, body = correspondence(layout, rest.names)
    where = {rest.names[b]: d for d, b in zip(detector, body, strict=True)}
    ratios, per_segment, used_frames = [], {}, set()
    for segment, (a, b) in SEGMENTS.items():
        if a not in where or b not in where:
            continue
        rest_length = float(np.linalg.norm(rest.positions[0, rest.index(a)] - rest.positions[0, rest.index(b)]))
        measured = np.linalg.norm(lifted[:, where[a]] - lifted[:, where[b]], axis=-1)
        ok = np.isfinite(measured) & (measured > 0)
        if ok.any():
            ratio = rest_length / measured[ok]
            ratios.append(ratio)
            per_segment[segment] = float(np.median(ratio))
            used_frames.update(int(f) for f in frames[ok])
    if not ratios:
        raise CaseError(
            f"person {person.person_id}", "keypoints",
            f"no bone segment ({', '.join(SEGMENTS)}) was seen with both ends by {method}: no metric scale",
        )  # fmt: skip
    ratio = np.concatenate(ratios)
    scale = float(np.median(ratio))
    spread = 1.4826 * float(np.median(np.abs(ratio - scale))) / scale
    return ScaleFit(scale, spread, len(per_segment), len(used_frames), len(ratio), method, person.person_id,
                    per_segment)  # fmt: skip


def _person(capture: Capture, person_id: str | None) -> Person:
    for person in capture.people:
        if (person_id is None and person.keypoints) or person.person_id == person_id:
            return person
    wanted = "with 2D keypoints" if person_id is None else f"{person_id!r}"
    raise CaseError("capture", "people", f"no person {wanted}: the metric scale comes from a person's bones")


def _rest_keypoints(motion: Motion | None, models_dir: str | Path | None):
    """The body model's keypoints at rest (zero pose, zero translation) for the motion's body; mean shape
    (betas 0, open model) when the person came with 2D evidence only."""
    model_type = "smpl" if motion is None else motion.model_type
    betas = np.zeros(10) if motion is None else np.asarray(motion.betas, dtype=np.float64)
    rest = Motion(
        fps=1.0, betas=betas, global_orient=np.zeros((1, 3)), body_pose=np.zeros((1, BODY_POSE_WIDTH[model_type])),
        transl=np.zeros((1, 3)), model_type=model_type, gender="neutral" if motion is None else motion.gender,
        pelvis_rest=None if motion is None else motion.pelvis_rest,
    )  # fmt: skip
    return posed_keypoints(rest, np.array([0]), models_dir)


def _triangulated(
    person: Person, cameras: dict[str, CameraTrack], min_confidence: float, max_reprojection_px: float
) -> tuple[str, np.ndarray, np.ndarray]:
    """(layout, frames (T,), keypoints (T, J, 3) with NaN where fewer than two views agree)."""
    views = [(cameras[name], points) for name, points in person.keypoints.items() if name in cameras]
    if len(views) < 2:
        raise CaseError(f"person {person.person_id}", "keypoints", "triangulation needs two calibrated views")
    layout = _one_layout([points for _, points in views], person)
    frames = np.unique(np.concatenate([points.frames for _, points in views]))
    joints = views[0][1].pixels.shape[1]
    rows = np.zeros((len(frames), joints, 2 * len(views), 4))  # DLT rows, confidence-weighted; 0 = no view
    projections = np.zeros((len(frames), len(views), 3, 4))
    pixels = np.full((len(frames), len(views), joints, 2), np.nan)
    for v, (camera, points) in enumerate(views):
        for t, frame in enumerate(frames):
            hit = np.flatnonzero(points.frames == frame)
            if not len(hit) or not _has_pose(camera, int(frame)):
                continue
            pose = camera.pose(int(frame))
            world_to_camera = np.hstack([pose[:3, :3].T, -pose[:3, :3].T @ pose[:3, 3:4]])
            projection = camera.intrinsics @ world_to_camera
            projections[t, v] = projection
            uv, score = np.nan_to_num(points.pixels[hit[0]]), np.nan_to_num(points.confidence[hit[0]])
            seen = score >= min_confidence
            weight = np.where(seen, score, 0.0)
            pixels[t, v, seen] = uv[seen]
            rows[t, :, 2 * v] = weight[:, None] * (uv[:, :1] * projection[2] - projection[0])
            rows[t, :, 2 * v + 1] = weight[:, None] * (uv[:, 1:] * projection[2] - projection[1])
    solution = np.linalg.svd(rows)[2][..., -1, :]  # (T, J, 4)
    with np.errstate(divide="ignore", invalid="ignore"):
        lifted = solution[..., :3] / solution[..., 3:]
    views_seen = (~np.isnan(pixels[..., 0])).sum(axis=1)  # (T, J)
    homogeneous = np.concatenate([lifted, np.ones(lifted.shape[:2] + (1,))], axis=-1)
    projected = np.einsum("tvij,tkj->tvki", projections, homogeneous)  # (T, V, J, 3)
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.linalg.norm(projected[..., :2] / projected[..., 2:] - pixels, axis=-1)
        in_front = np.where(np.isnan(pixels[..., 0]), True, projected[..., 2] > 0).all(axis=1)
    worst = np.where(np.isnan(error), 0.0, error).max(axis=1)
    good = (views_seen >= 2) & in_front & (worst <= max_reprojection_px)
    lifted[~good] = np.nan
    return layout, frames, lifted


def _has_pose(camera: CameraTrack, frame: int) -> bool:
    return len(camera.frames) == 1 or bool(np.any(camera.frames == frame))


def _lifted(person: Person, capture: Capture, min_confidence: float) -> tuple[str, np.ndarray, np.ndarray]:
    """(layout, frame of each lifted view (L,), keypoints (L, J, 3)): each point map read at the keypoint
    pixels (nearest pixel, rescaled to the point map's resolution), NaN where unseen or not confident."""
    maps = [] if capture.scene is None else capture.scene.point_maps
    lifts, frames, layouts = [], [], []
    for point_map in maps:
        points = person.keypoints.get(point_map.camera)
        camera = capture.cameras.get(point_map.camera)
        hit = [] if points is None else np.flatnonzero(points.frames == point_map.frame)
        if camera is None or not len(hit):
            continue
        height, width = point_map.points.shape[:2]
        uv = points.pixels[hit[0]] * [width / camera.width, height / camera.height]
        col, row = np.floor(uv[:, 0]).astype(int), np.floor(uv[:, 1]).astype(int)
        inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
        seen = inside & (points.confidence[hit[0]] >= min_confidence)
        lift = np.full((len(uv), 3), np.nan)
        lift[seen] = point_map.points[row[seen], col[seen]]
        lift[seen & ~(point_map.confidence[np.clip(row, 0, height - 1), np.clip(col, 0, width - 1)] > 0)] = np.nan
        people = labelled(capture, point_map, is_person)
        if people is not None:  # a keypoint off the person's silhouette would read what lies behind it
            lift[~people[np.clip(row, 0, height - 1), np.clip(col, 0, width - 1)]] = np.nan
        lifts.append(lift)
        frames.append(point_map.frame)
        layouts.append(points)
    if not lifts:
        raise CaseError(
            f"person {person.person_id}", "keypoints", "no point map of a view and frame where the person was seen"
        )  # fmt: skip
    return _one_layout(layouts, person), np.array(frames), np.stack(lifts)


def _one_layout(keypoints: list[Keypoints2D], person: Person) -> str:
    layouts = {points.layout for points in keypoints}
    if len(layouts) != 1:
        raise CaseError(f"person {person.person_id}", "keypoints", f"mixed layouts {sorted(layouts)} across views")
    return layouts.pop()


def to_world(capture: Capture, floor: FloorFit, scale: ScaleFit | None) -> Similarity:
    """The similarity from the capture frame to the world: floor at z = 0, Z up, metres.

    Heading: the first camera's viewing direction (at its first pose), made horizontal, becomes +X; origin:
    the floor point below that camera. Without cameras, the capture frame's x axis and the floor point below
    the scene points' median stand in. `scale` None is allowed only for a capture already in metres.
    """
    if scale is None and not capture.metric:
        raise CaseError("capture", "scale", "the capture is not metric: a metric scale (metric_scale) is needed")
    metres = 1.0 if scale is None else scale.metres_per_unit
    up = floor.normal
    if capture.cameras:
        pose = next(iter(capture.cameras.values())).camera_to_world[0]
        forward, anchor = pose[:3, 2], pose[:3, 3]
    else:
        forward = np.array([1.0, 0.0, 0.0])
        anchor = np.median(capture.scene.points, axis=0) if capture.scene is not None else np.zeros(3)
    heading = forward - (forward @ up) * up
    if np.linalg.norm(heading) < 1e-6:  # looking straight down: any horizontal axis will do, take one
        heading = np.cross(up, [1.0, 0.0, 0.0] if abs(up[0]) < 0.9 else [0.0, 1.0, 0.0])
    x_axis = heading / np.linalg.norm(heading)
    rotation = np.stack([x_axis, np.cross(up, x_axis), up])  # rows: the world axes in capture coordinates
    origin = anchor - floor.height(anchor) * up
    return Similarity(metres, rotation, -metres * rotation @ origin)


def world_capture(
    capture: Capture, floor: FloorFit, scale: ScaleFit | None, models_dir: str | Path | None = None
) -> tuple[Capture, Similarity]:
    """The capture moved into its metric, gravity-aligned world (a new Capture; the input is not modified).

    Cameras, scene points, point maps and the people reconstructed in the capture frame move; pixels,
    masks and generated objects (in their own frames) do not, and people in a camera's or their own
    gravity frame are left to the capture alignment. Both fits and the similarity go into the provenance.
    """
    similarity = to_world(capture, floor, scale)
    cameras = {
        name: replace(camera, camera_to_world=np.stack([similarity.apply_pose(p) for p in camera.camera_to_world]))
        for name, camera in capture.cameras.items()
    }
    scene = None if capture.scene is None else _moved_scene(capture.scene, similarity)
    people = [_moved_person(p, similarity, models_dir) if p.frame_of_reference == "capture" else p
              for p in capture.people]  # fmt: skip
    record = {
        "step": "world",
        "floor": floor.to_json(),
        "floor_rms_m": floor.rms * similarity.scale,
        "scale": None if scale is None else scale.to_json(),
        "capture_to_world": similarity.to_json(),
        "heading": "the first camera's viewing direction, made horizontal, is +X",
        "origin": "the floor point below the first camera" if capture.cameras else "below the scene points' median",
        "people_left_in_their_frame": [p.person_id for p in capture.people if p.frame_of_reference != "capture"],
    }
    moved = replace(capture, cameras=cameras, scene=scene, people=people, metric=True,
                    provenance=[*capture.provenance, record])  # fmt: skip
    return moved, similarity


def _moved_scene(scene: SceneGeometry, similarity: Similarity) -> SceneGeometry:
    maps = [replace(m, points=similarity.apply(m.points)) for m in scene.point_maps]
    return replace(scene, points=similarity.apply(scene.points), point_maps=maps)


def _moved_person(person: Person, similarity: Similarity, models_dir: str | Path | None) -> Person:
    if person.motion is None:
        return person
    pelvis = motion_pelvis_rest(person.motion, MotionImportOptions(body_models=models_dir))
    rotation = Rotation.from_matrix(similarity.rotation)
    moved = moved_motion(person.motion, rotation, similarity.translation, pelvis, similarity.scale)
    return replace(person, motion=moved)
