"""Make the raw inputs in `examples/` from our own authored data (no outside assets).

`examples/sit_chair/`: a person (the open body model at betas = 0) sits down on a chair behind them and stays seated
(generic SMPL parameter `.npz` with reference joints and contact labels, Z-up), a four-legged chair mesh
as a reconstruction would deliver it (placed in the world, overlapping parts, not watertight), and a
scene point cloud sampled from the chair and the floor. Deterministic: re-running gives identical files.

    python scripts/make_examples.py [--out examples]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.kinematics import forward_kinematics
from hsimul3r_ext.body.model_files import read_model_arrays, rest_joints
from hsimul3r_ext.body.models import OPEN_MODEL_FILE
from hsimul3r_ext.hsi.smpl_layout import HUMANOID_FROM_SMPL, SMPL_JOINT_NAMES

FPS = 30.0
SEAT_HEIGHT = 0.46
CHAIR_CENTRE = np.array([-0.30, 0.0])  # behind the person, who faces +X
CONTACT_BODIES = ("pelvis", "left_hip", "right_hip")
# The shipped open body model at betas = 0: the reference joints then match the humanoid built for the case.
REST_JOINTS = rest_joints(read_model_arrays(OPEN_MODEL_FILE), np.zeros(10))


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def sit_down_motion(frames: int = 60) -> dict[str, np.ndarray]:
    """Stand, lower onto the seat with hips and knees flexing to 90 degrees, stay seated."""
    progress = smoothstep((np.arange(frames) - 12) / 30.0)
    body_pose = np.zeros((frames, 23, 3))
    hip = Rotation.from_euler("x", -90.0 * progress[:, None], degrees=True).as_rotvec().reshape(frames, 3)
    knee = -hip
    for joint in ("left_hip", "right_hip"):
        body_pose[:, SMPL_JOINT_NAMES.index(joint) - 1] = hip
    for joint in ("left_knee", "right_knee"):
        body_pose[:, SMPL_JOINT_NAMES.index(joint) - 1] = knee
    lean = Rotation.from_euler("x", 15.0 * np.sin(np.pi * progress)[:, None], degrees=True).as_rotvec()
    body_pose[:, SMPL_JOINT_NAMES.index("spine1") - 1] = lean.reshape(frames, 3)
    global_orient = np.repeat(HUMANOID_FROM_SMPL.as_rotvec()[None], frames, axis=0)  # upright, facing +X
    body_pose = body_pose.reshape(frames, 69)

    # Place the root so the feet stand on the floor and, seated, the hips rest on the seat.
    zero = np.zeros((frames, 3))
    joints, _ = forward_kinematics(REST_JOINTS, global_orient, body_pose, zero)
    feet = joints[:, [SMPL_JOINT_NAMES.index("left_foot"), SMPL_JOINT_NAMES.index("right_foot")]]
    standing_lift = 0.03 - feet[0, :, 2].min()
    hips = joints[:, [SMPL_JOINT_NAMES.index("left_hip"), SMPL_JOINT_NAMES.index("right_hip")]].mean(axis=1)
    seated_lift = SEAT_HEIGHT + 0.085 - hips[-1, 2]  # thighs (about 8 cm thick below the hip joints) rest on the seat
    transl = np.zeros((frames, 3))
    transl[:, 2] = (1 - progress) * standing_lift + progress * seated_lift
    # Keep the ankles where they are while the hips move back over the seat.
    ankles = joints[:, SMPL_JOINT_NAMES.index("left_ankle")]
    transl[:, 0] = ankles[0, 0] - ankles[:, 0]
    transl[:, 1] = CHAIR_CENTRE[1] - REST_JOINTS[0, 1]  # SMPL leaves the rest pelvis offset unturned
    joints, _ = forward_kinematics(REST_JOINTS, global_orient, body_pose, transl)
    contacts = np.repeat((progress > 0.9)[:, None], len(CONTACT_BODIES), axis=1)
    return {
        "fps": np.array(FPS),
        "model_type": np.array("smpl"),
        "gender": np.array("neutral"),
        "up_axis": np.array("z"),
        "betas": np.zeros(10, dtype=np.float32),
        "global_orient": global_orient.astype(np.float32),
        "body_pose": body_pose.astype(np.float32),
        "transl": transl.astype(np.float32),
        "joints": joints.astype(np.float32),
        "joint_names": np.array(SMPL_JOINT_NAMES),
        "contact_labels": contacts,
        "contact_body_names": np.array(CONTACT_BODIES),
    }


def chair_mesh(seat_x: float) -> trimesh.Trimesh:
    """Seat, four legs and a backrest as overlapping boxes, placed in the world like a reconstruction."""
    width, depth, thickness, leg = 0.46, 0.44, 0.04, 0.04
    parts = [trimesh.creation.box([depth, width, thickness], trimesh.transformations.translation_matrix(
        [0, 0, SEAT_HEIGHT - thickness / 2]))]  # fmt: skip
    for sx in (-1, 1):
        for sy in (-1, 1):
            centre = [sx * (depth - leg) / 2, sy * (width - leg) / 2, (SEAT_HEIGHT - thickness) / 2]
            parts.append(
                trimesh.creation.box(
                    [leg, leg, SEAT_HEIGHT - thickness], trimesh.transformations.translation_matrix(centre)
                )
            )
    back_height = 0.42
    parts.append(trimesh.creation.box([0.03, width, back_height], trimesh.transformations.translation_matrix(
        [-(depth - 0.03) / 2, 0, SEAT_HEIGHT + back_height / 2])))  # fmt: skip
    chair = trimesh.util.concatenate(parts)
    chair.apply_translation([seat_x, CHAIR_CENTRE[1], 0.0])
    return chair


def scene_points(chair: trimesh.Trimesh, count: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Noisy surface samples of the chair plus a floor patch, coloured, as a multi-view method returns."""
    rng = np.random.default_rng(7)
    on_chair, _ = trimesh.sample.sample_surface(chair, count // 2, seed=7)
    floor = np.column_stack(
        [rng.uniform(-1.2, 0.8, count // 2), rng.uniform(-0.8, 0.8, count // 2), np.zeros(count // 2)]
    )
    points = np.vstack([on_chair, floor]) + rng.normal(0, 0.004, (count, 3))
    colors = np.vstack([np.tile([150, 90, 40], (count // 2, 1)), np.tile([180, 180, 180], (count // 2, 1))])
    return points.astype(np.float32), colors.astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "examples")
    args = parser.parse_args()
    folder = args.out / "sit_chair"
    folder.mkdir(parents=True, exist_ok=True)
    motion = sit_down_motion()
    np.savez_compressed(folder / "sit_down.npz", **motion)
    pelvis_x = float(motion["joints"][-1, 0, 0])
    chair = chair_mesh(seat_x=pelvis_x + CHAIR_CENTRE[0] + 0.30)
    chair.export(folder / "chair.obj")
    points, colors = scene_points(chair)
    np.savez_compressed(folder / "scene_points.npz", points=points, colors=colors)
    print(f"wrote {folder}")


if __name__ == "__main__":
    main()
