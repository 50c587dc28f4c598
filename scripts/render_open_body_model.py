"""Draw the open body model (`OPEN_NEUTRAL.pkl`) in its rest pose and seated, front and side views.

Uses only `smplx` and the shipped model file (read with the package's safe unpickler for its landmark
vertex ids, which smplx needs for this mesh), in the project's `.venv`:

    .venv/bin/python scripts/render_open_body_model.py [--model PATH] [--out docs/open_body_model.png]

The seated pose uses SMPL's joint convention, as `scripts/make_examples.py` does: both hips -90 degrees
about X (thighs forward), both knees +90 degrees about X (shins down). Orthographic projection, flat
shading, triangles drawn back to front.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import smplx
import torch
from matplotlib.collections import PolyCollection

from hsimul3r_ext.hsi.safe_pickle import load_pickle

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "source/hsimul3r_ext/body/data/OPEN_NEUTRAL.pkl"
LIGHT = np.array([0.35, 0.45, 0.82])
# Rows: image right, image up, towards the viewer (SMPL's frame: Y up, facing +Z, +X on the body's left).
VIEWS = {
    "front": np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]),
    "side": np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]]),  # from the body's right
}
HIP, KNEE = (1, 2), (4, 5)


def seated_body_pose() -> torch.Tensor:
    pose = torch.zeros(1, 23, 3)
    for joint in HIP:
        pose[0, joint - 1, 0] = -np.pi / 2
    for joint in KNEE:
        pose[0, joint - 1, 0] = np.pi / 2
    return pose.reshape(1, 69)


def draw(ax, vertices: np.ndarray, faces: np.ndarray, joints: np.ndarray, parents: np.ndarray, view: np.ndarray):
    projected = vertices @ view.T
    triangles = projected[faces]
    normals = np.cross(triangles[:, 1] - triangles[:, 0], triangles[:, 2] - triangles[:, 0])
    normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-12
    order = np.argsort(triangles[:, :, 2].mean(axis=1))
    order = order[normals[order, 2] > 0]  # front-facing only, far to near
    shade = 0.3 + 0.7 * np.clip(normals[order] @ (LIGHT / np.linalg.norm(LIGHT)), 0.0, 1.0)
    colours = np.column_stack([0.86 * shade, 0.74 * shade, 0.64 * shade])
    ax.add_collection(PolyCollection(triangles[order, :, :2], facecolors=colours, edgecolors=colours, linewidths=0.2))
    points = joints @ view.T
    for child, parent in enumerate(parents):
        if parent >= 0:
            ax.plot(*points[[parent, child], :2].T, color="tab:blue", lw=1.0, alpha=0.8, zorder=3)
    ax.scatter(points[:, 0], points[:, 1], s=6, color="tab:red", zorder=4)
    ax.set_aspect("equal")
    ax.axis("off")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=MODEL)
    parser.add_argument("--out", type=Path, default=ROOT / "docs/open_body_model.png")
    args = parser.parse_args()

    # smplx appends landmark vertices to the joints by index; its defaults index SMPL's own mesh.
    arrays = load_pickle(args.model)
    vertex_ids = dict(zip(arrays["landmark_names"].tolist(), arrays["landmark_vertices"].tolist(), strict=True))
    model = smplx.SMPL(model_path=str(args.model), vertex_ids=vertex_ids)
    faces = np.asarray(model.faces, dtype=np.int64)
    parents = model.parents.numpy().copy()
    parents[0] = -1
    poses = {"rest pose": torch.zeros(1, 69), "seated (hips -90°, knees +90° about X)": seated_body_pose()}
    fig, axes = plt.subplots(1, 4, figsize=(16, 5.6))
    panels = iter(axes)
    extent = []
    with torch.no_grad():
        for title, body_pose in poses.items():
            out = model(body_pose=body_pose, betas=torch.zeros(1, 10), global_orient=torch.zeros(1, 3))
            vertices, joints = out.vertices[0].numpy(), out.joints[0, :24].numpy()
            for view_name, view in VIEWS.items():
                ax = next(panels)
                draw(ax, vertices, faces, joints, parents, view)
                ax.set_title(f"{title}\n{view_name}", fontsize=10)
                extent.append(vertices @ view.T)
    low = np.min([e[:, :2].min(axis=0) for e in extent], axis=0) - 0.05
    high = np.max([e[:, :2].max(axis=0) for e in extent], axis=0) + 0.05
    for ax in axes:
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
    stature = float(model.v_template[:, 1].max() - model.v_template[:, 1].min())
    fig.suptitle(
        f"Open SMPL-compatible body model (built from Anny): {len(model.v_template)} vertices, "
        f"stature {stature:.2f} m at betas = 0; joints red, kinematic tree blue",
        fontsize=11,
    )
    fig.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out, dpi=90)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
