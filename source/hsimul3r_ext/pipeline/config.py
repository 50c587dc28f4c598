"""The run's settings: `key=value` overrides checked against `config/`, then one section per group.

Fingerprints hash the composed sections as plain data (cheap: a run that reuses everything imports no
stage code). Before any stage runs, every section is loaded typed and checked, so a bad value fails in
a second, not after the minutes of work that precede the stage reading it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from typing import Any

from ..hsi.errors import CaseError
from ..settings import CONFIG_DIR, ROOT_CONFIG


def _align(overrides: Sequence[str]) -> Any:
    from ..align import load_align_config

    return load_align_config(overrides)


def _convert(overrides: Sequence[str]) -> Any:
    from ..assets import load_convert_config

    return load_convert_config(overrides)


def _humanoid(overrides: Sequence[str]) -> Any:
    from ..body.case_humanoid import humanoid_config

    return humanoid_config(overrides)


def _judge(overrides: Sequence[str]) -> Any:
    from ..stability import load_judge_config

    return load_judge_config(overrides)


# A config group (`config/<group>/default.yaml`) and the loader that returns it typed and checked.
SECTION_LOADERS: dict[str, Callable[[Sequence[str]], Any]] = {
    "align": _align,
    "convert": _convert,
    "humanoid": _humanoid,
    "judge": _judge,
}
_ABSENT = object()


def check_overrides(overrides: Sequence[str]) -> None:
    """Name the file and the setting of a mistyped override (Hydra only says it could not override)."""
    from omegaconf import OmegaConf

    from ..settings import compose

    base = compose()
    for token in overrides:
        key, sep, _ = token.partition("=")
        if not sep or not key:
            raise CaseError(CONFIG_DIR / f"{ROOT_CONFIG}.yaml", token, "expected KEY=VALUE, e.g. align.steps=200")
        if key[0] in "+~":  # Hydra's add / delete syntax: Hydra checks those itself
            continue
        group = key.split(".")[0]
        if group not in base:
            raise CaseError(
                CONFIG_DIR / f"{ROOT_CONFIG}.yaml", key, f"no such section; sections: {', '.join(base.keys())}"
            )
        if OmegaConf.select(base, key, default=_ABSENT) is _ABSENT:
            leaves = _leaf_keys(OmegaConf.to_container(base[group]), group)
            close = difflib.get_close_matches(key, leaves, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise CaseError(CONFIG_DIR / group / "default.yaml", key, f"no such setting{hint}")


def _leaf_keys(node: Any, prefix: str) -> list[str]:
    if not isinstance(node, dict):
        return [prefix]
    return [leaf for key, value in node.items() for leaf in _leaf_keys(value, f"{prefix}.{key}")]


def composed_sections(groups: Sequence[str], overrides: Sequence[str]) -> dict[str, Any]:
    """Each group's section with the overrides applied, as plain data (what fingerprints hash)."""
    from omegaconf import OmegaConf

    from ..settings import compose

    check_overrides(overrides)
    composed = compose(overrides)
    return {group: OmegaConf.to_container(composed[group], resolve=True) for group in groups}


def load_sections(groups: Sequence[str], overrides: Sequence[str]) -> dict[str, Any]:
    """Each group's typed, checked section with the overrides applied (what stages read)."""
    return {group: SECTION_LOADERS[group](overrides) for group in groups}
