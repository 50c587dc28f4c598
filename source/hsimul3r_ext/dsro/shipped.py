"""Where the generator we ship lives (trained by scripts/train_object_generator.py; provenance inside)."""

from __future__ import annotations

from pathlib import Path

SHIPPED_GENERATOR = Path(__file__).resolve().parent / "data" / "parts_flow.pt"
FINETUNED_GENERATOR = SHIPPED_GENERATOR.with_name("parts_flow_dsro.pt")  # fine-tuned by scripts/make_dsro_demo.py
