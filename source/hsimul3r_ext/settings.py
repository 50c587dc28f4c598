"""Pipeline configuration: Hydra YAML under `config/`, one group per stage, typed by dataclass schemas.

`config/hsimul3r.yaml` composes `config/<stage>/default.yaml` for every stage; a stage reads its
own section validated against its schema, so a typo in an override is an error, not a silent no-op.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from .hsi.errors import CaseError

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
ROOT_CONFIG = "hsimul3r"
_ABSENT = object()

Schema = TypeVar("Schema")


def compose(overrides: Sequence[str] = ()):  # -> omegaconf.DictConfig
    """The whole pipeline configuration with `key=value` overrides applied (Hydra's syntax)."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    try:
        with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base=None):
            return hydra_compose(config_name=ROOT_CONFIG, overrides=list(overrides))
    except (HydraException, OmegaConfBaseException) as err:
        generic = CaseError(CONFIG_DIR / f"{ROOT_CONFIG}.yaml", "overrides", str(err).splitlines()[0])
        raise _misspelt_override(overrides) or generic from None


def _misspelt_override(overrides: Sequence[str]) -> CaseError | None:
    """The file and setting of the first override that names nothing (Hydra only says it could not override)."""
    from omegaconf import OmegaConf

    base = compose()
    for token in overrides:
        key, sep, _ = token.partition("=")
        if not sep or not key:
            return CaseError(CONFIG_DIR / f"{ROOT_CONFIG}.yaml", token, "expected KEY=VALUE, e.g. align.steps=200")
        if key[0] in "+~":  # Hydra's add / delete syntax: Hydra's own message says what is wrong
            continue
        group = key.split(".")[0]
        if group not in base:
            return CaseError(
                CONFIG_DIR / f"{ROOT_CONFIG}.yaml", key, f"no such section; sections: {', '.join(base.keys())}"
            )
        if OmegaConf.select(base, key, default=_ABSENT) is _ABSENT:
            leaves = _leaf_keys(OmegaConf.to_container(base[group]), group)
            close = difflib.get_close_matches(key, leaves, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            return CaseError(CONFIG_DIR / group / "default.yaml", key, f"no such setting{hint}")
    return None


def _leaf_keys(node: Any, prefix: str) -> list[str]:
    if not isinstance(node, dict):
        return [prefix]
    return [leaf for key, value in node.items() for leaf in _leaf_keys(value, f"{prefix}.{key}")]


def stage_config(stage: str, schema: type[Schema], overrides: Sequence[str] = ()) -> Schema:
    """One stage's section of the composed configuration as an instance of `schema`."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    section = compose(overrides).get(stage)
    if section is None:
        raise CaseError(CONFIG_DIR / f"{ROOT_CONFIG}.yaml", stage, "no such stage in the configuration")
    try:
        return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), section))
    except OmegaConfBaseException as err:
        raise CaseError(CONFIG_DIR / stage / "default.yaml", stage, str(err).splitlines()[0]) from None
