"""The generator we ship: a conditional rectified flow over box-part latents (`parts.py`), conditioned on an
object's observation (`condition.py`); trained by `scripts/train_object_generator.py`.

Network: a small CNN encodes the crop and its scalars; the velocity MLP's residual blocks are modulated
(scale and shift, as DiT's adaLN) by the condition and the time. Fine-tuning adapts the velocity MLP only
(LoRA by default), as DSO adapts TRELLIS's flow transformer and keeps its image encoder.
"""

from __future__ import annotations

import math
import pickle
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import trimesh
from torch import nn

from ..hsi.errors import CaseError
from ..hsi.observation import Observation
from .condition import CHANNELS, CROP_PIXELS, SCALARS, condition_arrays
from .generator import FlowGenerator
from .lora import add_lora, merge_lora
from .parts import LATENT_SIZE, PartShape

FILE_FORMAT = "hsimul3r-parts-flow"
FILE_VERSION = 1


@dataclass(frozen=True)
class NetworkSize:
    width: int = 256
    blocks: int = 4
    condition_width: int = 256


class _Encoder(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.convs = nn.Sequential(
            nn.Conv2d(CHANNELS, 16, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.SiLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.SiLU(),
        )  # fmt: skip
        cells = (CROP_PIXELS // 8) ** 2 * 64
        self.head = nn.Sequential(nn.Linear(cells + SCALARS, width), nn.SiLU(), nn.Linear(width, width))

    def forward(self, images: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        return self.head(torch.cat([self.convs(images).flatten(1), scalars], dim=1))


class _Block(nn.Module):
    def __init__(self, width: int, condition_width: int) -> None:
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.modulation = nn.Linear(condition_width, 2 * width)
        self.mlp = nn.Sequential(nn.Linear(width, 2 * width), nn.SiLU(), nn.Linear(2 * width, width))

    def forward(self, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        scale, shift = self.modulation(c).chunk(2, dim=1)
        return h + self.mlp(self.norm(h) * (1 + scale) + shift)


class _Velocity(nn.Module):
    def __init__(self, size: NetworkSize) -> None:
        super().__init__()
        self.size = size
        self.inp = nn.Linear(LATENT_SIZE, size.width)
        self.time = nn.Sequential(nn.Linear(64, size.condition_width), nn.SiLU())
        self.blocks = nn.ModuleList(_Block(size.width, size.condition_width) for _ in range(size.blocks))
        self.out = nn.Sequential(nn.LayerNorm(size.width), nn.Linear(size.width, LATENT_SIZE))

    def forward(self, x: torch.Tensor, t: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        frequencies = torch.exp(torch.arange(32, dtype=x.dtype) * (-math.log(1000.0) / 32))
        angles = t[:, None] * 1000.0 * frequencies[None]
        c = c + self.time(torch.cat([angles.sin(), angles.cos()], dim=1))
        h = self.inp(x)
        for block in self.blocks:
            h = block(h, c)
        return self.out(h)


class PartsFlowGenerator(FlowGenerator):
    """x0: a box-part latent (LATENT_SIZE numbers); c: the encoded crop of an observation; decode: boxes."""

    latent_shape = (LATENT_SIZE,)

    def __init__(self, size: NetworkSize | None = None) -> None:
        super().__init__()
        self.size = size or NetworkSize()
        self.encoder = _Encoder(self.size.condition_width)
        self.flow = _Velocity(self.size)
        self.lora_rank: int | None = None
        self._adapters: list[nn.Parameter] = []

    def condition(self, observation: Observation, source: str = "observation") -> torch.Tensor:
        image, scalars = condition_arrays(observation, source)
        return self.encode(torch.from_numpy(image)[None], torch.from_numpy(scalars)[None])

    def encode(self, images: torch.Tensor, scalars: torch.Tensor) -> torch.Tensor:
        return self.encoder(images, scalars)

    def velocity(self, x_t: torch.Tensor, t: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        return self.flow(x_t, t, condition)

    def decode(self, latents: torch.Tensor) -> list[trimesh.Trimesh | None]:
        return [PartShape.from_latent(latent).mesh()[0] for latent in latents.detach().cpu().numpy()]

    def prepare_finetuning(self, lora_rank: int) -> None:
        """The encoder is frozen; the velocity MLP gets rank-`lora_rank` adapters, or (0) is trained itself."""
        for parameter in self.parameters():
            parameter.requires_grad_(False)
        if lora_rank > 0:
            self._adapters = add_lora(self.flow, lora_rank)
            self.lora_rank = lora_rank
        else:
            self.flow.requires_grad_(True)

    def trainable_parameters(self) -> Iterable[nn.Parameter]:
        if self._adapters:
            return list(self._adapters)
        return [p for p in self.flow.parameters()]

    def save(self, path: Path, **metadata: Any) -> None:
        """Adapters are folded in: a fine-tuned generator is a file like the pretrained one. Weights are stored in
        half precision (5 MB instead of 11) and read back as float32: every figure we report used files read so."""
        import copy

        plain = copy.deepcopy(self)
        merge_lora(plain.flow)
        state = {key: value.detach().to(torch.float16).clone() for key, value in plain.state_dict().items()}
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "size": asdict(self.size),
            "state": state,
            "metadata": metadata,
        }
        partial = path.with_name(path.name + ".partial")
        torch.save(payload, partial)
        partial.replace(path)

    @classmethod
    def load(cls, path: Path) -> PartsFlowGenerator:
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, ValueError, pickle.UnpicklingError) as err:
            raise CaseError(path, "generator", f"not a readable generator file ({err})") from None
        if not isinstance(payload, dict) or payload.get("format") != FILE_FORMAT:
            raise CaseError(path, "format", f"not a {FILE_FORMAT} file")
        if payload.get("version") != FILE_VERSION:
            raise CaseError(path, "version", f"version {payload.get('version')!r}, this code reads {FILE_VERSION}")
        generator = cls(NetworkSize(**payload["size"]))
        generator.load_state_dict({key: value.float() for key, value in payload["state"].items()})
        generator.metadata = payload.get("metadata", {})
        return generator.eval()


def latents_tensor(latents: np.ndarray) -> torch.Tensor:
    return torch.as_tensor(np.asarray(latents, dtype=np.float32))
