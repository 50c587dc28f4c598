"""The interface DSRO fine-tunes: a conditional flow-matching (rectified-flow) generator of object latents.

Convention (DSO's, TRELLIS's): x_t = (1 - t) x0 + t eps, t in [0, 1], eps ~ N(0, I); the network predicts
v = eps - x0. Sampling integrates dx/dt = v from pure noise at t = 1 to a latent at t = 0. DSRO needs
each sample's own latent x0 (a mesh alone cannot be scored by the flow loss), the velocity for (x_t, t, c),
the parameters it may change, and a decoder from latents to meshes the converter and the judge take.
See docs/dsro.md for how TRELLIS's sparse-structure flow and MIDI's DiT fit here.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch
import trimesh


class FlowGenerator(ABC, torch.nn.Module):
    """A conditional flow-matching generator; subclasses say what x0, c and decode are."""

    latent_shape: tuple[int, ...]

    @abstractmethod
    def condition(self, observation: Any) -> torch.Tensor:
        """The network's condition c for one observation (a leading batch axis of 1)."""

    @abstractmethod
    def velocity(self, x_t: torch.Tensor, t: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        """v_theta(x_t, t, c) for a batch: x_t (B, *latent_shape), t (B,), c (B, ...)."""

    @abstractmethod
    def decode(self, latents: torch.Tensor) -> list[trimesh.Trimesh | None]:
        """One mesh per latent (None when a latent decodes to nothing), in the generator's object frame."""

    @abstractmethod
    def prepare_finetuning(self, lora_rank: int) -> None:
        """Freeze what fine-tuning must not change; rank > 0 adds LoRA adapters, 0 unfreezes a chosen subset."""

    @abstractmethod
    def trainable_parameters(self) -> Iterable[torch.nn.Parameter]:
        """What fine-tuning changes (LoRA adapters or a chosen subset); everything else stays frozen."""

    @abstractmethod
    def save(self, path: Path, **metadata: Any) -> None:
        """Write the generator (weights and settings) as one file that `load_generator` takes."""

    @torch.no_grad()
    def sample_latents(self, condition: torch.Tensor, count: int, seed: int, steps: int = 32) -> torch.Tensor:
        """`count` latents for one condition by Euler integration of the flow from t = 1 to 0; seeded."""
        generator = torch.Generator().manual_seed(int(seed))
        x = torch.randn((count, *self.latent_shape), generator=generator)
        c = condition.expand(count, *condition.shape[1:])
        times = torch.linspace(1.0, 0.0, steps + 1)
        for t_now, t_next in itertools.pairwise(times):
            v = self.velocity(x, t_now.expand(count), c)
            x = x + (t_next - t_now) * v
        return x


def load_generator(path: str | Path) -> FlowGenerator:
    """A generator file saved by `PartsFlowGenerator.save` (the shipped one or a fine-tuned copy), or a plug-in
    named `python:MODULE:FUNCTION` (FUNCTION() returns a FlowGenerator; see docs/dsro.md)."""
    import importlib

    from ..hsi.errors import CaseError
    from .parts_generator import PartsFlowGenerator

    text = str(path)
    if text.startswith(PLUGIN_PREFIX):
        module_name, _, function = text[len(PLUGIN_PREFIX) :].partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), function)
        except (ImportError, AttributeError, ValueError) as err:
            raise CaseError(text, "generator", f"cannot import the plug-in ({err})") from None
        generator = factory()
        if not isinstance(generator, FlowGenerator):
            raise CaseError(text, "generator", f"{function}() returned {type(generator).__name__}, not a FlowGenerator")
        return generator
    return PartsFlowGenerator.load(Path(path))


PLUGIN_PREFIX = "python:"


def generator_identity(path: str | Path) -> str:
    """What names a generator in labels and reports: a file's SHA-256, or a plug-in's `python:...` spec."""
    import hashlib

    text = str(path)
    return text if text.startswith(PLUGIN_PREFIX) else hashlib.sha256(Path(path).read_bytes()).hexdigest()
