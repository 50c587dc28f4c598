"""Registered HSI task variants, one package per humanoid or robot."""

from . import g1, h1, smpl_humanoid  # noqa: F401
