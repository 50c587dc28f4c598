"""Simulation-ready assets: case objects as rigid-body USDs, the scene as USD and MJCF.

Isaac Lab configs for the converted objects live in `assets.isaaclab_cfg`, imported on demand because
it needs Isaac Lab.
"""

from .config import ConvertConfig, load_convert_config
from .convert_case import convert_case
from .rigid_object import ObjectAsset, convert_object
from .scene_humanoid import SceneHumanoid

__all__ = ["ConvertConfig", "ObjectAsset", "SceneHumanoid", "convert_case", "convert_object", "load_convert_config"]
