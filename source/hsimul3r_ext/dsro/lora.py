"""Low-rank adapters (LoRA) on linear layers: fine-tuning changes W + (alpha / r) B A, with B = 0 at the start,
so the adapted model begins exactly where the base model is (DSO fine-tunes TRELLIS this way, r = 64)."""

from __future__ import annotations

import torch


class LoRALinear(torch.nn.Module):
    """A frozen linear layer plus a trainable low-rank update."""

    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float | None = None) -> None:
        super().__init__()
        self.base = base
        for parameter in base.parameters():
            parameter.requires_grad_(False)
        self.scale = (alpha if alpha is not None else rank) / rank
        self.down = torch.nn.Parameter(torch.randn(rank, base.in_features) / rank**0.5)
        self.up = torch.nn.Parameter(torch.zeros(base.out_features, rank))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.base(x) + self.scale * torch.nn.functional.linear(torch.nn.functional.linear(x, self.down), self.up)

    def merged(self) -> torch.nn.Linear:
        """The plain linear layer with the update folded in."""
        layer = torch.nn.Linear(self.base.in_features, self.base.out_features)
        with torch.no_grad():
            layer.weight.copy_(self.base.weight + self.scale * self.up @ self.down)
            layer.bias.copy_(self.base.bias)
        return layer


def add_lora(module: torch.nn.Module, rank: int, alpha: float | None = None) -> list[torch.nn.Parameter]:
    """Wrap every nn.Linear inside `module` (in place); returns the adapters' parameters."""
    parameters = []
    for name, child in list(module.named_children()):
        if isinstance(child, torch.nn.Linear):
            adapter = LoRALinear(child, rank, alpha)
            setattr(module, name, adapter)
            parameters += [adapter.down, adapter.up]
        elif not isinstance(child, LoRALinear):
            parameters += add_lora(child, rank, alpha)
    return parameters


def merge_lora(module: torch.nn.Module) -> None:
    """Fold every adapter inside `module` back into a plain linear layer (in place)."""
    for name, child in list(module.named_children()):
        if isinstance(child, LoRALinear):
            setattr(module, name, child.merged())
        else:
            merge_lora(child)
