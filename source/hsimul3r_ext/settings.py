"""Pipeline configuration: Hydra YAML under `config/`, one group per stage, typed by dataclass schemas.

`config/hsimul3r.yaml` composes `config/<stage>/default.yaml` for every stage; a stage reads its
own section validated against its schema, so a typo in an override is an error, not a silent no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TypeVar

from .hsi.errors import CaseError

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
ROOT_CONFIG = "hsimul3r"

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
        raise CaseError(CONFIG_DIR / f"{ROOT_CONFIG}.yaml", "overrides", str(err).splitlines()[0]) from None


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
