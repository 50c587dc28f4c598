"""People trackers' files written from a synthetic truth, in each tool's own frames, units and containers.

What each tool would report for the truth's people: PHALP (joblib, per-frame lists, its render camera of
focal 5000 px on a 256-px padded square: the person keeps the pixel position and is pushed back by the focal
ratio, as a weak-perspective estimate is), GVHMR (torch dict of SMPL-X tensors, Y-up gravity world with a random
heading and origin, plus the camera frame), WHAM (joblib dict of tracks, Y-up gravity world with the pelvis
position as translation), TRAM (`np.save`d dicts, the camera frame plus camera-to-world poses in its SLAM world,
the first camera), HSfM (pickle of one instant seen by all cameras, in its first camera's world, the pelvis
position as `root_transl`), VideoMimic (HDF5 groups, a Z-up world of random heading and origin shared by people
and cameras). Camera-frame parameters come from the truth's first camera. Keys a tool writes that the importers
do not read (PHALP `2d_joints` / appearance, WHAM `verts`, TRAM `pred_cam`, HSfM / VideoMimic point maps and
images) are left out.
"""

from __future__ import annotations

import pickle
from collections import defaultdict
from pathlib import Path

import h5py
import joblib
import numpy as np
import torch
from scipy.spatial.transform import Rotation

from ....body.model_files import read_model_arrays, rest_joints
from ....body.models import locate_motion_body
from ....body.posed_surface import posed_keypoints
from ....hsi.axes import to_z_up
from ..model import CameraTrack, Capture, Person
from ..people.fourdhumans import full_image_intrinsics

SMPLX_BODY_POSE = 63  # SMPL-X's 21 body joints: SMPL's 23 without the two hands


def write_fourdhumans(truth: Capture, out: Path, rng: np.random.Generator) -> Path:
    """`<out>/demo_video.pkl` as PHALP leaves it (joblib, compress=3); `rng` orders the detections per frame."""
    camera = _first_camera(truth)
    ratio = full_image_intrinsics(camera.width, camera.height)[0, 0] / camera.intrinsics[0, 0]
    detections: dict[int, list[dict]] = defaultdict(list)
    for person in truth.people:
        orient, transl, pelvis = _in_camera(person, camera)
        depth_scaled = transl + pelvis
        depth_scaled[:, 2] *= ratio  # same pixel, PHALP's depth for its longer focal
        rotations = _matrices(orient, person.motion.body_pose)
        pixels = _pixels(person, camera)
        for t, frame in enumerate(person.frames):
            lo, hi = pixels[t].min(axis=0), pixels[t].max(axis=0)
            detections[int(frame)].append({
                "tid": int(person.person_id),
                "smpl": {"global_orient": rotations[t, :1], "body_pose": rotations[t, 1:24],
                         "betas": person.motion.betas[:10].astype(np.float32)},
                "camera": (depth_scaled[t] - pelvis).astype(np.float32),
                "bbox": np.array([lo[0], lo[1], hi[0] - lo[0], hi[1] - lo[1]], dtype=np.float32),
                "size": [camera.width, camera.height],
            })  # fmt: skip
    results = {}
    for frame in sorted(set(detections) | {int(f) for f in camera.frames}):
        found = [detections[frame][i] for i in rng.permutation(len(detections[frame]))]
        key = f"demo_video/img/{frame + 1:06d}.jpg"
        results[key] = {"time": frame, "shot": 0, "frame_path": key, "tracked_ids": [d["tid"] for d in found]}
        results[key].update({name: [d[name] for d in found] for name in ("tid", "smpl", "camera", "bbox", "size")})
        results[key]["conf"] = [1.0] * len(found)
        results[key]["class_name"] = [0] * len(found)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "demo_video.pkl"
    joblib.dump(results, path, compress=3)
    return path


def write_gvhmr(truth: Capture, out: Path, rng: np.random.Generator) -> Path:
    """`<out>/hmr4d_results.pt`: the truth's one person in a Y-up gravity world of random heading and origin."""
    if len(truth.people) != 1:
        raise ValueError("GVHMR's results hold one person")
    person, camera = truth.people[0], _first_camera(truth)
    motion = person.motion
    world_orient, world_transl = _gravity_world(person, rng)
    cam_orient, cam_transl, _ = _in_camera(person, camera)
    count = motion.num_frames
    betas = np.repeat(motion.betas[None, :10], count, axis=0)

    def params(orient: np.ndarray, transl: np.ndarray) -> dict[str, torch.Tensor]:
        arrays = {"global_orient": orient, "body_pose": motion.body_pose[:, :SMPLX_BODY_POSE], "betas": betas,
                  "transl": transl}  # fmt: skip
        return {key: torch.tensor(value, dtype=torch.float32) for key, value in arrays.items()}

    results = {
        "smpl_params_global": params(world_orient, world_transl),
        "smpl_params_incam": params(cam_orient, cam_transl),
        "K_fullimg": torch.tensor(np.repeat(camera.intrinsics[None], count, axis=0), dtype=torch.float32),
    }
    out.mkdir(parents=True, exist_ok=True)
    path = out / "hmr4d_results.pt"
    torch.save(results, path)
    return path


def write_wham(truth: Capture, out: Path, rng: np.random.Generator) -> Path:
    """`<out>/wham_output.pkl`: joblib dict track id -> camera and Y-up gravity-world SMPL parameters."""
    camera = _first_camera(truth)
    results: defaultdict[int, dict] = defaultdict(dict)
    for person in truth.people:
        motion = person.motion
        world_orient, world_transl = _gravity_world(person, rng)
        cam_orient, cam_transl, pelvis = _in_camera(person, camera)
        results[int(person.person_id)].update({
            "pose": np.hstack([cam_orient, motion.body_pose]).astype(np.float32),
            "trans": cam_transl.astype(np.float32),
            "pose_world": np.hstack([world_orient, motion.body_pose]).astype(np.float32),
            "trans_world": (world_transl + pelvis).astype(np.float32),
            "betas": np.repeat(motion.betas[None, :10], motion.num_frames, axis=0).astype(np.float32),
            "frame_ids": np.asarray(person.frames, dtype=np.int64),
        })  # fmt: skip
    out.mkdir(parents=True, exist_ok=True)
    path = out / "wham_output.pkl"
    joblib.dump(results, path)
    return path


def write_tram(truth: Capture, out: Path, rng: np.random.Generator) -> Path:
    """`<out>/hps/hps_track_<i>.npy` and `<out>/camera.npy`; TRAM's world is the first camera's frame.

    `rng` shuffles which track index each person gets (TRAM numbers tracks in detection order)."""
    camera = _first_camera(truth)
    frames = np.arange(int(max(max(p.frames) for p in truth.people)) + 1)
    poses = np.stack([camera.pose(int(f)) for f in frames])
    slam_poses = np.linalg.inv(poses[0]) @ poses
    (out / "hps").mkdir(parents=True, exist_ok=True)
    np.save(out / "camera.npy", {
        "pred_cam_R": slam_poses[:, :3, :3].astype(np.float32), "pred_cam_T": slam_poses[:, :3, 3].astype(np.float32),
        "img_focal": float(camera.intrinsics[0, 0]), "img_center": camera.intrinsics[:2, 2].astype(np.float32),
    }, allow_pickle=True)  # fmt: skip
    for index, person in zip(rng.permutation(len(truth.people)), truth.people, strict=True):
        orient, transl, _ = _in_camera(person, camera)
        np.save(out / "hps" / f"hps_track_{index}.npy", {
            "pred_rotmat": _matrices(orient, person.motion.body_pose),
            "pred_shape": np.repeat(person.motion.betas[None, :10], len(transl), axis=0).astype(np.float32),
            "pred_trans": transl[:, None].astype(np.float32),
            "frame": np.asarray(person.frames, dtype=np.int64),
        }, allow_pickle=True)  # fmt: skip
    return out


def write_hsfm(truth: Capture, out: Path, rng: np.random.Generator, body_model: str = "smplx") -> Path:
    """`<out>/hsfm_output_<body_model>.pkl`: the people at the first frame they share, seen by every truth camera.

    HSfM's world is its first camera's frame; `rng` shuffles the order of the views and people in the file."""
    shared = set.intersection(*(set(map(int, p.frames)) for p in truth.people))
    if not shared:
        raise ValueError("HSfM reconstructs one instant: the truth's people share no frame")
    frame = min(shared)
    world = np.linalg.inv(next(iter(truth.cameras.values())).pose(frame))
    names = list(truth.cameras)
    cameras = {names[i]: {"cam2world": (world @ truth.cameras[names[i]].pose(frame)).astype(np.float32),
                          "intrinsic": truth.cameras[names[i]].intrinsics.astype(np.float32)}
               for i in rng.permutation(len(names))}  # fmt: skip
    people = {}
    for person in (truth.people[i] for i in rng.permutation(len(truth.people))):
        t = int(np.flatnonzero(person.frames == frame)[0])
        turn = Rotation.from_matrix(world[:3, :3])
        orient = (turn * Rotation.from_rotvec(person.motion.global_orient[t])).as_rotvec()
        pelvis = rest_pelvis_of(person)
        root = turn.apply(person.motion.transl[t] + pelvis) + world[:3, 3]
        if body_model == "smpl":
            rotations = _matrices(orient[None], person.motion.body_pose[t : t + 1])
            params = {"global_orient": rotations[:, 0], "body_pose": rotations[:, 1:]}
        else:
            params = {"global_orient": orient[None].astype(np.float32),
                      "body_pose": person.motion.body_pose[t : t + 1, :SMPLX_BODY_POSE].astype(np.float32)}  # fmt: skip
        params["betas"] = person.motion.betas[None, :10].astype(np.float32)
        params["root_transl"] = root[None].astype(np.float32)
        people[int(person.person_id)] = params
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"hsfm_output_{body_model}.pkl"
    with path.open("wb") as stream:
        pickle.dump({"hsfm_places_cameras": cameras, "hsfm_people(smplx_params)": people}, stream)
    return path


def write_videomimic(truth: Capture, out: Path, rng: np.random.Generator) -> Path:
    """`<out>/gravity_calibrated_megahunter.h5`: people and the first camera in a Z-up world of its own."""
    camera = _first_camera(truth)
    heading = Rotation.from_euler("z", rng.uniform(-np.pi, np.pi))
    offset = rng.uniform(-2.0, 2.0, 3)
    path = out / "gravity_calibrated_megahunter.h5"
    out.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as file:
        for frame in sorted({int(f) for p in truth.people for f in p.frames}):
            pose = camera.pose(frame)
            moved = np.eye(4)
            moved[:3, :3] = (heading * Rotation.from_matrix(pose[:3, :3])).as_matrix()
            moved[:3, 3] = heading.apply(pose[:3, 3]) + offset
            group = file.create_group(f"our_pred_world_cameras_and_structure/{frame:05d}")
            group["cam2world"] = moved.astype(np.float32)
            group["intrinsic"] = camera.intrinsics.astype(np.float32)
        for person in truth.people:
            motion, pelvis = person.motion, rest_pelvis_of(person)
            orient = (heading * Rotation.from_rotvec(motion.global_orient)).as_rotvec()
            rotations = _matrices(orient, motion.body_pose)
            group = file.create_group(f"our_pred_humans_smplx_params/{person.person_id}")
            group["global_orient"] = rotations[:, :1]
            group["body_pose"] = rotations[:, 1:]
            group["betas"] = np.repeat(motion.betas[None, :10], motion.num_frames, axis=0).astype(np.float32)
            group["root_transl"] = (heading.apply(motion.transl + pelvis) + offset)[:, None].astype(np.float32)
            file[f"person_frame_info_list/{person.person_id}"] = np.array([f"{f:05d}".encode() for f in person.frames])
    return path


def _first_camera(truth: Capture) -> CameraTrack:
    if not truth.cameras:
        raise ValueError("the truth has no camera to see its people from")
    return next(iter(truth.cameras.values()))


def rest_pelvis_of(person: Person) -> np.ndarray:
    """J_pelvis(betas) of the body that poses the truth (our open model without licensed files)."""
    motion = person.motion
    source = locate_motion_body(motion.model_type, motion.gender)
    return rest_joints(read_model_arrays(source.path), motion.betas)[0]


def _in_camera(person: Person, camera: CameraTrack) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(global_orient, transl) of the person in the camera's OpenCV frame at each of its frames, and J_pelvis."""
    motion, pelvis = person.motion, rest_pelvis_of(person)
    poses = np.stack([camera.pose(int(f)) for f in person.frames])
    to_camera = Rotation.from_matrix(poses[:, :3, :3]).inv()
    orient = (to_camera * Rotation.from_rotvec(motion.global_orient)).as_rotvec()
    transl = to_camera.apply(motion.transl + pelvis - poses[:, :3, 3]) - pelvis
    return orient, transl, pelvis


def _gravity_world(person: Person, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(global_orient, transl) in a Y-up world of random heading and origin (a gravity world of a tool's own)."""
    motion, pelvis = person.motion, rest_pelvis_of(person)
    heading = Rotation.from_euler("z", rng.uniform(-np.pi, np.pi))
    y_up = to_z_up("y").inv()
    turn = y_up * heading
    offset = y_up.apply(rng.uniform(-2.0, 2.0, 3))
    orient = (turn * Rotation.from_rotvec(motion.global_orient)).as_rotvec()
    return orient, turn.apply(motion.transl + pelvis) + offset - pelvis


def _matrices(orient: np.ndarray, body_pose: np.ndarray) -> np.ndarray:
    """(F, 24, 3, 3) float32 rotation matrices of root + 23 body joints."""
    rotvecs = np.concatenate([orient[:, None], body_pose.reshape(len(orient), -1, 3)[:, :23]], axis=1)
    return Rotation.from_rotvec(rotvecs.reshape(-1, 3)).as_matrix().reshape(len(orient), 24, 3, 3).astype(np.float32)


def _pixels(person: Person, camera: CameraTrack) -> np.ndarray:
    """(F, K, 2) the person's keypoints in the camera image, for bounding boxes."""
    keypoints = posed_keypoints(person.motion)
    return np.stack([camera.project(keypoints.positions[t], int(f))[0] for t, f in enumerate(person.frames)])
