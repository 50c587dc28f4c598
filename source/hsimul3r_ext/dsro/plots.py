"""Pictures of generated objects: a grid of samples per condition and generator, coloured by the verdict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import trimesh

from ..hsi.observation import PinholeCamera
from ..kernels.raycast import look_at, render

_VIEW_PIXELS = 96


def mesh_picture(mesh: trimesh.Trimesh | None) -> np.ndarray:
    """A shaded picture (H, W) of a generated mesh from a fixed three-quarter view, NaN on the background."""
    if mesh is None:
        return np.full((_VIEW_PIXELS, _VIEW_PIXELS), np.nan)
    centre = mesh.bounds.mean(axis=0)
    distance = 1.4 * max(float(np.linalg.norm(mesh.extents)), 0.3)
    eye = centre + distance * np.array([0.75, 0.45, 0.5])
    half = _VIEW_PIXELS / 2
    camera = PinholeCamera(1.6 * half, 1.6 * half, half, half, _VIEW_PIXELS, _VIEW_PIXELS, look_at(eye, centre))
    _, face = render(mesh.vertices, mesh.faces, camera)
    normals = mesh.face_normals[np.clip(face, 0, None)]
    light = np.clip(normals @ np.array([0.3, 0.5, 0.8]) / np.linalg.norm([0.3, 0.5, 0.8]), 0.15, 1.0)
    return np.where(face >= 0, light, np.nan)


def plot_sample_grid(
    grid: dict[str, list[list[tuple[trimesh.Trimesh | None, bool]]]], png: Path, max_conditions: int = 8
) -> Path:
    """Rows: conditions; columns: each generator's samples. Green: stable under gravity; red: falls."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(grid)
    rows = min(max_conditions, len(grid[names[0]]))
    per = len(grid[names[0]][0])
    fig, axes = plt.subplots(rows, per * len(names), figsize=(1.3 * per * len(names), 1.3 * rows), squeeze=False)
    for r in range(rows):
        for g, name in enumerate(names):
            for k, (mesh, stable) in enumerate(grid[name][r]):
                ax = axes[r, g * per + k]
                ax.imshow(mesh_picture(mesh), cmap="Greens" if stable else "Reds", vmin=0.0, vmax=1.3)
                ax.set_xticks([])
                ax.set_yticks([])
                if r == 0 and k == 0:
                    ax.set_title(name, fontsize=8, loc="left")
    fig.suptitle("samples per held-out condition (green: stable under gravity, red: falls)", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    plt.close(fig)
    return png


def plot_candidates(shapes: dict, objects: dict, png: Path) -> Path:
    """One row per regenerated object: each candidate, its type and mask IoU; the kept one framed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(shapes)
    per = max(len(v) for v in shapes.values())
    fig, axes = plt.subplots(len(names), per, figsize=(1.6 * per, 1.8 * len(names)), squeeze=False)
    colours = {4: "Greens", 3: "Oranges"}
    for r, name in enumerate(names):
        for k, (mesh, candidate) in enumerate(shapes[name]):
            ax = axes[r, k]
            kind = candidate["verdict"]["type"]
            ax.imshow(mesh_picture(mesh), cmap=colours.get(kind, "Reds"), vmin=0.0, vmax=1.3)
            kept = objects[name].get("kept") == candidate["candidate"]
            ax.set_title(f"{'KEPT ' if kept else ''}T{kind} IoU {candidate['iou']:.2f}", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_linewidth(3 if kept else 0.5)
        axes[r, 0].set_ylabel(name, fontsize=8)
    fig.suptitle("reverse pass candidates (green: Type 4, orange: Type 3, red: Types 1-2)", fontsize=9)
    fig.tight_layout()
    fig.savefig(png, dpi=90)
    plt.close(fig)
    return png
