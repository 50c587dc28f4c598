"""SMPL-family body models through `smplx`: licensed files from a folder, else our open model.

Model files are read with the restricted unpickler first, so a file that would run code is refused
before `smplx` sees it.
"""

from __future__ import annotations

import contextlib
import functools
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..hsi.errors import CaseError
from ..hsi.safe_pickle import load_npz, load_pickle
from .model_files import BODY_MODELS_ENV, body_models_dir, model_file

OPEN_MODEL_FILE = Path(__file__).resolve().parent / "data" / "OPEN_NEUTRAL.pkl"


@dataclass(frozen=True)
class BodyModelSource:
    """Which file a body comes from, and whether it is our open model."""

    model_type: str
    gender: str
    path: Path
    is_open_model: bool

    def describe(self) -> str:
        origin = "open SMPL-compatible model (shipped)" if self.is_open_model else "licensed model file"
        return f"{self.model_type} {self.gender}: {origin} {self.path}"


def locate_body_model(model_type: str, gender: str, models_dir: str | Path | None = None) -> BodyModelSource:
    """Licensed files when a folder is given (argument or $HSIMUL3R_BODY_MODELS), else the open model."""
    folder = body_models_dir(models_dir)
    if folder is not None:
        return BodyModelSource(model_type, gender, model_file(folder, model_type, gender), is_open_model=False)
    if model_type != "smpl":
        raise CaseError(
            model_type, "body model",
            f"the open body model (the default) has SMPL's 24 joints only; {model_type} needs licensed files: "
            f"pass --body-models DIR or set {BODY_MODELS_ENV}",
        )  # fmt: skip
    return BodyModelSource("smpl", "neutral", OPEN_MODEL_FILE, is_open_model=True)


def read_model(path: Path) -> dict[str, Any]:
    """All arrays of a model file, read without running code; sparse matrices become dense."""
    raw = load_npz(path) if path.suffix == ".npz" else load_pickle(path)
    if not isinstance(raw, dict):
        raise CaseError(path, "model", "expected a dictionary of arrays")
    return {key: value.toarray() if hasattr(value, "toarray") else value for key, value in raw.items()}


def create_body_model(source: BodyModelSource, num_betas: int = 10, batch_size: int = 1, **kwargs: Any):
    """An `smplx` model (SMPL, SMPL-H or SMPL-X) for `source`; kwargs go to the smplx constructor."""
    import smplx
    from smplx.utils import Struct

    arrays = read_model(source.path)  # refuses unsafe files before smplx opens them
    num_betas = min(num_betas, np.asarray(arrays["shapedirs"]).shape[-1])  # extra betas cannot act on this model
    if "landmark_names" in arrays:  # keypoint vertices (nose, toes, finger tips) of a non-SMPL topology
        names, indices = arrays.pop("landmark_names"), arrays.pop("landmark_vertices")
        kwargs.setdefault("vertex_ids", {str(n): int(i) for n, i in zip(names, indices, strict=True)})
    if source.model_type == "smpl":
        struct = Struct(**{k: np.asarray(v) for k, v in arrays.items()})
        with contextlib.redirect_stdout(io.StringIO()):  # smplx prints a warning for 10-beta models
            return smplx.SMPL(
                model_path=str(source.path), data_struct=struct, num_betas=num_betas, batch_size=batch_size, **kwargs
            )
    model_class = {"smplh": smplx.SMPLH, "smplx": smplx.SMPLX}[source.model_type]
    with contextlib.redirect_stdout(io.StringIO()):
        return model_class(
            model_path=str(source.path), gender=source.gender, num_betas=num_betas, batch_size=batch_size,
            ext=source.path.suffix.lstrip("."), **kwargs,
        )  # fmt: skip


@functools.lru_cache(maxsize=8)
def _shape_space(path: Path) -> tuple[np.ndarray, np.ndarray]:
    arrays = read_model(path)
    return np.asarray(arrays["v_template"], np.float64), np.asarray(arrays["shapedirs"], np.float64)


def stature(model_type: str, gender: str, betas: np.ndarray, models_dir: str | Path | None = None) -> float:
    """Standing height (m) of the rest body for `betas`: crown to sole along the model's up axis (Y)."""
    source = locate_body_model(model_type if body_models_dir(models_dir) is not None else "smpl", gender, models_dir)
    template, shapedirs = _shape_space(source.path)
    count = min(len(betas), shapedirs.shape[-1])
    heights = (template + shapedirs[..., :count] @ np.asarray(betas[:count], np.float64))[:, 1]
    return float(heights.max() - heights.min())
