"""HSI tracking tasks (HSImul3R's forward pass, Sec. 3.3): imitate a case's motion among its objects.

`mdp/` holds the terms, `hsi_env_cfg.py` the task, `config/<robot>/` the registered variants.
"""

from . import config  # noqa: F401
