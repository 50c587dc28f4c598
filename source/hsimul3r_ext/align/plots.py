"""Pictures of the alignment: the body and the objects before and after, seen from the side and from above,
at the frame with the most intended contact; and the loss terms over the optimisation."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from .optimise import AlignmentResult
from .problem import AlignmentProblem

VIEWS = (("side (x-z)", 0, 2), ("top (x-y)", 0, 1))


def plot_alignment(path: Path, name: str, problem: AlignmentProblem, result: AlignmentResult) -> Path:
    contacts = problem.contacts
    frame = int(np.bincount(contacts.frame).argmax()) if len(contacts) else len(problem.surface.frames) - 1
    skin = problem.surface.vertices[frame]
    placements = (("before", skin, problem.objects), ("after", skin + result.human_translation, result.objects))
    figure, axes = plt.subplots(2, 2, figsize=(10, 9))
    for row, (label, body, objects) in enumerate(placements):
        for column, (view, a, b) in enumerate(VIEWS):
            axis = axes[row, column]
            for k, obj in enumerate(objects):
                points = obj.world(obj.samples)
                axis.scatter(points[:, a], points[:, b], s=1, color=f"C{k + 1}", label=obj.name)
            axis.scatter(body[:, a], body[:, b], s=1, color="C0", label="human")
            if b == 2:
                axis.axhline(0.0, color="0.4", lw=0.8)
            axis.set_aspect("equal")
            axis.set_title(f"{label}: {view}, frame {int(problem.surface.frames[frame])}")
    axes[0, 0].legend(loc="upper left", markerscale=6)
    figure.suptitle(f"{name}: alignment with the 3D structural prior")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path


def plot_losses(path: Path, name: str, losses: dict[str, list[float]]) -> Path:
    figure, axis = plt.subplots(figsize=(8, 4))
    for key, values in losses.items():
        values = np.asarray(values)
        if (values > 0).any():
            axis.semilogy(np.maximum(values, 1e-12), label=key)
    axis.set_xlabel("step")
    axis.set_ylabel("loss (weighted total, raw terms)")
    axis.set_title(f"{name}: alignment losses")
    if axis.lines:
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    plt.close(figure)
    return path
