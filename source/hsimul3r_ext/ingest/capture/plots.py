"""A picture of the world a capture was put in: the scene's points, the floor, the cameras, the placed objects
and the person, seen from above and from the side, so a user sees at once whether the floor is level, the
scale plausible (a person among the furniture) and the objects where the points are."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import trimesh

from ...body.posed_surface import posed_keypoints
from .model import Capture, Person

MAX_POINTS = 6000  # scene points drawn (evenly subsampled)
MARGIN_M = 0.75  # around the person, the objects and the cameras
VIEWS = (("from above", 0, 1, "x (m)", "y (m)"), ("from the side", 0, 2, "x (m)", "z (m)"))


def plot_capture_world(
    path: Path, name: str, world: Capture, objects: dict[str, trimesh.Trimesh], person: Person
) -> Path:
    """One PNG, two panels; `world` in metres with the floor at z = 0."""
    figure, axes = plt.subplots(1, 2, figsize=(12, 5.5))
    points = np.zeros((0, 3)) if world.scene is None else world.scene.points
    points = points[:: max(1, len(points) // MAX_POINTS)]
    middle = int(person.motion.num_frames // 2)
    body = posed_keypoints(person.motion, np.array([middle])).positions[0]
    # the interaction and its cameras, not the floor's far reaches
    framed = np.concatenate([body, *[c.camera_to_world[:, :3, 3] for c in world.cameras.values()],
                             *[np.asarray(m.vertices) for m in objects.values()], np.zeros((1, 3))])  # fmt: skip
    limits = np.stack([framed.min(axis=0) - MARGIN_M, framed.max(axis=0) + MARGIN_M], axis=1)
    for axis, (title, a, b, x_label, y_label) in zip(axes, VIEWS, strict=True):
        axis.scatter(points[:, a], points[:, b], s=0.5, c="0.65", label="scene points")
        for index, (object_name, mesh) in enumerate(objects.items()):
            vertices = np.asarray(mesh.vertices)
            axis.scatter(vertices[:, a], vertices[:, b], s=3, c=f"C{index + 1}", label=object_name)
        axis.scatter(body[:, a], body[:, b], s=12, c="C3", marker="x", label=f"person {person.person_id}")
        for camera in world.cameras.values():
            centre, forward = camera.camera_to_world[0][:3, 3], camera.camera_to_world[0][:3, 2]
            axis.plot(*zip(centre[[a, b]], centre[[a, b]] + 0.4 * forward[[a, b]], strict=True), c="C0", lw=1)
            axis.scatter(*centre[[a, b]], c="C0", s=18, marker="s")
            axis.annotate(camera.name, centre[[a, b]], fontsize=7)
        if b == 2:
            axis.axhline(0.0, c="k", lw=0.8, label="floor (z = 0)")
        axis.set_xlim(*limits[a])
        axis.set_ylim(*limits[b])
        axis.set_title(f"{name}: {title}")
        axis.set_xlabel(x_label)
        axis.set_ylabel(y_label)
        axis.set_aspect("equal", adjustable="box")
    axes[0].legend(loc="best", fontsize=7, markerscale=3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
