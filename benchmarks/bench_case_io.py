"""Full validation of a case vs. reading its files bare: how much validation costs.

Builds a case with a 10-minute 30 fps motion (18,000 frames, reference joints and contacts) and five
furniture-sized meshes of ~20k faces each, then times `load_case` against `json` + `np.load` +
`trimesh.load` of the same files (best of N). Prints both times and the ratio.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np
import trimesh

from hsimul3r_ext.body.kinematics import forward_kinematics
from hsimul3r_ext.body.reference_skeleton import REFERENCE_REST_JOINTS
from hsimul3r_ext.hsi import HSIScene, Motion, SceneObject, load_case, save_case
from hsimul3r_ext.hsi.smpl_layout import HUMANOID_FROM_SMPL, SMPL_JOINT_NAMES

FRAMES = 18_000
OBJECTS = 5
REPEATS = 5


def build_case(folder: Path) -> Path:
    rng = np.random.default_rng(0)
    global_orient = np.repeat(HUMANOID_FROM_SMPL.as_rotvec()[None], FRAMES, axis=0)
    body_pose = rng.normal(0, 0.3, (FRAMES, 69))
    transl = np.cumsum(rng.normal(0, 0.002, (FRAMES, 3)), axis=0) + [0.0, 0.22, 0.95]
    joints, _ = forward_kinematics(REFERENCE_REST_JOINTS, global_orient, body_pose, transl)
    motion = Motion(
        fps=30.0, betas=np.zeros(10), global_orient=global_orient, body_pose=body_pose,
        transl=transl, joints=joints, joint_names=SMPL_JOINT_NAMES,
        contact_labels=np.zeros((FRAMES, 24), dtype=bool), contact_body_names=SMPL_JOINT_NAMES,
    )  # fmt: skip
    source = folder / "source"
    (source / "objects").mkdir(parents=True)
    objects = []
    for index in range(OBJECTS):
        mesh = trimesh.creation.icosphere(subdivisions=5, radius=0.4)  # 20,480 faces
        mesh.export(source / "objects" / f"obj{index}.ply")
        objects.append(SceneObject(name=f"obj{index}", mesh=f"objects/obj{index}.ply"))
    scene = HSIScene("bench", motion, objects, root=source)
    return save_case(scene, folder / "case")


def best_of(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def bare_read(case: Path) -> None:
    manifest = json.loads((case / "hsi.json").read_text())
    with np.load(case / "motion.npz") as npz:
        _ = {key: npz[key] for key in npz.files}
    for obj in manifest["objects"]:
        trimesh.load(case / obj["mesh"], force="mesh", process=False)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        case = build_case(Path(tmp))
        baseline = best_of(lambda: bare_read(case))
        ours = best_of(lambda: load_case(case))
    print(f"case: {FRAMES} frames, {OBJECTS} meshes of 20,480 faces")
    print(f"bare read (baseline): {baseline * 1000:8.1f} ms")
    print(f"load_case (validated): {ours * 1000:8.1f} ms")
    print(f"ratio validated / bare: {ours / baseline:.2f}x")


if __name__ == "__main__":
    main()
