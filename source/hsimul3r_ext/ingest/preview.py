"""What `hsimul3r info` shows: a short text summary and a top/side preview picture."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from ..hsi.case_io import load_mesh
from ..hsi.motion import Motion
from ..hsi.scene import HSIScene
from ..hsi.smpl_layout import SMPL_JOINT_NAMES, SMPL_PARENTS


def object_corners(scene: HSIScene) -> dict[str, np.ndarray]:
    """World-space corners (8, 3) of each object's bounding box at its case pose."""
    corners = {}
    for obj in scene.objects:
        low, high = load_mesh(Path(scene.root) / obj.mesh).bounds
        box = np.array([[x, y, z] for x in (low[0], high[0]) for y in (low[1], high[1]) for z in (low[2], high[2])])
        corners[obj.name] = Rotation.from_quat(obj.orientation).apply(box) + obj.position
    return corners


def summary(scene: HSIScene) -> str:
    lines = [f"case {scene.name!r} ({scene.root})"]
    motion = scene.motion
    if motion is None:
        lines.append("  motion: none")
    else:
        travel = np.linalg.norm(motion.transl[-1] - motion.transl[0])
        lines.append(
            f"  motion: {motion.num_frames} frames at {motion.fps:g} fps ({motion.duration_s:.2f} s), "
            f"{motion.model_type} {motion.gender}, {motion.betas.shape[0]} betas, root travels {travel:.2f} m"
        )
        if motion.joints is not None:
            lines.append(f"  reference joints: {motion.joints.shape[1]}")
        if motion.contact_labels is not None:
            share = motion.contact_labels.mean(axis=0)
            busy = [f"{n} {s:.0%}" for n, s in zip(motion.contact_body_names, share, strict=True) if s > 0]
            lines.append(f"  contact labels: {', '.join(busy) or 'none in contact'}")
    for obj, corners in zip(scene.objects, object_corners(scene).values(), strict=True):
        size = corners.max(axis=0) - corners.min(axis=0)
        position = np.round(obj.position, 2) + 0.0  # no "-0.00" from rotation round-off
        mass = (
            f", {obj.mass_kg:g} kg" if obj.mass_kg else (f", {obj.density_kg_m3:g} kg/m3" if obj.density_kg_m3 else "")
        )
        lines.append(
            f"  object {obj.name}: {obj.category or 'uncategorised'}, {size[0]:.2f} x {size[1]:.2f} x {size[2]:.2f} m "
            f"at ({position[0]:.2f}, {position[1]:.2f}, {position[2]:.2f}){mass}"
            f"{', static' if obj.static else ''}"
        )
    for cloud in scene.point_clouds:
        lines.append(f"  point cloud {cloud.name}: {cloud.num_points} points")
    steps = [record.get("importer") or record.get("step", "?") for record in scene.provenance]
    lines.append(f"  provenance: {', '.join(steps) or 'none recorded'}")
    return "\n".join(lines)


def skeleton(motion: Motion) -> np.ndarray:
    """(T, 24, 3) SMPL joints: the motion's reference joints, else posed from the default body model."""
    if motion.joints is not None and motion.joint_names[:24] == SMPL_JOINT_NAMES:
        return motion.joints[:, :24]
    from ..body.kinematics import forward_kinematics
    from ..body.model_files import read_model_arrays, rest_joints
    from ..body.models import locate_motion_body

    rest = rest_joints(read_model_arrays(locate_motion_body(motion.model_type, motion.gender).path), motion.betas)[:24]
    if motion.pelvis_rest is not None:
        rest = rest - rest[0] + motion.pelvis_rest
    body_pose = np.zeros((motion.num_frames, 69))
    body_pose[:, : motion.body_pose.shape[1]] = motion.body_pose
    return forward_kinematics(rest, motion.global_orient, body_pose, motion.transl)[0]


def render_preview(scene: HSIScene, png: Path, max_skeletons: int = 6) -> Path:
    """Top (x-y) and side (x-z) views: skeleton and pelvis trajectory, and object boxes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 5), constrained_layout=True)
    views = (("top view", 0, 1, "y (m)"), ("side view", 0, 2, "z (m)"))
    boxes = object_corners(scene)
    motion = scene.motion
    joints_all = None if motion is None else skeleton(motion)
    for ax, (title, a, b, ylabel) in zip(axes, views, strict=True):
        for index, (name, corners) in enumerate(boxes.items()):
            colour = f"C{index % 10}"
            hull = _outline(corners[:, [a, b]])
            ax.fill(hull[:, 0], hull[:, 1], alpha=0.25, color=colour, label=name)
            ax.plot(hull[:, 0], hull[:, 1], color=colour)
        if joints_all is not None:
            root = joints_all[:, 0]
            ax.plot(root[:, a], root[:, b], "k-", lw=1, label="pelvis path")
            ax.plot(root[0, a], root[0, b], "go", ms=5, label="start")
            ax.plot(root[-1, a], root[-1, b], "rs", ms=5, label="end")
            frames = np.linspace(0, motion.num_frames - 1, min(max_skeletons, motion.num_frames)).astype(int)
            for k, frame in enumerate(frames):
                joints = joints_all[frame]
                shade = plt.cm.viridis(k / max(len(frames) - 1, 1))
                for child, parent in enumerate(SMPL_PARENTS):
                    if parent >= 0:
                        ax.plot(joints[[parent, child], a], joints[[parent, child], b], color=shade, lw=1.5)
        if b == 2:
            ax.axhline(0.0, color="0.4", lw=1, ls="--", label="ground")
        ax.set_title(title)
        ax.set_xlabel("x (m)")
        ax.set_ylabel(ylabel)
        ax.set_aspect("equal", adjustable="datalim")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="best", fontsize=8)
    shown = "" if motion is None else f": skeleton at {min(max_skeletons, motion.num_frames)} instants"
    fig.suptitle(f"{scene.name}{shown}, early (purple) to late (yellow)" if motion else scene.name)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png


def _outline(points: np.ndarray) -> np.ndarray:
    """Closed convex outline of 2-D points (the projection of a box)."""
    from scipy.spatial import ConvexHull, QhullError

    try:
        hull = ConvexHull(points)
    except QhullError:  # degenerate projection (a flat box seen edge-on)
        return np.vstack([points, points[:1]])
    return np.vstack([points[hull.vertices], points[hull.vertices[:1]]])
