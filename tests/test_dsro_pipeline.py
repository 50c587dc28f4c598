"""`hsimul3r dsro` end to end on a tiny set with the generator we ship: conditions -> label (judged samples,
resumable) -> train (a few DRO steps) -> eval (pretrained vs fine-tuned on a held-out condition)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from hsimul3r_ext.cli import EXIT_BAD_INPUT, main
from hsimul3r_ext.dsro.generator import load_generator
from hsimul3r_ext.dsro.label import LABELS_JSON, LABELS_NPZ
from hsimul3r_ext.dsro.shipped import SHIPPED_GENERATOR

# The first conditions of this seed give the shipped generator both standing and falling samples (a pair):
LABEL_SEED, LABEL_COUNT, SAMPLES = 1, 2, 4  # the demo set's first two: one kept (1 of 4 stands), one all-fall


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dsro")
    assert main(["dsro", "conditions", "-o", str(root / "conditions"), "--count", str(LABEL_COUNT),
                 "--seed", str(LABEL_SEED)]) == 0  # fmt: skip
    assert main(["dsro", "label", str(root / "conditions"), "-o", str(root / "labels"), "--samples", str(SAMPLES)]) == 0
    return root


def test_labels_follow_the_rule_and_keep_latents(labelled: Path) -> None:
    labels = json.loads((labelled / "labels" / LABELS_JSON).read_text())
    assert labels["summary"]["samples"] == LABEL_COUNT * SAMPLES and labels["summary"]["errors"] == 0
    with np.load(labelled / "labels" / LABELS_NPZ) as data:
        assert data["latents"].shape == (LABEL_COUNT, SAMPLES, *load_generator(SHIPPED_GENERATOR).latent_shape)
        win, kept = data["win"], data["kept"]
    for i, row in enumerate(labels["conditions"]):
        assert list(win[i]) == [bool(s["gravity_stable"]) for s in row["samples"]]  # no case: DSO's rule
        assert kept[i] == (0 < win[i].sum() < SAMPLES) == row["kept"]
        for k, sample in enumerate(row["samples"]):
            cached = json.loads((labelled / "labels" / "samples" / row["name"] / f"{k}.json").read_text())
            assert cached == sample and sample["tilt_deg"] is not None
    assert labels["summary"]["pairs"] >= 1


def test_label_resumes_and_refuses_other_settings(labelled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["dsro", "label", str(labelled / "conditions"), "-o", str(labelled / "labels"), "--samples", str(SAMPLES)])
        == 0
    )
    assert json.loads((labelled / "labels" / LABELS_JSON).read_text())["summary"]["newly_judged"] == 0
    code = main(["dsro", "label", str(labelled / "conditions"), "-o", str(labelled / "labels"), "--samples", "2"])
    assert code == EXIT_BAD_INPUT and "settings.json" in capsys.readouterr().err


def test_train_then_eval_on_held_out(labelled: Path) -> None:
    out = labelled / "train"
    assert (
        main(["dsro", "train", str(labelled / "labels"), "-o", str(out), "dsro.steps=3", "dsro.checkpoint_every=2"])
        == 0
    )
    assert (out / "checkpoints" / "step_2.pt").is_file() and list((out / "tensorboard").glob("events.*"))
    assert load_generator(out / "generator.pt").latent_shape == load_generator(SHIPPED_GENERATOR).latent_shape
    held_out = labelled / "held_out"
    assert main(["dsro", "conditions", "-o", str(held_out), "--count", "1", "--seed", str(LABEL_SEED + 1000)]) == 0
    report_dir = labelled / "eval"
    generators = ["--generator", f"pretrained={SHIPPED_GENERATOR}", "--generator", f"dpo={out / 'generator.pt'}"]
    assert main(["dsro", "eval", str(held_out), "-o", str(report_dir), "--samples", "2", *generators]) == 0
    report = json.loads((report_dir / "eval.json").read_text())
    for name in ("pretrained", "dpo"):
        metrics = report["generators"][name]["metrics"]
        assert metrics["samples"] == 2 and 0.0 <= metrics["gravity_stable_share"] <= 1.0
        assert metrics["chamfer_mm"] > 0 and 0.0 <= metrics["f_score"] <= 1.0
    assert report["best_of_n"]["judged_samples_per_object"] == 2
    assert (report_dir / "samples.png").stat().st_size > 1000 and "| dpo |" in (report_dir / "eval.md").read_text()


PLUGIN = '''
import torch, trimesh
from hsimul3r_ext.dsro.generator import FlowGenerator


class Blocks(FlowGenerator):
    """A plug-in that is not ours: 3 numbers of latent, decoded to a block of that size (x, y, height)."""

    latent_shape = (3,)

    def __init__(self):
        super().__init__()
        self.bias = torch.nn.Parameter(torch.tensor([0.5, 0.5, 0.8]))

    def condition(self, observation, source="observation"):
        return torch.zeros(1, 2)

    def velocity(self, x_t, t, condition):
        return x_t - self.bias  # the flow ends at x0 = bias whatever the noise

    def decode(self, latents):
        boxes = [trimesh.creation.box(latent.abs().clamp(min=0.05).tolist()) for latent in latents]
        return [box.apply_translation([0, 0, -box.bounds[0, 2]]) for box in boxes]

    def prepare_finetuning(self, lora_rank):
        self.requires_grad_(True)

    def trainable_parameters(self):
        return [self.bias]

    def save(self, path, **metadata):
        torch.save({"bias": self.bias.detach()}, path)


def make():
    return Blocks()
'''


def test_a_plug_in_generator_goes_through_labelling(labelled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (labelled / "plugin").mkdir()
    (labelled / "plugin" / "blocks_plugin.py").write_text(PLUGIN)
    monkeypatch.syspath_prepend(str(labelled / "plugin"))
    out = labelled / "plugin_labels"
    code = main(["dsro", "label", str(labelled / "conditions"), "-o", str(out), "--samples", "2",
                 "--generator", "python:blocks_plugin:make"])  # fmt: skip
    assert code == 0
    labels = json.loads((out / LABELS_JSON).read_text())
    assert labels["settings"]["generator_sha256"] == "python:blocks_plugin:make"
    assert labels["summary"]["gravity_stable_share"] == 1.0  # a block stands
    with np.load(out / LABELS_NPZ) as data:
        assert data["latents"].shape == (LABEL_COUNT, 2, 3) and data["conditions"].shape == (LABEL_COUNT, 2)
    assert main(["dsro", "label", str(labelled / "conditions"), "-o", str(labelled / "x"),
                 "--generator", "python:no_such_module:make"]) == EXIT_BAD_INPUT  # fmt: skip
