"""Train the object generator we ship (`hsimul3r_ext/dsro/data/parts_flow.pt`) from our own procedural data.

Data: `hsimul3r_ext.dsro.dataset` (procedural furniture, a person hiding part of it, hidden thin parts
missing from the target at `--drop-rate`); model: `hsimul3r_ext.dsro.parts_generator`; loss: rectified flow
(`hsimul3r_ext.dsro.losses.flow_loss`) with logit-normal times. Seeded: the same arguments on the same
torch build give the same weights. About 20 minutes on 2 CPU cores with the defaults.

    python scripts/train_object_generator.py [--out PATH] [--views 16000] [--steps 12000]
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from hsimul3r_ext.dsro.dataset import DROP_RATE, make_arrays
from hsimul3r_ext.dsro.losses import flow_loss, sample_times
from hsimul3r_ext.dsro.parts_generator import PartsFlowGenerator
from hsimul3r_ext.dsro.shipped import SHIPPED_GENERATOR

CHUNK = 500


def make_data(seed: int, views: int, drop_rate: float, workers: int) -> dict[str, np.ndarray]:
    chunks = [
        (seed * 100_003 + index, min(CHUNK, views - index * CHUNK), drop_rate) for index in range(-(-views // CHUNK))
    ]
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        parts = list(
            tqdm(
                pool.map(make_arrays, *zip(*chunks, strict=True)),
                total=len(chunks),
                desc="rendering views",
                unit="chunk",
            )
        )
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=SHIPPED_GENERATOR)
    parser.add_argument("--views", type=int, default=16000)
    parser.add_argument("--steps", type=int, default=12000)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--drop-rate", type=float, default=DROP_RATE)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    start = time.perf_counter()
    data = make_data(args.seed, args.views, args.drop_rate, args.workers)
    data_seconds = time.perf_counter() - start
    torch.manual_seed(args.seed)
    random = torch.Generator().manual_seed(args.seed)
    images, scalars = torch.from_numpy(data["images"]), torch.from_numpy(data["scalars"])
    targets = torch.from_numpy(data["targets"])
    model = PartsFlowGenerator()
    optimiser = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    warmup = min(500, args.steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser,
        lambda step: min(1.0, (step + 1) / warmup) * 0.5 * (1 + np.cos(np.pi * min(step, args.steps) / args.steps)),
    )
    losses = []
    bar = tqdm(range(args.steps), desc="training", unit="step")
    for step in bar:
        index = torch.randint(len(targets), (args.batch,), generator=random)
        draw = torch.randint(targets.shape[1], (args.batch,), generator=random)
        x0 = targets[index, draw]
        t = sample_times(args.batch, random, mean=0.0)
        noise = torch.randn(x0.shape, generator=random)
        loss = flow_loss(model, x0, model.encode(images[index], scalars[index]), t, noise).mean()
        optimiser.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        schedule.step()
        losses.append(loss.item())
        if step % 100 == 0:
            bar.set_postfix(loss=f"{np.mean(losses[-100:]):.4f}")
    provenance = {
        "script": "scripts/train_object_generator.py",
        "arguments": {key: str(value) if isinstance(value, Path) else value for key, value in vars(args).items()},
        "data": "hsimul3r_ext.dsro.dataset (procedural, our own code; no third-party data)",
        "views": len(targets),
        "targets_per_view": int(targets.shape[1]),
        "hidden_thin_parts_share": float((data["hidden"] > 0).mean()),
        "dropped_share": float(data["dropped"].mean()),  # of all targets
        "final_loss": float(np.mean(losses[-200:])),
        "data_seconds": round(data_seconds, 1),
        "seconds": round(time.perf_counter() - start, 1),
        "torch": str(torch.__version__),
    }
    model.eval().save(args.out, **provenance)
    print(json.dumps(provenance, indent=2))
    print(f"generator written to {args.out}")


if __name__ == "__main__":
    main()
