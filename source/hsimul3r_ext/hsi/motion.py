"""Canonical motion: SMPL-family parameters per frame, Z-up metres, stored as `motion.npz`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import CaseError
from .limits import DEFAULT_LIMITS, ValidationLimits
from .smpl_layout import BODY_POSE_WIDTH, GENDERS, SMPL_JOINT_NAMES, stature_from_joints

MODEL_TYPES = tuple(BODY_POSE_WIDTH)
_FLOAT32_MAX = float(np.finfo(np.float32).max)

# Optional per-frame parameters: name -> (width, model types that have it). Expression width varies.
OPTIONAL_PARAMS: dict[str, tuple[int | None, tuple[str, ...]]] = {
    "left_hand_pose": (45, ("smplh", "smplx")),
    "right_hand_pose": (45, ("smplh", "smplx")),
    "jaw_pose": (3, ("smplx",)),
    "leye_pose": (3, ("smplx",)),
    "reye_pose": (3, ("smplx",)),
    "expression": (None, ("smplx",)),
}


@dataclass
class Motion:
    """A body's shape and motion in SMPL / SMPL-H / SMPL-X parameters.

    `transl` has SMPL's meaning (the pelvis sits at `transl + J_pelvis(betas)` of the body model).
    When a body-transform importer had to fix the pelvis rest position itself, `pelvis_rest` records
    the value used, so a body model with another rest pelvis can re-anchor the motion exactly.
    """

    fps: float
    betas: np.ndarray  # (B,)
    global_orient: np.ndarray  # (T, 3) axis-angle
    body_pose: np.ndarray  # (T, 69) SMPL or (T, 63) SMPL-H / SMPL-X, axis-angle
    transl: np.ndarray  # (T, 3) metres
    model_type: str = "smpl"
    gender: str = "neutral"
    hand_face: dict[str, np.ndarray] = field(default_factory=dict)  # keys of OPTIONAL_PARAMS
    joints: np.ndarray | None = None  # (T, J, 3) reference joint / body positions
    joint_names: tuple[str, ...] | None = None
    contact_labels: np.ndarray | None = None  # (T, K) bool
    contact_body_names: tuple[str, ...] | None = None
    pelvis_rest: np.ndarray | None = None  # (3,)

    @property
    def num_frames(self) -> int:
        return int(self.transl.shape[0])

    @property
    def duration_s(self) -> float:
        return self.num_frames / self.fps

    def at_frames(self, frames: np.ndarray, fps: float | None = None) -> Motion:
        """The motion at a subset of its frames (an image sequence taken every few frames, say)."""
        index = np.asarray(frames, dtype=int)

        def pick(array: np.ndarray | None) -> np.ndarray | None:
            return None if array is None else np.asarray(array)[index]

        return replace(
            self, fps=self.fps if fps is None else fps, global_orient=pick(self.global_orient),
            body_pose=pick(self.body_pose), transl=pick(self.transl),
            hand_face={name: pick(array) for name, array in self.hand_face.items()},
            joints=pick(self.joints), contact_labels=pick(self.contact_labels),
        )  # fmt: skip

    def validate(
        self, file: str | Path, limits: ValidationLimits = DEFAULT_LIMITS, metadata_file: str | Path | None = None
    ) -> None:
        """Raise CaseError naming the file and the field on the first broken rule.

        Arrays are blamed on `file`; fps, model type, gender and pelvis_rest on `metadata_file` (the
        manifest, in a case folder) when given. The checks that need a body model (stature from betas)
        live in `ingest.checks`, a floor above the body model.
        """
        meta = metadata_file or file
        prefix = "motion." if metadata_file else ""
        _check_choice(meta, f"{prefix}model_type", self.model_type, MODEL_TYPES)
        _check_choice(meta, f"{prefix}gender", self.gender, GENDERS)
        if not (np.isfinite(self.fps) and limits.fps[0] <= self.fps <= limits.fps[1]):
            raise CaseError(meta, f"{prefix}fps", f"must be > 0 and <= {limits.fps[1]:g}, got {self.fps!r}")
        betas = _float_array(file, "betas", self.betas, ndim=1)
        if not 1 <= betas.shape[0] <= 400:
            raise CaseError(file, "betas", f"expected 1..400 shape coefficients, got {betas.shape[0]}")
        if np.abs(betas).max() > limits.max_abs_beta:
            raise CaseError(file, "betas", f"|beta| must be <= {limits.max_abs_beta:g} (shape-space sigmas)")
        num_frames = _frames(file, "transl", self.transl, 3)
        if num_frames < 1:
            raise CaseError(file, "transl", "motion has no frames")
        _frames(file, "global_orient", self.global_orient, 3, num_frames)
        _frames(file, "body_pose", self.body_pose, BODY_POSE_WIDTH[self.model_type], num_frames)
        for name, array in self.hand_face.items():
            if name not in OPTIONAL_PARAMS:
                raise CaseError(file, name, f"unknown parameter; known: {', '.join(OPTIONAL_PARAMS)}")
            width, models = OPTIONAL_PARAMS[name]
            if self.model_type not in models:
                raise CaseError(file, name, f"not a parameter of {self.model_type} (only {', '.join(models)})")
            _frames(file, name, array, width, num_frames)
        rotations = {"global_orient": self.global_orient, "body_pose": self.body_pose, **self.hand_face}
        rotations.pop("expression", None)  # blend-shape weights, not rotations
        for name, array in rotations.items():
            _check_magnitude(file, name, array, limits.max_abs_axis_angle_rad, "axis-angle values")
        _check_magnitude(file, "transl", self.transl, limits.max_abs_position_m, "positions (m)")
        if self.joints is not None:
            _check_joints(file, self, num_frames, limits)
        elif self.joint_names is not None:
            raise CaseError(file, "joint_names", "given without joints")
        if self.contact_labels is not None:
            _check_contacts(file, self, num_frames)
        elif self.contact_body_names is not None:
            raise CaseError(file, "contact_body_names", "given without contact_labels")
        if self.pelvis_rest is not None:
            rest = _float_array(meta, f"{prefix}pelvis_rest_m", self.pelvis_rest, ndim=1)
            if rest.shape != (3,) or np.abs(rest).max() > 2.0:
                raise CaseError(meta, f"{prefix}pelvis_rest_m", "expected 3 coordinates within 2 m of the body origin")
        if num_frames > 1:
            speed = np.linalg.norm(np.diff(self.transl, axis=0), axis=1) * self.fps
            fast = float(np.percentile(speed, 95))
            if fast > limits.max_root_speed_m_s:
                raise CaseError(
                    file, "transl",
                    f"root moves at {fast:.1f} m/s (95th percentile), over {limits.max_root_speed_m_s:g} m/s: "
                    "wrong units (cm or mm instead of m) or wrong fps?",
                )  # fmt: skip

    def arrays(self) -> dict[str, np.ndarray]:
        """The `motion.npz` payload: plain arrays only, so it loads without pickle."""
        out: dict[str, np.ndarray] = {
            "betas": self.betas,
            "global_orient": self.global_orient,
            "body_pose": self.body_pose,
            "transl": self.transl,
            **self.hand_face,
        }
        if self.joints is not None:
            out["joints"] = self.joints
            out["joint_names"] = np.array(self.joint_names, dtype=str)
        if self.contact_labels is not None:
            out["contact_labels"] = self.contact_labels.astype(bool)
            out["contact_body_names"] = np.array(self.contact_body_names, dtype=str)
        return {k: np.asarray(v, dtype=np.float32) if np.asarray(v).dtype.kind == "f" else v for k, v in out.items()}

    @classmethod
    def from_arrays(
        cls, arrays: dict[str, np.ndarray], *, fps: float, model_type: str, gender: str,
        pelvis_rest: list[float] | None, file: str | Path,
    ) -> Motion:  # fmt: skip
        """Inverse of `arrays()`; unknown keys are an error so typos do not vanish silently."""
        required = ("betas", "global_orient", "body_pose", "transl")
        for key in required:
            if key not in arrays:
                raise CaseError(file, key, "missing")
        known = {*required, *OPTIONAL_PARAMS, "joints", "joint_names", "contact_labels", "contact_body_names"}
        for key in arrays:
            if key not in known:
                raise CaseError(file, key, f"unknown array; known: {', '.join(sorted(known))}")
        names = arrays.get("joint_names")
        contact_names = arrays.get("contact_body_names")
        return cls(
            fps=float(fps),
            betas=arrays["betas"],
            global_orient=arrays["global_orient"],
            body_pose=arrays["body_pose"],
            transl=arrays["transl"],
            model_type=model_type,
            gender=gender,
            hand_face={k: arrays[k] for k in OPTIONAL_PARAMS if k in arrays},
            joints=arrays.get("joints"),
            joint_names=None if names is None else name_tuple(names),
            contact_labels=arrays.get("contact_labels"),
            contact_body_names=None if contact_names is None else name_tuple(contact_names),
            pelvis_rest=None if pelvis_rest is None else np.asarray(pelvis_rest, dtype=np.float64),
        )


def name_tuple(value: Any) -> tuple[str, ...]:
    """Names stored as a list or an array of any rank (a 0-d array is one name; a string is not split)."""
    return tuple(str(n) for n in np.asarray(value).reshape(-1))


def _check_choice(file: str | Path, name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise CaseError(file, name, f"must be one of {', '.join(choices)}, got {value!r}")


def _float_array(file: str | Path, name: str, value: object, ndim: int) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind != "f":
        raise CaseError(file, name, f"expected floating point numbers, got dtype {array.dtype}")
    if array.ndim != ndim:
        raise CaseError(file, name, f"expected {ndim} dimension(s), got shape {array.shape}")
    if not np.isfinite(array).all():
        bad = np.argwhere(~np.isfinite(array))[0].tolist()
        raise CaseError(file, name, f"contains NaN or inf (first at index {bad})")
    if array.size and np.abs(array).max() > _FLOAT32_MAX:
        raise CaseError(file, name, "values beyond float32's range, in which motion.npz stores them")
    return array


def _check_magnitude(file: str | Path, name: str, array: np.ndarray, bound: float, what: str) -> None:
    largest = float(np.abs(array).max()) if array.size else 0.0
    if largest > bound:
        raise CaseError(file, name, f"{what} up to {largest:.3g}, over {bound:g}: garbage or wrong units?")


def _frames(file: str | Path, name: str, value: object, width: int | None, num_frames: int | None = None) -> int:
    array = _float_array(file, name, value, ndim=2)
    if width is not None and array.shape[1] != width:
        raise CaseError(file, name, f"expected shape (T, {width}), got {array.shape}")
    if num_frames is not None and array.shape[0] != num_frames:
        raise CaseError(file, name, f"has {array.shape[0]} frames, transl has {num_frames}")
    return int(array.shape[0])


def _check_names(file: str | Path, field_name: str, names: tuple[str, ...] | None, count: int) -> None:
    if names is None or len(names) != count:
        raise CaseError(file, field_name, f"expected {count} names, got {None if names is None else len(names)}")
    if len(set(names)) != len(names):
        raise CaseError(file, field_name, "names must be unique")


def _check_joints(file: str | Path, motion: Motion, num_frames: int, limits: ValidationLimits) -> None:
    joints = _float_array(file, "joints", motion.joints, ndim=3)
    if joints.shape[0] != num_frames or joints.shape[2] != 3:
        raise CaseError(file, "joints", f"expected shape ({num_frames}, J, 3), got {joints.shape}")
    _check_magnitude(file, "joints", joints, limits.max_abs_position_m, "positions (m)")
    _check_names(file, "joint_names", motion.joint_names, joints.shape[1])
    if motion.joint_names[: len(SMPL_JOINT_NAMES)] == SMPL_JOINT_NAMES:
        height = stature_from_joints(joints[:, : len(SMPL_JOINT_NAMES)])
        low, high = limits.person_height_m
        if not low <= height <= high:
            raise CaseError(
                file, "joints", f"the skeleton measures a person {height:.2f} m tall, outside {low:g}-{high:g} m: "
                "wrong units or a broken skeleton?",
            )  # fmt: skip


def _check_contacts(file: str | Path, motion: Motion, num_frames: int) -> None:
    labels = np.asarray(motion.contact_labels)
    if labels.dtype != bool:
        raise CaseError(file, "contact_labels", f"expected booleans, got dtype {labels.dtype}")
    if labels.ndim != 2 or labels.shape[0] != num_frames:
        raise CaseError(file, "contact_labels", f"expected shape ({num_frames}, K), got {labels.shape}")
    _check_names(file, "contact_body_names", motion.contact_body_names, labels.shape[1])


def per_second(values: np.ndarray, fps: float) -> np.ndarray:
    """Change per second along the frames (axis 0, central differences); a one-frame motion (one instant, as a
    sparse-view capture gives) stands still."""
    return np.gradient(values, axis=0) * fps if len(values) > 1 else np.zeros_like(values)
