"""Human-scene alignment with the explicit 3D structural prior (paper Sec. 3.2)."""

from .align_case import align_case, measure_case
from .config import AlignConfig, load_align_config
from .metrics import measure_alignment

__all__ = ["AlignConfig", "align_case", "load_align_config", "measure_alignment", "measure_case"]
