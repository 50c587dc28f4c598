"""The DSRO fine-tuning step (dsro/train.py) on a tiny hand-made labels folder and a tiny generator."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch

from hsimul3r_ext.dsro.config import DsroConfig, load_dsro_config
from hsimul3r_ext.dsro.furniture import sample_furniture
from hsimul3r_ext.dsro.generator import load_generator
from hsimul3r_ext.dsro.losses import flow_loss, sample_times
from hsimul3r_ext.dsro.parts import LATENT_SIZE
from hsimul3r_ext.dsro.parts_generator import NetworkSize, PartsFlowGenerator
from hsimul3r_ext.dsro.train import finetune, label_pairs
from hsimul3r_ext.hsi.errors import CaseError

TINY = NetworkSize(width=32, blocks=1, condition_width=32)
# samples 0..3 of each condition; condition 2 is all winners (not kept), condition 3 all losers (not kept)
WIN = np.array([[1, 1, 0, 0], [1, 0, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]], dtype=bool)
PAIRS = 2 * 2 + 1 * 3


@pytest.fixture(scope="module")
def base_config() -> DsroConfig:
    return load_dsro_config()


def write_labels(folder, win=WIN, seed=0):
    rng = np.random.default_rng(seed)
    count, samples = win.shape
    latents = np.array(
        [[sample_furniture(rng)[1].latent() for _ in range(samples)] for _ in range(count)], dtype=np.float32
    )
    kept = (win.sum(axis=1) > 0) & (win.sum(axis=1) < samples)
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        folder / "labels.npz",
        conditions=rng.normal(size=(count, TINY.condition_width)).astype(np.float32),
        latents=latents,
        win=win,
        kept=kept,
        names=np.array([f"c{i}" for i in range(count)]),
    )
    (folder / "labels.json").write_text(json.dumps({"summary": {"kept_conditions": int(kept.sum())}}))
    return latents


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("dsro")
    latents = write_labels(root / "labels")
    torch.manual_seed(0)
    PartsFlowGenerator(TINY).save(root / "base.pt", note="tiny test generator")
    return root, latents


def margin(generator, root, latents, draws=32):
    """Mean over the training pairs of l(winner) - l(loser), with fixed t and eps (the same for every generator)."""
    with np.load(root / "labels" / "labels.npz") as data:
        conditions = torch.from_numpy(data["conditions"])
    pairs = label_pairs(WIN, WIN.any(axis=1) & ~WIN.all(axis=1))
    pairs = np.repeat(pairs, draws, axis=0)
    rng = torch.Generator().manual_seed(123)
    t = sample_times(len(pairs), rng)
    noise = torch.randn(len(pairs), LATENT_SIZE, generator=rng)
    x = torch.from_numpy(latents)
    with torch.no_grad():
        c = conditions[pairs[:, 0]]
        win = flow_loss(generator, x[pairs[:, 0], pairs[:, 1]], c, t, noise)
        lose = flow_loss(generator, x[pairs[:, 0], pairs[:, 2]], c, t, noise)
    return (win - lose).mean().item()


@pytest.mark.parametrize("loss", ["dpo", "dro"])
def test_finetune_writes_outputs_and_prefers_winners(setup, base_config, loss):
    root, latents = setup
    config = dataclasses.replace(
        base_config, loss=loss, steps=12, batch_pairs=PAIRS, lr=1e-2, warmup_steps=1, lora_rank=4,
        checkpoint_every=6, log_every=4,
    )  # fmt: skip  # a larger lr than the default's: a dozen steps must move the tiny network measurably
    out = root / f"out_{loss}"
    payload = finetune(root / "labels", out, root / "base.pt", config, progress=False)

    assert payload["pairs"] == PAIRS and payload["kept_conditions"] == 2 and payload["steps"] == 12
    assert payload["loss"] == loss and payload["config"]["loss"] == loss
    assert (out / "checkpoints" / "step_6.pt").is_file() and (out / "checkpoints" / "step_12.pt").is_file()
    assert list((out / "tensorboard").glob("events.out.tfevents.*"))
    train = json.loads((out / "train.json").read_text())
    assert train["labels_sha256"] == payload["labels_sha256"] and len(train["labels_sha256"]) == 64
    assert [point["step"] for point in train["loss_curve"]["points"]] == [4, 8, 12]
    assert ("implicit_accuracy" in train["loss_curve"]["points"][0]) == (loss == "dpo")
    assert train["seconds_per_step"] > 0

    tuned = load_generator(out / "generator.pt")
    assert tuned.size == TINY
    assert tuned.metadata["loss"] == loss and tuned.metadata["steps"] == 12
    assert tuned.metadata["base_generator_sha256"] == payload["base_generator_sha256"]
    base = load_generator(root / "base.pt")
    before, after = margin(base, root, latents), margin(tuned, root, latents)
    assert after < before - 0.02, (before, after)  # measured: 0.196 -> 0.156 (dpo), 0.196 -> 0.027 (dro)
    if loss == "dpo":  # the first step is at theta = reference: margin 0, loss log 2
        assert train["loss_curve"]["averaged_over_steps"] == 1
        assert train["loss_curve"]["first"] == pytest.approx(math.log(2.0), rel=1e-5)


def test_full_fine_tune_without_lora(setup, base_config):
    root, _ = setup
    config = dataclasses.replace(
        base_config, loss="dro", steps=4, batch_pairs=4, lr=1e-3, warmup_steps=0, lora_rank=0, checkpoint_every=0
    )
    out = root / "out_full"
    payload = finetune(root / "labels", out, root / "base.pt", config, progress=False)
    assert payload["trainable_parameters"] == sum(p.numel() for p in PartsFlowGenerator(TINY).flow.parameters())
    assert not (out / "checkpoints").exists()
    tuned, base = load_generator(out / "generator.pt"), load_generator(root / "base.pt")
    assert torch.equal(tuned.encoder.head[0].weight, base.encoder.head[0].weight)  # the encoder stays frozen
    assert not torch.equal(tuned.flow.inp.weight, base.flow.inp.weight)


def test_existing_output_needs_overwrite(setup, base_config):
    root, _ = setup
    config = dataclasses.replace(base_config, steps=1, checkpoint_every=0, lora_rank=2)
    out = root / "out_exists"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    with pytest.raises(CaseError, match="already exists"):
        finetune(root / "labels", out, root / "base.pt", config, progress=False)
    assert (out / "keep.txt").read_text() == "mine"
    finetune(root / "labels", out, root / "base.pt", config, progress=False, overwrite=True)
    assert (out / "generator.pt").is_file() and not (out / "keep.txt").exists()


def test_no_pairs_is_an_error(setup, base_config, tmp_path):
    root, _ = setup
    write_labels(tmp_path / "labels", win=WIN[2:])  # all winners / all losers: nothing kept
    with pytest.raises(CaseError, match=r"labels\.json: pairs: "):
        finetune(tmp_path / "labels", tmp_path / "out", root / "base.pt", base_config, progress=False)
    assert not (tmp_path / "out").exists()


def test_labels_that_do_not_fit_are_errors(setup, base_config, tmp_path):
    root, _ = setup
    with pytest.raises(CaseError, match=r"labels\.npz: file: missing"):
        finetune(tmp_path / "nothing", tmp_path / "out", root / "base.pt", base_config, progress=False)
    folder = tmp_path / "labels"
    write_labels(folder)
    with np.load(folder / "labels.npz") as data:
        arrays = dict(data)
    np.savez(folder / "labels.npz", **{**arrays, "win": arrays["win"][:, :3]})
    with pytest.raises(CaseError, match=r"labels\.npz: win: expected shape \(4, 4\)"):
        finetune(folder, tmp_path / "out", root / "base.pt", base_config, progress=False)
    np.savez(folder / "labels.npz", **{**arrays, "conditions": arrays["conditions"][:3]})
    with pytest.raises(CaseError, match=r"labels\.npz: conditions: expected shape \(4, 32\)"):
        finetune(folder, tmp_path / "out", root / "base.pt", base_config, progress=False)
    np.savez(folder / "labels.npz", **{**arrays, "conditions": arrays["conditions"][:, :7]})
    with pytest.raises(CaseError, match=r"labels\.npz: conditions: .*do not fit the generator"):
        finetune(folder, tmp_path / "out", root / "base.pt", base_config, progress=False)
    np.savez(folder / "labels.npz", **{**arrays, "latents": arrays["latents"][..., :10]})
    with pytest.raises(CaseError, match=r"labels\.npz: latents: latent shape"):
        finetune(folder, tmp_path / "out", root / "base.pt", base_config, progress=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("override", "key"),
    [("dsro.loss=kto", "dsro.loss"), ("dsro.steps=0", "dsro.steps"), ("dsro.lora_rank=-1", "dsro.lora_rank")],
)
def test_bad_config_values_name_file_and_key(override, key):
    with pytest.raises(CaseError) as raised:
        load_dsro_config([override])
    assert raised.value.file.endswith("config/dsro/default.yaml") and raised.value.field == key


def test_default_config(base_config):
    assert base_config.loss == "dro" and base_config.beta == 500.0 and base_config.grad_clip == 1.0
    assert (base_config.time_mean, base_config.time_std) == (1.0, 1.0)
