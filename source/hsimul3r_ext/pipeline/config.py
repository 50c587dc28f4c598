"""The run's settings: `key=value` overrides checked against `config/`, then one section per group.

Fingerprints hash the composed sections as plain data (cheap: a run that reuses everything imports no
stage code). Before any stage runs, every section is loaded typed and checked, so a bad value fails in
a second, not after the minutes of work that precede the stage reading it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any


def _align(overrides: Sequence[str]) -> Any:
    from ..align import load_align_config

    return load_align_config(overrides)


def _capture(overrides: Sequence[str]) -> Any:
    from ..ingest.capture.to_case import load_capture_config

    return load_capture_config(overrides)


def _capture_align(overrides: Sequence[str]) -> Any:
    from ..align.capture import load_capture_align_config

    return load_capture_align_config(overrides)


def _convert(overrides: Sequence[str]) -> Any:
    from ..assets import load_convert_config

    return load_convert_config(overrides)


def _dsro(overrides: Sequence[str]) -> Any:
    from ..dsro.config import load_dsro_config

    return load_dsro_config(overrides)


def _forward(overrides: Sequence[str]) -> Any:
    from ..tasks.hsi.forward import load_forward_config

    return load_forward_config(overrides)


def _humanoid(overrides: Sequence[str]) -> Any:
    from ..body.case_humanoid import humanoid_config

    return humanoid_config(overrides)


def _reverse(overrides: Sequence[str]) -> Any:
    from ..dsro.regenerate import load_reverse_config

    return load_reverse_config(overrides)


def _robot(overrides: Sequence[str]) -> Any:
    from ..retarget.config import load_robot_config

    return load_robot_config(overrides)


def _judge(overrides: Sequence[str]) -> Any:
    from ..stability import load_judge_config

    return load_judge_config(overrides)


# A config group (`config/<group>/default.yaml`) and the loader that returns it typed and checked.
SECTION_LOADERS: dict[str, Callable[[Sequence[str]], Any]] = {
    "align": _align,
    "capture": _capture,
    "capture_align": _capture_align,
    "convert": _convert,
    "dsro": _dsro,
    "forward": _forward,
    "humanoid": _humanoid,
    "judge": _judge,
    "reverse": _reverse,
    "robot": _robot,
}


def composed_sections(groups: Sequence[str], overrides: Sequence[str]) -> dict[str, Any]:
    """Each group's section with the overrides applied, as plain data (what fingerprints hash)."""
    from omegaconf import OmegaConf

    from ..settings import compose

    composed = compose(overrides)
    return {group: OmegaConf.to_container(composed[group], resolve=True) for group in groups}


def load_sections(groups: Sequence[str], overrides: Sequence[str]) -> dict[str, Any]:
    """Each group's typed, checked section with the overrides applied (what stages read)."""
    return {group: SECTION_LOADERS[group](overrides) for group in groups}
