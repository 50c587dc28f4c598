"""The HSI case: data model, the case-folder format and the checks that need no body model."""

from .case_io import load_case, save_case
from .errors import CaseError
from .motion import Motion
from .scene import HSIScene, PointCloudRef, SceneObject

__all__ = ["CaseError", "HSIScene", "Motion", "PointCloudRef", "SceneObject", "load_case", "save_case"]
