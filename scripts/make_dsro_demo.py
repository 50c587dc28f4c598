"""The reverse pass's demo, end to end, and the DSRO-fine-tuned generator we ship (`dsro/data/parts_flow_dsro.pt`).

1. condition sets from our procedural furniture: 200 to label (seed 1), 40 held out (seed 2), and the bundled
   clean examples' observations (their motions judge the samples: Type 4 or not);
2. `label`: 4 samples per labelling condition from the shipped pretrained generator, judged;
3. `train`: DPO and DRO fine-tuning on those labels, same settings otherwise (config/dsro/default.yaml);
4. `eval`: pretrained vs DPO vs DRO on the held-out conditions and on the examples, best-of-4 as the baseline;
5. the fine-tuned generator with the higher held-out stable share (Chamfer within 1.1x of the pretrained one)
   is copied into the package. Every step is seeded; a rerun resumes after the last finished step. About 30
   minutes on 2 CPU cores (labelling 10, evaluation 15).

    python scripts/make_dsro_demo.py [--out outputs/dsro_demo] [--jobs 2] [--no-install]
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path

from hsimul3r_ext.dsro.conditions import conditions_from_cases, make_condition_set
from hsimul3r_ext.dsro.config import load_dsro_config
from hsimul3r_ext.dsro.evaluate import evaluate
from hsimul3r_ext.dsro.label import label_conditions
from hsimul3r_ext.dsro.shipped import FINETUNED_GENERATOR, SHIPPED_GENERATOR
from hsimul3r_ext.dsro.train import finetune

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = [
    ROOT / "examples" / name for name in ("sit_chair_clean", "sit_armchair_clean", "lie_sofa_clean", "lean_table_clean")
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "dsro_demo")
    parser.add_argument("--label-conditions", type=int, default=200)
    parser.add_argument("--held-out", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-install", action="store_true", help="do not copy the chosen generator into the package")
    args = parser.parse_args()
    out, timings = args.out, {}
    out.mkdir(parents=True, exist_ok=True)

    def step(name: str, function, *a, **k):
        if (out / f"{name}.done").is_file():
            timings[name] = json.loads((out / f"{name}.done").read_text())["seconds"]
            print(f"{name}: done before ({timings[name]:.0f} s)")
            return
        start = time.perf_counter()
        function(*a, **k)
        timings[name] = time.perf_counter() - start
        (out / f"{name}.done").write_text(json.dumps({"seconds": timings[name]}))
        print(f"{name}: {timings[name]:.0f} s")

    step("conditions_label", make_condition_set, out / "conditions_label", args.label_conditions, seed=1)
    step("conditions_held_out", make_condition_set, out / "conditions_held_out", args.held_out, seed=2)
    step("conditions_examples", conditions_from_cases, out / "conditions_examples", EXAMPLES)
    step(
        "label",
        label_conditions,
        out / "conditions_label",
        out / "labels",
        SHIPPED_GENERATOR,
        samples=4,
        jobs=args.jobs,
    )
    for loss in ("dpo", "dro"):
        step(
            f"train_{loss}",
            finetune,
            out / "labels",
            out / f"train_{loss}",
            SHIPPED_GENERATOR,
            load_dsro_config([f"dsro.loss={loss}"]),
        )
    generators = {
        "pretrained": SHIPPED_GENERATOR,
        "dpo": out / "train_dpo" / "generator.pt",
        "dro": out / "train_dro" / "generator.pt",
    }
    step("eval_held_out", evaluate, out / "conditions_held_out", out / "eval_held_out", generators, jobs=args.jobs)
    step("eval_examples", evaluate, out / "conditions_examples", out / "eval_examples", generators, jobs=args.jobs)

    (out / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    report = json.loads((out / "eval_held_out" / "eval.json").read_text())["generators"]
    base = report["pretrained"]["metrics"]
    faithful = [name for name in ("dpo", "dro") if report[name]["metrics"]["chamfer_mm"] <= 1.1 * base["chamfer_mm"]]
    if not faithful:
        raise SystemExit("neither fine-tuned generator keeps the Chamfer distance within 1.1x of the pretrained one")
    chosen = max(faithful, key=lambda name: report[name]["metrics"]["gravity_stable_share"])
    print(f"chosen: {chosen} ({100 * report[chosen]['metrics']['gravity_stable_share']:.0f}% stable vs "
          f"{100 * base['gravity_stable_share']:.0f}% pretrained)")  # fmt: skip
    if not args.no_install:
        shutil.copy2(generators[chosen], FINETUNED_GENERATOR)
        print(f"installed: {FINETUNED_GENERATOR}")


if __name__ == "__main__":
    main()
