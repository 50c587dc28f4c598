"""A picture of the capture alignment: in each view, at one frame, the detections against the body keypoints
projected before and after, so a user sees at a glance which view the fit disagrees with."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from ..ingest.capture.model import Capture
from .capture import CaptureAlignResult

MAX_VIEWS = 8
COLUMNS = 4
MARKERS = (("detected", "o", "C2"), ("before", "x", "C3"), ("after", "+", "C0"))


def representative_frame(result: CaptureAlignResult) -> int:
    """The capture frame with the most detection confidence over all views and people."""
    total: dict[int, float] = {}
    for views in result.views.values():
        for fit in views.values():
            for frame, confidence in zip(fit.frames, fit.confidence, strict=True):
                total[int(frame)] = total.get(int(frame), 0.0) + float(confidence.sum())
    return max(sorted(total), key=total.__getitem__)


def plot_capture_alignment(path: Path, name: str, capture: Capture, result: CaptureAlignResult) -> Path:
    """One PNG: a panel per view (the first MAX_VIEWS that saw someone) at the representative frame."""
    frame = representative_frame(result)
    cameras = [c for c in capture.cameras if any(c in views for views in result.views.values())][:MAX_VIEWS]
    rows = -(-len(cameras) // COLUMNS)
    columns = min(COLUMNS, len(cameras))
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.6 * rows + 0.6), squeeze=False)
    errors = result.reprojection_px()
    for axis, camera_name in zip(axes.flat, cameras, strict=False):
        camera = capture.cameras[camera_name]
        titles = []
        for person, views in result.views.items():
            fit = views.get(camera_name)
            if fit is None or frame not in fit.frames:
                continue
            row = int(np.flatnonzero(fit.frames == frame)[0])
            seen = fit.confidence[row] > 0
            points = {
                "detected": fit.detected[row][seen],
                "before": fit.before[row][seen],
                "after": fit.after[row][seen],
            }
            for label, marker, colour in MARKERS:
                axis.scatter(*points[label].T, marker=marker, color=colour, s=22, label=label)
            for a, b in zip(points["detected"], points["after"], strict=True):
                axis.plot([a[0], b[0]], [a[1], b[1]], color="0.5", lw=0.6)
            error = errors[person][camera_name]
            titles.append(f"person {person}: {error['before']:.1f} -> {error['after']:.1f} px")
        axis.set_xlim(0, camera.width)
        axis.set_ylim(camera.height, 0)  # image rows grow downwards
        axis.set_aspect("equal")
        axis.set_title("\n".join([f"{camera_name}, frame {frame}", *titles]), fontsize=8)
    for axis in axes.flat[len(cameras) :]:
        axis.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    figure.legend(unique.values(), unique.keys(), loc="lower center", ncol=len(unique))
    figure.suptitle(f"{name}: 2D keypoints vs projected body keypoints (mean error before -> after, scale "
                    f"{result.scale:.3f})", fontsize=10)  # fmt: skip
    figure.tight_layout(rect=(0, 0.05, 1, 1))
    figure.savefig(path, dpi=80)
    plt.close(figure)
    return path
