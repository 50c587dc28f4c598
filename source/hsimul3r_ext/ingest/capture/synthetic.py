"""Synthetic captures with known truth: a case seen by virtual cameras, as perception tools would see it.

The truth is a `Capture` in the case's world (metres, Z up): cameras on a ring around the interaction (or
one camera moving along an arc, for monocular video), the person, and the 2D keypoints a detector would
report: the body model's keypoints projected, with pixel noise, a confidence, and dropouts (confidence 0,
position anywhere in the image). The clean projections are kept to measure an alignment against.
Writers in each tool's layout (`formats/`) turn this truth into files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...body.posed_surface import posed_keypoints
from ...hsi.case_io import load_case, object_world_mesh
from ...hsi.scene import HSIScene
from ...kernels.raycast import look_at
from .keypoint_layouts import LAYOUTS, body_keypoint
from .model import CameraTrack, Capture, Keypoints2D, Person


@dataclass(frozen=True)
class CaptureSettings:
    """How the virtual capture is taken."""

    num_views: int = 4  # fixed cameras; ignored when monocular
    monocular: bool = False  # one camera moving along an arc instead
    width: int = 640
    height: int = 480
    focal_px: float = 600.0
    distance_m: float = 3.5  # camera to the interaction's centre, horizontally
    height_m: float = 1.4  # camera height above the floor
    arc_deg: float = 60.0  # monocular: the arc the camera travels
    frame_step: int = 3  # every frame_step-th motion frame is an image
    noise_px: float = 3.0  # standard deviation of the detections, per axis
    dropout: float = 0.1  # share of keypoints a detector misses
    layout: str = "coco17"
    seed: int = 0


@dataclass
class SyntheticCapture:
    """The truth and what a perfect detector would have seen."""

    truth: Capture
    case: HSIScene
    clean_pixels: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # person -> camera -> (T, J, 2)


def synthetic_capture(case_dir: str | Path, settings: CaptureSettings = CaptureSettings()) -> SyntheticCapture:
    """The case at `case_dir` seen by the cameras of `settings`, with its person's detections."""
    case = load_case(case_dir)
    if case.motion is None:
        raise ValueError(f"{case_dir}: a synthetic capture needs a case with a motion")
    rng = np.random.default_rng(settings.seed)
    motion_frames = np.arange(0, case.motion.num_frames, settings.frame_step)
    capture_frames = np.arange(len(motion_frames))
    keypoints = posed_keypoints(case.motion, motion_frames)
    centre = _interaction_centre(case, keypoints.positions)
    cameras = _cameras(settings, centre, capture_frames)
    names = LAYOUTS[settings.layout]
    visible = [
        (j, keypoints.index(body_keypoint(n))) for j, n in enumerate(names) if body_keypoint(n) in keypoints.names
    ]
    person = Person(
        person_id="0", motion=case.motion.at_frames(motion_frames, case.motion.fps / settings.frame_step),
        frames=capture_frames, frame_of_reference="capture", provenance={"source": "synthetic", "case": case.name},
    )  # fmt: skip
    clean: dict[str, np.ndarray] = {}
    for camera in cameras.values():
        pixels = np.zeros((len(capture_frames), len(names), 2))
        confidence = np.zeros((len(capture_frames), len(names)))
        for t, frame in enumerate(capture_frames):
            projected, depth = camera.project(keypoints.positions[t], int(frame))
            for j, k in visible:
                if depth[k] > 0:
                    pixels[t, j] = projected[k]
                    confidence[t, j] = 1.0
        clean[camera.name] = pixels.copy()
        noisy = pixels + rng.normal(0.0, settings.noise_px, pixels.shape)
        dropped = (rng.random(confidence.shape) < settings.dropout) | (confidence == 0)
        noisy[dropped] = rng.uniform([0, 0], [settings.width, settings.height], (int(dropped.sum()), 2))
        score = np.where(dropped, 0.0, rng.uniform(0.6, 1.0, confidence.shape))
        person.keypoints[camera.name] = Keypoints2D(settings.layout, capture_frames, noisy, score)
    fps = case.motion.fps / settings.frame_step
    record = {"step": "synthetic_capture", "case": case.name, "settings": vars(settings)}
    truth = Capture(fps=fps, cameras=cameras, people=[person], metric=True, provenance=[record])
    return SyntheticCapture(truth=truth, case=case, clean_pixels={person.person_id: clean})


def _interaction_centre(case: HSIScene, joints: np.ndarray) -> np.ndarray:
    """The point the cameras look at: the middle of the person's and the objects' extent, at chest height."""
    points = [joints.reshape(-1, 3)]
    points += [object_world_mesh(obj, case.root).bounds for obj in case.objects]
    lo, hi = np.min([p.min(0) for p in points], axis=0), np.max([p.max(0) for p in points], axis=0)
    return np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, 0.8])


def _cameras(settings: CaptureSettings, centre: np.ndarray, frames: np.ndarray) -> dict[str, CameraTrack]:
    """Fixed cameras on a ring (first one in front of the person, who faces +X), or one camera on an arc."""
    k = np.array([[settings.focal_px, 0, settings.width / 2], [0, settings.focal_px, settings.height / 2], [0, 0, 1]])

    def eye(azimuth_deg: float) -> np.ndarray:
        a = np.radians(azimuth_deg)
        return centre + np.array([settings.distance_m * np.cos(a), settings.distance_m * np.sin(a), 0.0]) + [
            0, 0, settings.height_m - centre[2]]  # fmt: skip

    if settings.monocular:
        azimuths = np.linspace(-settings.arc_deg / 2, settings.arc_deg / 2, len(frames)) + 20.0
        poses = np.stack([look_at(eye(a), centre) for a in azimuths])
        return {"cam0": CameraTrack("cam0", k, settings.width, settings.height, frames.copy(), poses)}
    azimuths = 20.0 + np.arange(settings.num_views) * 360.0 / settings.num_views
    return {
        f"cam{i}": CameraTrack(
            f"cam{i}", k, settings.width, settings.height, frames[:1].copy(), look_at(eye(a), centre)[None]
        )
        for i, a in enumerate(azimuths)
    }
