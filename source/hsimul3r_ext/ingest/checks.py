"""Checks of a case that need the body model: how tall a motion's betas make the person."""

from __future__ import annotations

from pathlib import Path

from ..body.models import stature
from ..hsi.case_io import MOTION_FILE, load_case
from ..hsi.errors import CaseError
from ..hsi.limits import DEFAULT_LIMITS, ValidationLimits
from ..hsi.motion import Motion
from ..hsi.scene import HSIScene


def check_stature_from_betas(file: str | Path, motion: Motion, limits: ValidationLimits = DEFAULT_LIMITS) -> None:
    """Without reference joints (whose stature `Motion.validate` checks), the body model says how tall
    these betas make the person."""
    if motion.joints is not None:
        return
    height = stature(motion.model_type, motion.gender, motion.betas)
    low, high = limits.person_height_m
    if not low <= height <= high:
        raise CaseError(file, "betas", f"these betas make a person {height:.2f} m tall, outside {low:g}-{high:g} m")


def load_checked_case(case_dir: str | Path, limits: ValidationLimits = DEFAULT_LIMITS) -> HSIScene:
    """`load_case` plus the body-model checks: for cases a user hands the product."""
    scene = load_case(case_dir, limits)
    if scene.motion is not None:
        check_stature_from_betas(Path(case_dir) / MOTION_FILE, scene.motion, limits)
    return scene
