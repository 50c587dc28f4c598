"""Joint human–scene–camera alignment on 2D evidence (issue 14, item 3; the paper follows HSfM).

Perception tools give cameras and a scene up to scale, people in their own frames, and 2D keypoints. This
puts them in one metric frame: the capture frame scaled to metres. Unknowns, in stages the config switches:
`root` — the scene scale s (camera centres and scene points scale by s about the capture origin) and each
person's pelvis position and global orientation per frame; `body` — betas and body pose, held by a shape
prior and a prior towards the imported pose; `cameras` — a small rotation and translation per fixed camera
(the first one holds the frame). The loss is the body model's keypoints (smplx, differentiable) projected
into every view against the detections: confidence-weighted, each view's residuals in percent of that
view's person size (a close camera does not dominate), robust (Huber or Geman-McClure); plus, for video,
the pelvis' and orientation's acceleration.

How it connects: this fits the people to the images; the world step then makes the floor z = 0 and the
`align` stage (`align_case`, the 3D structural prior of Sec. 3.2) runs on the resulting case. That stage
moves the objects and shifts the whole motion by one translation, so the image fit found here survives
it up to that shift, and contact and penetration, which the images barely see, are settled there.

Assumptions: a person in "capture" or "gravity" frames is placed in metres about the capture origin (the
tools that place people in the scene, HSfM and VideoMimic, make it metric from the people), and starts
where it stands; a person in "camera:<name>" frames (HMR-style, metric in that camera) starts from that
camera's pose at the current scale. The scale can only be found where someone is seen from two viewpoints at
one instant: a capture that is not metric and seen from one viewpoint at a time (one camera, fixed or moving)
needs its scale from the world step (stature from betas) first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from ..body.models import create_body_model, locate_motion_body
from ..body.posed_surface import keypoint_names
from ..hsi.errors import CaseError
from ..hsi.motion import Motion
from ..ingest.capture.keypoint_layouts import correspondence
from ..ingest.capture.model import CameraTrack, Capture, Person
from ..settings import CONFIG_DIR

ROBUST_LOSSES = ("huber", "geman_mcclure")
STAGES = ("root", "body", "cameras")
MIN_DEPTH_M = 0.05  # keypoints nearer than this to a camera's plane (or behind it) project as if this far
SCALE_GRID = 41  # scales tried, log-spaced, before the descent
DTYPE = torch.float64  # LBFGS line searches need the precision
LINE_SEARCH_EVALS = 20  # loss evaluations per LBFGS iteration (one iteration per step, for the progress bar)


@dataclass
class CaptureAlignWeights:
    reprojection: float = 1.0
    smoothness: float = 1.0  # pelvis and orientation acceleration, in units of `prior_scale`
    shape: float = 0.1  # squared betas (shape-space sigmas)
    pose: float = 1.0  # squared body pose change from the imported one, in units of prior_scale.pose_deg
    cameras: float = 1.0  # squared camera corrections, in units of prior_scale.camera_*


@dataclass
class CapturePriorScale:
    acceleration_m_s2: float = 5.0
    angular_acceleration_deg_s2: float = 600.0
    pose_deg: float = 5.0
    camera_translation_m: float = 0.05
    camera_rotation_deg: float = 2.0


@dataclass
class CaptureAlignConfig:
    enabled: bool = True  # the pipeline's switch for the stage
    root: bool = True  # stage 1: scale (when `scale`) and each person's root translation and orientation
    scale: bool = True  # find the scene scale (needs someone seen from two viewpoints at one instant)
    body: bool = False  # stage 2: also betas and body pose
    cameras: bool = False  # stage 3: also a rotation and translation correction per fixed camera
    iterations: int = 40  # LBFGS iterations per stage
    scale_search: float = 4.0  # the scale descent starts from the best of a log grid over [1/x, x]
    robust: str = "huber"  # huber | geman_mcclure
    robust_scale_pct: float = 5.0  # residuals beyond this (percent of the person's size) count less
    weights: CaptureAlignWeights = field(default_factory=CaptureAlignWeights)
    prior_scale: CapturePriorScale = field(default_factory=CapturePriorScale)

    def check(self, file: str | Path) -> None:
        """Raise a CaseError naming the setting that cannot work."""
        if not (self.root or self.body or self.cameras):
            raise CaseError(file, "capture_align.root", "no stage is on (root, body, cameras); to skip the "
                            "alignment set capture_align.enabled=false")  # fmt: skip
        if self.iterations < 1:
            raise CaseError(file, "capture_align.iterations", f"must be >= 1, got {self.iterations}")
        if not self.scale_search > 1.0:
            raise CaseError(file, "capture_align.scale_search", f"must be > 1, got {self.scale_search}")
        if self.robust not in ROBUST_LOSSES:
            raise CaseError(file, "capture_align.robust", f"must be one of {', '.join(ROBUST_LOSSES)}")
        if not self.robust_scale_pct > 0:
            raise CaseError(file, "capture_align.robust_scale_pct", f"must be positive, got {self.robust_scale_pct}")
        for name, value in asdict(self.weights).items():
            if not value >= 0:
                raise CaseError(file, f"capture_align.weights.{name}", f"must be >= 0, got {value}")
        for name, value in asdict(self.prior_scale).items():
            if not value > 0:
                raise CaseError(file, f"capture_align.prior_scale.{name}", f"must be positive, got {value}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_capture_align_config(overrides: Sequence[str] = ()) -> CaptureAlignConfig:
    """The `capture_align` section, checked."""
    from ..settings import stage_config

    config = stage_config("capture_align", CaptureAlignConfig, overrides)
    config.check(CONFIG_DIR / "capture_align" / "default.yaml")
    return config


@dataclass
class ViewFit:
    """One person seen by one camera, in the detector's layout: detections and the body projected."""

    camera: str
    frames: np.ndarray  # (N,) capture frames
    detected: np.ndarray  # (N, J, 2) pixels
    confidence: np.ndarray  # (N, J)
    before: np.ndarray  # (N, J, 2) NaN where the body has no such keypoint or it is behind the camera
    after: np.ndarray

    def error_px(self, projected: np.ndarray, against: np.ndarray | None = None) -> float:
        """Mean pixel distance over the detected keypoints (confidence > 0) to `against` (the detections)."""
        target = self.detected if against is None else against
        used = (self.confidence > 0) & np.isfinite(projected).all(-1)
        distance = np.linalg.norm(projected - target, axis=-1)[used]
        return float(distance.mean()) if distance.size else float("nan")


@dataclass
class CaptureAlignResult:
    scale: float  # capture units -> metres
    scale_found: bool  # False: held at 1 (scale off, or one viewpoint per instant in a metric capture)
    motions: dict[str, Motion]  # person id -> motion in the capture frame scaled to metres
    cameras: dict[str, CameraTrack]  # scaled (and corrected) to metres
    views: dict[str, dict[str, ViewFit]]  # person id -> camera -> fit
    stages: tuple[str, ...]
    losses: dict[str, list[float]] = field(default_factory=dict)  # stage -> total per iteration

    def reprojection_px(self) -> dict[str, dict[str, dict[str, float]]]:
        """Per person and camera, mean error (px) against the detections before and after."""
        return {
            person: {name: {"before": fit.error_px(fit.before), "after": fit.error_px(fit.after)}
                     for name, fit in views.items()}
            for person, views in self.views.items()
        }  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "scale_found": self.scale_found,
            "stages": list(self.stages),
            "reprojection_px": self.reprojection_px(),
            "losses": {stage: values[-1] for stage, values in self.losses.items() if values},
        }

    def apply(self, capture: Capture) -> Capture:
        """`capture` in metres: scene points scaled, cameras and people replaced by the aligned ones."""
        scene = capture.scene
        if scene is not None:
            maps = [replace(m, points=m.points * self.scale) for m in scene.point_maps]
            scene = replace(scene, points=scene.points * self.scale, point_maps=maps)
        people = [
            replace(p, motion=self.motions[p.person_id], frame_of_reference="capture") if p.person_id in self.motions
            else p
            for p in capture.people
        ]  # fmt: skip
        record = {"step": "capture_align", **self.to_json()}
        return replace(
            capture, cameras={**capture.cameras, **self.cameras}, people=people, scene=scene, metric=True,
            provenance=[*capture.provenance, record],
        )  # fmt: skip


def align_capture(
    capture: Capture,
    config: CaptureAlignConfig,
    *,
    source: str | Path = "capture",
    models_dir: str | Path | None = None,
    progress: bool | None = None,
) -> CaptureAlignResult:
    """Fit scale, people (and cameras) to the 2D keypoints; `source` names the capture in errors."""
    config.check(CONFIG_DIR / "capture_align" / "default.yaml")
    rig = _Rig(capture, config)
    people = [
        _PersonFit(index, person, capture, source, models_dir)
        for index, person in enumerate(capture.people)
        if person.motion is not None and person.keypoints
    ]
    people = [p for p in people if p.views]
    if not people:
        raise CaseError(source, "people.keypoints", "no person has both a body reconstruction and confident 2D "
                        "keypoints in a known camera: nothing to align to")  # fmt: skip
    scale_found = config.root and config.scale and _scale_observable(people)
    if not capture.metric and not scale_found:
        raise CaseError(
            source, "metric", "the capture is not metric and its scale cannot be found here (scale off, or one "
            "viewpoint per instant): give it a metric scale first (the world step, from stature)",
        )  # fmt: skip
    with torch.no_grad():
        for person in people:
            person.place(rig.scale())
        before = {p.person_id: p.project_views(rig) for p in people}
        if scale_found:
            rig.start_scale(_best_scale(people, rig, config))
            for person in people:
                person.place(rig.scale())
    losses: dict[str, list[float]] = {}
    stages = tuple(s for s in STAGES if getattr(config, s))
    for stage in stages:
        losses[stage] = _run_stage(stage, people, rig, config, scale_found, capture.fps, progress)
    with torch.no_grad():
        after = {p.person_id: p.project_views(rig) for p in people}
        views = {
            p.person_id: {
                name: ViewFit(name, view.frames, view.detected_full, view.confidence_full, before[p.person_id][name],
                              after[p.person_id][name])
                for name, view in p.views.items()
            }
            for p in people
        }  # fmt: skip
        return CaptureAlignResult(
            scale=float(rig.scale()), scale_found=scale_found, motions={p.person_id: p.motion() for p in people},
            cameras=rig.aligned_cameras(), views=views, stages=stages, losses=losses,
        )  # fmt: skip


def _scale_observable(people: list[_PersonFit]) -> bool:
    """Someone is seen from two camera centres at one instant: the views then triangulate the body, whose
    metric size fixes the scale. One viewpoint per instant (a moving camera too) confounds size with distance."""
    for person in people:
        seen: dict[int, list[np.ndarray]] = {}
        for view in person.views.values():
            for frame, centre in zip(view.frames, view.centres, strict=True):
                seen.setdefault(int(frame), []).append(centre)
        for centres in seen.values():
            spread = np.ptp(np.asarray(centres), axis=0).max()
            if spread > 1e-6 * max(1.0, float(np.abs(centres).max())):
                return True
    return False


def _best_scale(people: list[_PersonFit], rig: _Rig, config: CaptureAlignConfig) -> float:
    """The scale of a log grid whose reprojection loss is lowest with the people where they start."""
    factors = np.exp(np.linspace(-np.log(config.scale_search), np.log(config.scale_search), SCALE_GRID))
    costs = []
    for factor in factors:
        rig.start_scale(float(factor))
        for person in people:
            person.place(rig.scale())
        costs.append(float(sum(p.reprojection(rig, config) for p in people)))
    return float(factors[int(np.argmin(costs))])


def _run_stage(
    stage: str, people: list[_PersonFit], rig: _Rig, config: CaptureAlignConfig, scale_found: bool, fps: float,
    progress: bool | None,
) -> list[float]:  # fmt: skip
    """LBFGS on the stage's unknowns (the earlier stages' stay free); the total per iteration."""
    parameters = [rig.log_scale] if scale_found else []
    for person in people:
        parameters += person.free(body=stage in ("body", "cameras") and config.body)
    if stage == "cameras":
        parameters += rig.corrections()
    for p in parameters:
        p.requires_grad_(True)
    weights = config.weights
    optimiser = torch.optim.LBFGS(
        parameters, lr=1.0, max_iter=1, max_eval=LINE_SEARCH_EVALS, history_size=20, line_search_fn="strong_wolfe"
    )

    def total() -> torch.Tensor:
        loss = rig.prior(config) * weights.cameras if stage == "cameras" else torch.zeros((), dtype=DTYPE)
        for person in people:
            loss = loss + weights.reprojection * person.reprojection(rig, config)
            loss = loss + weights.smoothness * person.smoothness(config, fps)
            if person.body_free:
                loss = loss + weights.shape * person.betas.pow(2).mean() + weights.pose * person.pose_prior(config)
        return loss

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        loss = total()
        loss.backward()
        return loss

    history = []
    bar = tqdm(range(config.iterations), desc=f"capture alignment: {stage}", unit="it",
               disable=None if progress is None else not progress)  # fmt: skip
    for _ in bar:
        history.append(float(optimiser.step(closure).detach()))
        bar.set_postfix(loss=f"{history[-1]:.4g}")
    for p in parameters:
        p.requires_grad_(False)
    return history


def _rotation(rotvec: torch.Tensor) -> torch.Tensor:
    """(..., 3) axis-angle -> (..., 3, 3), exactly and differentiably (the matrix exponential of the skew)."""
    x, y, z = rotvec.unbind(-1)
    zero = torch.zeros_like(x)
    skew = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], dim=-1).reshape(*rotvec.shape[:-1], 3, 3)
    return torch.linalg.matrix_exp(skew)


def _robust(residual_pct: torch.Tensor, config: CaptureAlignConfig) -> torch.Tensor:
    """Squared residual near zero; Huber grows linearly beyond the scale, Geman-McClure levels off."""
    c = config.robust_scale_pct
    squared = residual_pct.pow(2)
    if config.robust == "huber":
        return torch.where(residual_pct <= c, squared, 2 * c * residual_pct - c * c)
    return squared * c * c / (squared + c * c)


class _Rig:
    """The cameras in metres: the scene scale and, in the cameras stage, a correction per fixed camera."""

    def __init__(self, capture: Capture, config: CaptureAlignConfig) -> None:
        self.capture = capture
        self.base_log_scale = 0.0
        self.log_scale = torch.zeros((), dtype=DTYPE)
        fixed = [name for name, camera in capture.cameras.items() if len(camera.frames) == 1]
        self.free_cameras = fixed[1:] if config.cameras else []  # the first fixed camera holds the frame
        self.rotation = {name: torch.zeros(3, dtype=DTYPE) for name in self.free_cameras}
        self.translation = {name: torch.zeros(3, dtype=DTYPE) for name in self.free_cameras}

    def start_scale(self, scale: float) -> None:
        self.base_log_scale = float(np.log(scale))
        self.log_scale = torch.zeros((), dtype=DTYPE)

    def scale(self) -> torch.Tensor:
        return torch.exp(self.log_scale + self.base_log_scale)

    def corrections(self) -> list[torch.Tensor]:
        return [t for name in self.free_cameras for t in (self.rotation[name], self.translation[name])]

    def pose(self, camera: str, rotation: torch.Tensor, centre: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Camera-to-world rotations (N, 3, 3) and metric centres (N, 3) of a camera's capture-frame poses."""
        if camera not in self.rotation:
            return rotation, self.scale() * centre
        return _rotation(self.rotation[camera]) @ rotation, self.scale() * centre + self.translation[camera]

    def prior(self, config: CaptureAlignConfig) -> torch.Tensor:
        scales = config.prior_scale
        loss = torch.zeros((), dtype=DTYPE)
        for name in self.free_cameras:
            loss = loss + (self.translation[name] / scales.camera_translation_m).pow(2).sum()
            loss = loss + (self.rotation[name] / np.radians(scales.camera_rotation_deg)).pow(2).sum()
        return loss

    def aligned_cameras(self) -> dict[str, CameraTrack]:
        cameras = {}
        for name, camera in self.capture.cameras.items():
            poses = np.array(camera.camera_to_world, dtype=float)
            rotation, centre = self.pose(name, torch.as_tensor(poses[:, :3, :3]), torch.as_tensor(poses[:, :3, 3]))
            poses[:, :3, :3], poses[:, :3, 3] = rotation.numpy(), centre.numpy()
            cameras[name] = replace(camera, camera_to_world=poses)
        return cameras


@dataclass
class _View:
    """One person's detections in one camera, on the frames both have, with the camera's poses there."""

    frames: np.ndarray  # (N,) capture frames
    motion_index: torch.Tensor  # (N,) index into the person's motion frames
    rotations: torch.Tensor  # (N, 3, 3) camera-to-world, capture frame
    centres: np.ndarray  # (N, 3) capture units
    intrinsics: torch.Tensor  # (3, 3)
    body_index: torch.Tensor  # (M,) body keypoints the detector sees ...
    detector_index: np.ndarray  # (M,) ... and where they are in the detector's layout
    detected: torch.Tensor  # (N, M, 2)
    confidence: torch.Tensor  # (N, M)
    size_px: float  # the person's size in this view: median diagonal of the confident detections' box
    detected_full: np.ndarray  # (N, J, 2) detector layout
    confidence_full: np.ndarray  # (N, J)

    def project(self, rig: _Rig, camera: str, keypoints: torch.Tensor, clamp: bool) -> torch.Tensor:
        """Pixels (N, M, 2) of world `keypoints` (T, K, 3); behind the camera: clamped, or NaN."""
        rotation, centre = rig.pose(camera, self.rotations, torch.as_tensor(self.centres))
        points = keypoints[self.motion_index][:, self.body_index]
        local = torch.einsum("nkd,nde->nke", points - centre[:, None], rotation)
        depth = local[..., 2:]
        if clamp:
            depth = depth.clamp(min=MIN_DEPTH_M)
        pixels = local[..., :2] / depth * torch.diagonal(self.intrinsics)[:2] + self.intrinsics[:2, 2]
        return pixels if clamp else torch.where(depth > 0, pixels, torch.nan)


class _PersonFit:
    """One person's unknowns (pelvis position and orientation per frame, betas, body pose) and 2D evidence."""

    def __init__(
        self, index: int, person: Person, capture: Capture, source: str | Path, models_dir: str | Path | None
    ) -> None:  # fmt: skip
        motion = person.motion
        self.person, self.source, self.field = person, source, f"people[{index}]"
        self.person_id = person.person_id
        self.frames = np.asarray(person.frames)
        if len(self.frames) != motion.num_frames:
            raise CaseError(source, f"{self.field}.frames", f"{len(self.frames)} frames for a motion of "
                            f"{motion.num_frames}")  # fmt: skip
        if len(self.frames) > 1 and not (np.diff(self.frames) > 0).all():
            raise CaseError(source, f"{self.field}.frames", "capture frames must increase")
        count = len(self.frames)
        body = locate_motion_body(motion.model_type, motion.gender, models_dir)
        self.model = create_body_model(body, num_betas=len(motion.betas), batch_size=count, dtype=DTYPE)
        self.names = keypoint_names(self.model, body.model_type)
        betas = np.zeros(int(self.model.num_betas))
        betas[: min(len(betas), len(motion.betas))] = motion.betas[: len(betas)]
        self.betas = torch.as_tensor(betas, dtype=DTYPE)
        width = int(self.model.NUM_BODY_JOINTS) * 3
        self.pose_width = min(width, motion.body_pose.shape[1])
        pose = np.zeros((count, width))
        pose[:, : self.pose_width] = motion.body_pose[:, : self.pose_width]
        self.body_pose = torch.as_tensor(pose, dtype=DTYPE)
        self.imported_pose = self.body_pose.clone()
        self.body_free = False
        self.camera_poses = self._reference_camera_poses(capture)
        self.views = self._views(capture)
        self._cached: tuple[torch.Tensor, torch.Tensor] | None = None
        self.orient = torch.as_tensor(Rotation.from_rotvec(motion.global_orient).as_matrix(), dtype=DTYPE)
        self.pelvis_imported = torch.as_tensor(motion.transl, dtype=DTYPE) + self._anchor(self._body()[1])
        self.pelvis = self.pelvis_imported.clone()
        self.base_orient = self.orient
        self.rotation = torch.zeros((count, 3), dtype=DTYPE)

    def _reference_camera_poses(self, capture: Capture) -> torch.Tensor | None:
        """Camera-to-world poses (T, 4, 4) of the camera whose frame the motion is in; None: capture/gravity."""
        frame = self.person.frame_of_reference
        if frame in ("capture", "gravity"):
            return None
        name = frame.removeprefix("camera:")
        where = f"{self.field}.frame_of_reference"
        if not frame.startswith("camera:") or name not in capture.cameras:
            raise CaseError(self.source, where, f"{frame!r}: expected capture, gravity or camera:<name> of a camera "
                            f"the capture has ({', '.join(capture.cameras)})")  # fmt: skip
        try:
            return torch.as_tensor(np.stack([capture.cameras[name].pose(int(f)) for f in self.frames]), dtype=DTYPE)
        except KeyError as err:
            raise CaseError(self.source, where, str(err.args[0])) from None

    def _views(self, capture: Capture) -> dict[str, _View]:
        position = {int(f): t for t, f in enumerate(self.frames)}
        views = {}
        for name, points in self.person.keypoints.items():
            where = f"{self.field}.keypoints[{name}]"
            if name not in capture.cameras:
                raise CaseError(self.source, where, f"no camera {name!r} in the capture")
            camera = capture.cameras[name]
            try:
                detector, body = correspondence(points.layout, self.names)
            except KeyError as err:
                raise CaseError(self.source, f"{where}.layout", str(err.args[0])) from None
            rows = [k for k, f in enumerate(points.frames) if int(f) in position]
            confidence = np.asarray(points.confidence, dtype=float)[rows]
            pixels = np.asarray(points.pixels, dtype=float)[rows]
            if not np.isfinite(pixels[confidence > 0]).all() or not np.isfinite(confidence).all():
                raise CaseError(self.source, f"{where}.pixels", "NaN or inf in a detected keypoint")
            sizes = [_box_diagonal(p[c > 0]) for p, c in zip(pixels[:, detector], confidence[:, detector], strict=True)]
            sizes = [s for s in sizes if s > 0]
            if not sizes or not body:
                continue  # nothing confident the body model can match
            frames = np.asarray(points.frames)[rows]
            try:
                poses = np.stack([camera.pose(int(f)) for f in frames])
            except KeyError as err:
                raise CaseError(self.source, where, str(err.args[0])) from None
            views[name] = _View(
                frames=frames, motion_index=torch.as_tensor([position[int(f)] for f in frames]),
                rotations=torch.as_tensor(poses[:, :3, :3], dtype=DTYPE), centres=poses[:, :3, 3],
                intrinsics=torch.as_tensor(camera.intrinsics, dtype=DTYPE), body_index=torch.as_tensor(body),
                detector_index=np.asarray(detector),
                detected=torch.as_tensor(pixels[:, detector], dtype=DTYPE),
                confidence=torch.as_tensor(confidence[:, detector], dtype=DTYPE), size_px=float(np.median(sizes)),
                detected_full=pixels, confidence_full=confidence,
            )  # fmt: skip
        return views

    def _body(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Keypoints (T, K, 3) with no root rotation or translation, and the rest pelvis (3,)."""
        if self.body_free:
            return self._pose_body()
        if self._cached is None:  # betas and pose held: pose the body once
            with torch.no_grad():
                self._cached = self._pose_body()
        return self._cached

    def _pose_body(self) -> tuple[torch.Tensor, torch.Tensor]:
        zeros = torch.zeros((len(self.frames), 3), dtype=DTYPE)
        out = self.model(betas=self.betas[None], body_pose=self.body_pose, global_orient=zeros, transl=zeros)
        keypoints = out.joints[:, : len(self.names)]
        return keypoints, keypoints[0, 0]  # with no root rotation the pelvis stays at its rest position

    def _anchor(self, rest_pelvis: torch.Tensor) -> torch.Tensor:
        """Where `transl` = 0 puts the pelvis: the motion's own rest pelvis when an importer fixed one."""
        rest = self.person.motion.pelvis_rest
        return rest_pelvis if rest is None else torch.as_tensor(rest, dtype=DTYPE)

    def place(self, scale: torch.Tensor) -> None:
        """Start from the imported root: as it stands, or carried by its camera's pose at `scale`."""
        self.rotation = torch.zeros_like(self.rotation)
        if self.camera_poses is None:
            self.pelvis, self.base_orient = self.pelvis_imported.clone(), self.orient
            return
        turn = self.camera_poses[:, :3, :3]
        self.pelvis = torch.einsum("tij,tj->ti", turn, self.pelvis_imported) + scale * self.camera_poses[:, :3, 3]
        self.base_orient = turn @ self.orient

    def free(self, body: bool) -> list[torch.Tensor]:
        self.body_free = body
        self._cached = None  # an earlier stage may have moved betas and pose
        return [self.pelvis, self.rotation] + ([self.betas, self.body_pose] if body else [])

    def world_orient(self) -> torch.Tensor:
        return _rotation(self.rotation) @ self.base_orient

    def keypoints(self) -> torch.Tensor:
        local, rest_pelvis = self._body()
        return torch.einsum("tij,tkj->tki", self.world_orient(), local - rest_pelvis) + self.pelvis[:, None]

    def reprojection(self, rig: _Rig, config: CaptureAlignConfig) -> torch.Tensor:
        """Confidence-weighted mean robust residual, in percent of each view's person size."""
        keypoints = self.keypoints()
        weighted, weight = torch.zeros((), dtype=DTYPE), 0.0
        for name, view in self.views.items():
            pixels = view.project(rig, name, keypoints, clamp=True)
            residual = 100.0 * torch.linalg.vector_norm(pixels - view.detected, dim=-1) / view.size_px
            weighted = weighted + (view.confidence * _robust(residual, config)).sum()
            weight += float(view.confidence.sum())
        return weighted / weight

    def smoothness(self, config: CaptureAlignConfig, fps: float) -> torch.Tensor:
        """Mean squared acceleration of the pelvis and of the orientation (as matrices), in prior units."""
        if len(self.frames) < 3:
            return torch.zeros((), dtype=DTYPE)
        scales = config.prior_scale
        step = torch.as_tensor(np.diff(self.frames) / fps, dtype=DTYPE)  # seconds between motion frames
        position = _acceleration(self.pelvis, step) / scales.acceleration_m_s2
        turn = _acceleration(self.world_orient().flatten(1), step) / np.radians(scales.angular_acceleration_deg_s2)
        return position.pow(2).sum(-1).mean() + turn.pow(2).sum(-1).mean()

    def pose_prior(self, config: CaptureAlignConfig) -> torch.Tensor:
        change = (self.body_pose - self.imported_pose)[:, : self.pose_width]
        return (change / np.radians(config.prior_scale.pose_deg)).pow(2).mean()

    def project_views(self, rig: _Rig) -> dict[str, np.ndarray]:
        """Per camera, the body keypoints projected into the detector's layout (NaN where there are none)."""
        keypoints = self.keypoints()
        out = {}
        for name, view in self.views.items():
            full = np.full(view.detected_full.shape, np.nan)
            full[:, view.detector_index] = view.project(rig, name, keypoints, clamp=False).numpy()
            out[name] = full
        return out

    def motion(self) -> Motion:
        """The fitted motion (SMPL parameters, the capture frame in metres); stale reference joints dropped."""
        motion = self.person.motion
        _, rest_pelvis = self._body()
        betas = np.array(motion.betas, dtype=float)
        betas[: len(self.betas)] = self.betas.numpy()
        body_pose = np.array(motion.body_pose, dtype=float)
        body_pose[:, : self.pose_width] = self.body_pose[:, : self.pose_width].numpy()
        orient = Rotation.from_matrix(self.world_orient().numpy()).as_rotvec()
        transl = (self.pelvis - self._anchor(rest_pelvis)).numpy()
        return replace(
            motion, betas=betas, body_pose=body_pose, global_orient=orient, transl=transl, joints=None,
            joint_names=None,
        )  # fmt: skip


def _acceleration(values: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
    """Second derivative (T-2, D) of samples (T, D) taken `step` (T-1,) seconds apart."""
    velocity = torch.diff(values, dim=0) / step[:, None]
    return 2 * torch.diff(velocity, dim=0) / (step[1:] + step[:-1])[:, None]


def _box_diagonal(pixels: np.ndarray) -> float:
    """Diagonal (px) of the box around two or more points; 0 for fewer."""
    return float(np.linalg.norm(np.ptp(pixels, axis=0))) if len(pixels) >= 2 else 0.0
