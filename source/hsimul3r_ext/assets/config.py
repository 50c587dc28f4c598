"""Schema of the `convert` stage's configuration (`config/convert/default.yaml`).

The defaults here equal the YAML's (a test holds them together), so the converter also runs without Hydra.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ..hsi.errors import CaseError
from ..hsi.scene import CATEGORIES
from ..settings import CONFIG_DIR, stage_config

CONFIG_FILE = CONFIG_DIR / "convert" / "default.yaml"
CACHE_ENV = "HSIMUL3R_CACHE_DIR"


@dataclass
class RepairConfig:
    min_piece_volume_fraction: float = 1e-3


@dataclass
class CoacdRetry:
    """A later attempt of the decomposition: the settings that differ from the first attempt's (None: same)."""

    threshold: float | None = None
    max_convex_hull: int | None = None
    preprocess_mode: str | None = None
    max_input_faces: int | None = None
    seed: int | None = None


def _retries() -> list[CoacdRetry]:
    return [
        CoacdRetry(seed=1),
        CoacdRetry(threshold=0.08, max_convex_hull=16),
        CoacdRetry(threshold=0.08, max_convex_hull=16, preprocess_mode="on", seed=2),
    ]


@dataclass
class CoacdConfig:
    """CoACD's own parameters (names as in `coacd.run_coacd`) plus what we do around it."""

    enabled: bool = True
    max_input_faces: int = 4000
    threshold: float = 0.05
    max_convex_hull: int = 32
    preprocess_mode: str = "auto"
    preprocess_resolution: int = 50
    resolution: int = 2000
    mcts_nodes: int = 20
    mcts_iterations: int = 100
    mcts_max_depth: int = 3
    max_ch_vertex: int = 64
    seed: int = 0
    time_limit_s: float = 180.0
    retries: list[CoacdRetry] = field(default_factory=_retries)
    cache_dir: str | None = None

    def attempts(self) -> list[CoacdConfig]:
        """The settings of each attempt, in order: these, then each retry applied to them."""
        changes = [{k: v for k, v in asdict(retry).items() if v is not None} for retry in self.retries]
        return [self, *(replace(self, **change) for change in changes)]

    def run_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `coacd.run_coacd`; they also key the decomposition cache."""
        return {
            "threshold": self.threshold,
            "max_convex_hull": self.max_convex_hull,
            "preprocess_mode": self.preprocess_mode,
            "preprocess_resolution": self.preprocess_resolution,
            "resolution": self.resolution,
            "mcts_nodes": self.mcts_nodes,
            "mcts_iterations": self.mcts_iterations,
            "mcts_max_depth": self.mcts_max_depth,
            "decimate": True,
            "max_ch_vertex": self.max_ch_vertex,
            "seed": self.seed,
        }

    def cache_path(self) -> Path:
        """Where decompositions are cached: the configured folder, else the environment's cache root."""
        if self.cache_dir:
            return Path(self.cache_dir).expanduser()
        if os.environ.get(CACHE_ENV):
            return Path(os.environ[CACHE_ENV]).expanduser() / "coacd"
        xdg = os.environ.get("XDG_CACHE_HOME")
        return (Path(xdg) if xdg else Path.home() / ".cache") / "hsimul3r" / "coacd"


def _category_masses() -> dict[str, float]:
    return {"chair": 6.0, "armchair": 20.0, "sofa": 45.0, "table": 25.0, "stool": 3.5, "bed": 70.0, "box": 5.0}


@dataclass
class MassConfig:
    default_density_kg_m3: float = 400.0
    category_mass_kg: dict[str, float] = field(default_factory=_category_masses)


@dataclass
class MaterialConfig:
    static_friction: float = 0.8
    dynamic_friction: float = 0.6
    restitution: float = 0.0


@dataclass
class SceneConfig:
    ground_size_m: float = 20.0
    ground_thickness_m: float = 0.2
    gravity_m_s2: float = 9.81
    max_ground_penetration_m: float = 0.002  # a dynamic object starting deeper in the floor is lifted onto it


@dataclass
class ConvertConfig:
    visual_max_faces: int = 20000
    repair: RepairConfig = field(default_factory=RepairConfig)
    coacd: CoacdConfig = field(default_factory=CoacdConfig)
    mass: MassConfig = field(default_factory=MassConfig)
    material: MaterialConfig = field(default_factory=MaterialConfig)
    scene: SceneConfig = field(default_factory=SceneConfig)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def load_convert_config(overrides: Sequence[str] = ()) -> ConvertConfig:
    """The `convert` section with `key=value` overrides (e.g. `convert.coacd.threshold=0.08`), checked."""
    config = stage_config("convert", ConvertConfig, overrides)
    check_convert_config(config)
    return config


def check_convert_config(config: ConvertConfig) -> None:
    """Values the schema's types cannot rule out; a bad one names its key."""
    at_least = {
        "visual_max_faces": (config.visual_max_faces, 4),
        "coacd.max_input_faces": (config.coacd.max_input_faces, 4),
        "coacd.max_ch_vertex": (config.coacd.max_ch_vertex, 4),
    }
    for number, retry in enumerate(config.coacd.retries):
        if retry.max_input_faces is not None:
            at_least[f"coacd.retries[{number}].max_input_faces"] = (retry.max_input_faces, 4)
    for key, (value, low) in at_least.items():
        if value < low:
            raise CaseError(CONFIG_FILE, f"convert.{key}", f"must be at least {low}, got {value}")
    positive = {
        "coacd.threshold": config.coacd.threshold,
        "coacd.time_limit_s": config.coacd.time_limit_s,
        **{
            f"coacd.retries[{n}].threshold": r.threshold
            for n, r in enumerate(config.coacd.retries)
            if r.threshold is not None
        },
        "mass.default_density_kg_m3": config.mass.default_density_kg_m3,
        "scene.ground_size_m": config.scene.ground_size_m,
        "scene.ground_thickness_m": config.scene.ground_thickness_m,
    }
    for key, value in positive.items():
        if not value > 0:
            raise CaseError(CONFIG_FILE, f"convert.{key}", f"must be positive, got {value}")
    for number, attempt in enumerate(config.coacd.attempts()):
        if attempt.preprocess_mode not in ("auto", "on", "off"):
            key = "preprocess_mode" if number == 0 else f"retries[{number - 1}].preprocess_mode"
            raise CaseError(CONFIG_FILE, f"convert.coacd.{key}", "must be auto, on or off")
    for category, mass in config.mass.category_mass_kg.items():
        if category not in CATEGORIES or not mass > 0:
            raise CaseError(
                CONFIG_FILE,
                f"convert.mass.category_mass_kg.{category}",
                f"needs a category in {CATEGORIES} and mass > 0",
            )
    material = config.material
    if min(material.static_friction, material.dynamic_friction) < 0 or not 0 <= material.restitution <= 1:
        raise CaseError(CONFIG_FILE, "convert.material", "friction must be >= 0 and restitution in [0, 1]")
    if config.scene.gravity_m_s2 < 0 or config.scene.max_ground_penetration_m < 0:
        raise CaseError(CONFIG_FILE, "convert.scene", "gravity_m_s2 and max_ground_penetration_m must be >= 0")
    if not 0 <= config.repair.min_piece_volume_fraction < 1:
        raise CaseError(CONFIG_FILE, "convert.repair.min_piece_volume_fraction", "must be in [0, 1)")
