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
from .model_files import BODY_MODELS_ENV, body_models_dir, model_file, read_model, read_model_arrays, shaped_vertices

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


def locate_motion_body(model_type: str, gender: str, models_dir: str | Path | None = None) -> BodyModelSource:
    """The body a motion is posed with: licensed files of its own model type, else the open SMPL model."""
    folder = body_models_dir(models_dir)
    return locate_body_model(model_type if folder is not None else "smpl", gender, folder)


_cached_arrays = functools.lru_cache(maxsize=8)(read_model_arrays)


def stature(model_type: str, gender: str, betas: np.ndarray, models_dir: str | Path | None = None) -> float:
    """Standing height (m) of the rest body for `betas`: crown to sole along the model's up axis (Y)."""
    heights = shaped_vertices(_cached_arrays(locate_motion_body(model_type, gender, models_dir).path), betas)[:, 1]
    return float(heights.max() - heights.min())
