"""Isaac Lab tasks of this extension, found by Isaac Lab through the `isaaclab.tasks` entry point.

Task families register their gym ids when this package is imported (one sub-package per family).
Importing stays light: the configs and environments load only when a task is made.
"""

from . import hsi  # noqa: F401
