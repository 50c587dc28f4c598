"""Generated objects placed in the scene: a similarity (scale, rotation, translation) per object, fitted to
the scene points under its mask.

The scene points see only the side the cameras saw, with noise and stray points, and a generated mesh has
no metric scale and a frame of its own, so a local fit alone would settle in the first minimum it meets.
The fit therefore starts from several rotation hypotheses, each with a scale from the extents and a
translation from the centroids, and runs a trimmed, scale-aware ICP (observed points to their nearest
points on the mesh surface, Warp's BVH in `kernels.mesh_distance`; the worst residuals dropped each round so
strays do not pull) from each; the lowest trimmed residual wins. Instances of one multi-instance generation
(MIDI) share their frame: one similarity for all of them is fitted jointly first, each observed point
matched only to its own instance's mesh, which pins the rotation down even where one object alone is
symmetric. The instances keep that one similarity: the generator's relative placement is trusted, because
refining each instance alone on its one-sided, noisy points drifted in scale (up to 13% on the bundled
chair with noise of 1% of the scene) where the joint fit stayed within 1%. A single object of a
gravity-aligned scene is tried upright (the importer made its canonical up +Z) at several headings. Alone,
an object is at the mercy of noise thicker than its thin parts: with 4.5 cm of noise the bundled chair came
out 10-13% too large, where the joint fit of a room holding it stayed within 0.6%.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import trimesh
from scipy.ndimage import binary_erosion
from scipy.spatial.transform import Rotation

from ...hsi.errors import CaseError
from ...kernels.mesh_distance import MeshDistance
from .masks import labelled
from .model import Capture, GeneratedObject
from .world import Similarity

_RANKED_SHARE = 0.8  # hypotheses are ranked by the RMS of their closest 80% of correspondences
_FAR = 1.0e6  # nearest-surface search radius in the object's frame: everything


@dataclass
class PlacedObject:
    """A generated object in the scene's frame, with how well it fits what the cameras saw."""

    name: str
    mask_label: str | None
    similarity: Similarity  # object frame -> scene frame
    mesh: trimesh.Trimesh  # in the scene frame
    residual: float  # RMS distance of the kept points to the placed surface, scene units
    kept_share: float  # share of the points kept (within 3 robust standard deviations of the residuals)
    points: int  # scene points used


def masked_points(capture: Capture, mask_label: str, min_confidence: float = 0.0) -> np.ndarray:
    """Scene points (N, 3) of the point maps whose pixels carry `mask_label` in that camera's mask at that frame."""
    found = []
    for point_map in [] if capture.scene is None else capture.scene.point_maps:
        under = labelled(capture, point_map, lambda label: label == mask_label)
        if under is None:
            continue
        # eroded by a pixel: a point-map pixel at the silhouette's edge may see what lies behind the object
        inside = binary_erosion(under) & (point_map.confidence > min_confidence)
        inside &= np.isfinite(point_map.points).all(axis=-1)
        found.append(point_map.points[inside])
    return np.concatenate(found) if found else np.zeros((0, 3))


def fit_objects(
    objects: list[GeneratedObject],
    points: dict[str, np.ndarray],
    *,
    shared_frame: bool,
    gravity_aligned: bool = False,
    max_points: int = 2000,
) -> list[PlacedObject]:
    """Place `objects` by the scene points `points[name]` (scene frame) under each one's mask.

    `shared_frame`: the objects come from one multi-instance generation and keep their relative placement
    (fitted jointly first). `gravity_aligned`: the scene frame is Z up and the objects' own frames too, so a
    single object is tried upright only. At most `max_points` random points per object are used: a
    similarity has seven parameters, and the ICP's cost grows with the points."""
    for obj in objects:
        if len(points.get(obj.name, ())) < 10:
            raise CaseError(
                f"object {obj.name}", "points", f"{len(points.get(obj.name, ()))} scene points under its mask "
                "(at least 10 needed to place it)",
            )  # fmt: skip
    fields = [MeshDistance(obj.mesh.vertices, obj.mesh.faces) for obj in objects]
    rng = np.random.default_rng(0)
    targets = [_at_most(np.asarray(points[obj.name], dtype=np.float64), max_points, rng) for obj in objects]
    if shared_frame:
        vertices = np.concatenate([obj.mesh.vertices for obj in objects])
        starts = [
            _initial(vertices, np.concatenate(targets), r, upright=False) for r in _general_rotations().as_matrix()
        ]
        if len(objects) >= 3:  # instance centres matched to the centres of their points
            centres = np.stack([obj.mesh.vertices.mean(axis=0) for obj in objects])
            starts.append(similarity_from_pairs(centres, np.stack([np.median(t, axis=0) for t in targets])))
        fits = [_best_fit(fields, targets, starts)] * len(objects)
    else:
        rotations = (_upright_rotations() if gravity_aligned else _general_rotations()).as_matrix()
        fits = [
            _best_fit([field], [target], [_initial(obj.mesh.vertices, target, r, gravity_aligned) for r in rotations])
            for obj, field, target in zip(objects, fields, targets, strict=True)
        ]
    placed = zip(objects, fits, fields, targets, strict=True)
    return [_placed(obj, fit, field, target) for obj, fit, field, target in placed]


def _at_most(points: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    return points if len(points) <= count else points[rng.choice(len(points), size=count, replace=False)]


def _general_rotations() -> Rotation:
    """The 60 rotations of the icosahedral group, spread evenly over SO(3), and the same turned by 36 degrees
    about a skew axis: every rotation is within about 41 degrees of one of them (measured on 20,000 random
    ones), inside the basin of the ICP that follows."""
    group = Rotation.create_group("I")
    twist = Rotation.from_rotvec(np.radians(36.0) * np.array([1.0, 2.0, 3.0]) / np.sqrt(14.0))
    return Rotation.concatenate([group, group * twist])


def _upright_rotations(step_deg: float = 30.0) -> Rotation:
    return Rotation.from_euler("z", np.arange(0.0, 360.0, step_deg)[:, None], degrees=True)


def _best_fit(fields: list[MeshDistance], targets: list[np.ndarray], starts: list[Similarity]) -> Similarity:
    """Every start scored on a subsample, the best few polished by short ICP runs on it, the best two run to
    convergence on all points; the lowest trimmed residual wins."""
    rng = np.random.default_rng(0)
    sample = [_at_most(t, 250, rng) for t in targets]
    ranked = sorted(starts, key=lambda start: _trimmed_rms(fields, sample, start))[:8]
    polished = sorted((_icp(fields, sample, start, iterations=8) for start in ranked[:8]),
                      key=lambda fit: _trimmed_rms(fields, sample, fit))  # fmt: skip
    finals = [_icp(fields, targets, _icp(fields, targets, fit, 10), 30, to_plane=True) for fit in polished[:2]]
    return min(finals, key=lambda fit: _trimmed_rms(fields, targets, fit))


def _initial(vertices: np.ndarray, observed: np.ndarray, rotation: np.ndarray, upright: bool) -> Similarity:
    """Scale from the extents (height alone when upright: the visible side spans the whole height), centroids
    matched (bottoms too when upright: generated objects stand on their base)."""
    turned = vertices @ rotation.T
    low, high = np.percentile(observed, [2, 98], axis=0)
    if upright:
        scale = (high[2] - low[2]) / np.ptp(turned[:, 2])
    else:
        scale = np.linalg.norm(high - low) / np.linalg.norm(np.ptp(turned, axis=0))
    translation = np.median(observed, axis=0) - scale * turned.mean(axis=0)
    if upright:
        translation[2] = low[2] - scale * turned[:, 2].min()
    return Similarity(float(scale), rotation, translation)


def _correspondences(
    fields: list[MeshDistance], targets: list[np.ndarray], fit: Similarity
) -> tuple[np.ndarray, np.ndarray]:
    """(nearest surface points in the object frame, observed points), each observed point on its own mesh."""
    inverse = fit.inverse()
    surface = [
        field.query(inverse.apply(target), max_distance=_FAR)[1] for field, target in zip(fields, targets, strict=True)
    ]
    return np.concatenate(surface), np.concatenate(targets)


def _icp(
    fields: list[MeshDistance], targets: list[np.ndarray], fit: Similarity, iterations: int, to_plane: bool = False
) -> Similarity:
    """Trimmed ICP. Point to point (Umeyama on the pairs) has the wide basin the hypotheses need; point to
    plane (a Gauss-Newton step on the distances, along each pair's direction) converges where point to point
    crawls, along flat surfaces that slide over each other, so the final polish uses it."""
    for _ in range(iterations):
        surface, observed = _correspondences(fields, targets, fit)
        residual = np.linalg.norm(fit.apply(surface) - observed, axis=1)
        kept = _kept(residual, observed)
        step = _plane_step if to_plane else _point_step
        updated = step(fit, surface[kept], observed[kept])
        moved = np.linalg.norm(updated.apply(surface[kept]) - fit.apply(surface[kept]), axis=1).max()
        fit = updated
        if moved < 1e-4 * np.sqrt(np.mean(residual[kept] ** 2) + 1e-300) + 1e-12:
            break
    return fit


def _point_step(fit: Similarity, surface: np.ndarray, observed: np.ndarray) -> Similarity:
    return similarity_from_pairs(surface, observed)


def _plane_step(fit: Similarity, surface: np.ndarray, observed: np.ndarray) -> Similarity:
    """One Gauss-Newton step of the point-to-surface distances in scale, rotation and translation about the
    placed points' centroid."""
    placed = fit.apply(surface)
    offset = observed - placed
    distance = np.linalg.norm(offset, axis=1)
    usable = distance > 1e-12 * (1.0 + np.abs(placed).max())
    normal = offset[usable] / distance[usable, None]
    centre = placed[usable].mean(axis=0)
    arm = placed[usable] - centre
    jacobian = np.column_stack([np.einsum("ij,ij->i", normal, arm), np.cross(arm, normal), normal])
    delta = np.linalg.lstsq(jacobian, distance[usable], rcond=None)[0]
    turn = Rotation.from_rotvec(delta[1:4]).as_matrix()
    step = Similarity(1.0 + delta[0], turn, centre + delta[4:] - (1.0 + delta[0]) * turn @ centre)
    return fit.then(step)


def _kept(residual: np.ndarray, observed: np.ndarray) -> np.ndarray:
    """Correspondences within 3 robust standard deviations of the residuals' own spread, and at least within
    2% of the points' extent: noise stays, strays go (a fixed share would also cut noise tails, or keep strays
    when there are many). The floor keeps clean data from trimming away the very points that would pull a
    nearly aligned fit home."""
    extent = float(np.linalg.norm(np.ptp(observed, axis=0)))
    return residual <= max(3.0 * 1.4826 * float(np.median(residual)), 0.02 * extent)


def _trimmed_rms(fields: list[MeshDistance], targets: list[np.ndarray], fit: Similarity) -> float:
    surface, observed = _correspondences(fields, targets, fit)
    residual = np.linalg.norm(fit.apply(surface) - observed, axis=1)
    return float(np.sqrt(np.mean(np.sort(residual)[: max(1, int(_RANKED_SHARE * len(residual)))] ** 2)))


def similarity_from_pairs(source: np.ndarray, target: np.ndarray) -> Similarity:
    """The least-squares similarity taking `source` (N, 3) onto `target` (N, 3) (Umeyama's closed form)."""
    source_mean, target_mean = source.mean(axis=0), target.mean(axis=0)
    a, b = source - source_mean, target - target_mean
    u, singular, vt = np.linalg.svd(b.T @ a / len(source))
    sign = np.ones(3)
    sign[2] = np.sign(np.linalg.det(u) * np.linalg.det(vt)) or 1.0
    rotation = u @ np.diag(sign) @ vt
    scale = float((singular * sign).sum() / np.mean(np.sum(a**2, axis=1)))
    return Similarity(scale, rotation, target_mean - scale * rotation @ source_mean)


def _placed(obj: GeneratedObject, fit: Similarity, field: MeshDistance, target: np.ndarray) -> PlacedObject:
    surface, observed = _correspondences([field], [target], fit)
    residual = np.linalg.norm(fit.apply(surface) - observed, axis=1)
    kept = _kept(residual, observed)
    rms = float(np.sqrt(np.mean(residual[kept] ** 2)))
    mesh = obj.mesh.copy()
    mesh.apply_transform(fit.matrix)
    return PlacedObject(obj.name, obj.mask_label, fit, mesh, rms, float(kept.mean()), len(target))
