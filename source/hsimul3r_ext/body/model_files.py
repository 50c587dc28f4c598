"""Find and read SMPL-family model files safely (no code runs from a pickle), as `smplx` lays them out."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..hsi.errors import CaseError
from ..hsi.safe_pickle import load_npz, load_pickle

BODY_MODELS_ENV = "HSIMUL3R_BODY_MODELS"
_REQUIRED = ("v_template", "J_regressor", "shapedirs")


def body_models_dir(explicit: str | Path | None = None) -> Path | None:
    """The folder with licensed SMPL-family files: the explicit argument, else $HSIMUL3R_BODY_MODELS."""
    chosen = explicit or os.environ.get(BODY_MODELS_ENV)
    return None if not chosen else Path(chosen)


def model_file(models_dir: Path, model_type: str, gender: str) -> Path:
    """`<dir>/<type>/<TYPE>_<GENDER>.{npz,pkl}` (smplx's layout) or the same name directly in `<dir>`."""
    stem = f"{model_type.upper()}_{gender.upper()}"
    candidates = [models_dir / model_type / f"{stem}{ext}" for ext in (".npz", ".pkl")]
    candidates += [models_dir / f"{stem}{ext}" for ext in (".npz", ".pkl")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise CaseError(
        models_dir, "body model",
        f"no {model_type} {gender} model: expected {candidates[0]} (or .pkl, or directly in {models_dir}); "
        f"without --body-models / ${BODY_MODELS_ENV} the shipped open body model is used",
    )  # fmt: skip


def read_model(path: Path) -> dict[str, Any]:
    """All arrays of a model file, read without running code; sparse matrices become dense."""
    raw = load_npz(path) if path.suffix == ".npz" else load_pickle(path)
    if not isinstance(raw, dict):
        raise CaseError(path, "model", "expected a dictionary of arrays")
    return {key: value.toarray() if hasattr(value, "toarray") else value for key, value in raw.items()}


def read_model_arrays(path: Path) -> dict[str, np.ndarray]:
    """The shape-space arrays of a model file (template, joint regressor, shape directions) as float64."""
    raw = read_model(path)
    for key in _REQUIRED:
        if key not in raw:
            raise CaseError(path, key, "missing from the body model file")
    return {key: np.asarray(raw[key], dtype=np.float64) for key in _REQUIRED}


def shaped_vertices(arrays: dict[str, np.ndarray], betas: np.ndarray) -> np.ndarray:
    """Rest-pose vertices v_template + shapedirs betas, in the model frame (extra betas are ignored)."""
    shapedirs = arrays["shapedirs"]
    count = min(len(betas), shapedirs.shape[-1])
    return arrays["v_template"] + shapedirs[..., :count] @ np.asarray(betas[:count], dtype=np.float64)


def rest_joints(arrays: dict[str, np.ndarray], betas: np.ndarray) -> np.ndarray:
    """Rest-pose joint positions J(betas) = J_regressor shaped_vertices(betas), in the model frame."""
    return arrays["J_regressor"] @ shaped_vertices(arrays, betas)


def rest_pelvis(model_type: str, gender: str, betas: np.ndarray, models_dir: Path) -> tuple[np.ndarray, Path]:
    """Rest pelvis position of the given body model and shape, and the file it came from."""
    path = model_file(models_dir, model_type, gender)
    return rest_joints(read_model_arrays(path), betas)[0], path
