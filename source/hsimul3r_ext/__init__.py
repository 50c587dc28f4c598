"""HSImul3R for Isaac Lab 3.0: simulation-ready human-scene interactions.

Importing this package must stay cheap and must not need Isaac Sim: heavy modules (torch, warp,
Isaac Lab) are imported by the submodules that use them.
"""

__version__ = "0.1.0"
