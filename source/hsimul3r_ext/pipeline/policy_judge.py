"""`hsimul3r judge --mode policy`: a policy judged by what it does, orchestrated above the judge and the tasks.

The judge never imports task code (DESIGN.md, "Layout"), so the rollout happens here: the policy plays the
case in its HSI task (`tasks.hsi.rollout`), what the simulated humanoid did becomes a refined case, and the
judge judges that refined case kinematically, since its motion already is the simulated one.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from ..atomic_dir import atomic_output_dir
from ..hsi.case_io import MANIFEST
from ..hsi.errors import CaseError
from ..stability import JudgeConfig, judge
from ..stability.config import POLICY_MODE
from ..stability.judge import REPORT_JSON, REPORT_MD
from ..stability.report import report_markdown
from ..stability.scene import CONVERT_REPORT
from ..tasks.hsi.rollout import rollout_policy

REFINED_CASE = "refined_case"
_JUDGED = ".judged"
"""The judge's own report folder inside the staging folder; its files then move up beside `refined_case/`."""


def judge_policy(
    case: str | Path, out_dir: str | Path, config: JudgeConfig, policy: str | Path | None, *, overwrite: bool = False
) -> dict[str, Any]:
    """Roll `policy` out on `case` into `out_dir/refined_case/` and judge that refined case into `out_dir`.

    One report folder, written at once (nothing is left when the rollout or the judge fails): the judge's
    files of the refined case beside `refined_case/`; `report.json` records mode `policy`, the policy and
    the refined case, and `seconds` counts the rollout too."""
    start = time.perf_counter()
    case = Path(case)
    _check_policy_source(case, policy)
    with atomic_output_dir(out_dir, overwrite=overwrite) as stage:
        refined = rollout_policy(Path(policy), case, stage / REFINED_CASE)
        report = judge(refined, stage / _JUDGED, config, mode="kinematic")
        for item in (stage / _JUDGED).iterdir():  # its references are relative, so they survive the move
            item.rename(stage / item.name)
        (stage / _JUDGED).rmdir()
        report |= {
            "mode": POLICY_MODE,
            "seconds": time.perf_counter() - start,
            "policy": str(Path(policy).absolute()),
            "refined_case": REFINED_CASE,
        }
        (stage / REPORT_JSON).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        (stage / REPORT_MD).write_text(report_markdown(report), encoding="utf-8")
    return report


def judge_with_policy(
    source: str | Path,
    out_dir: str | Path,
    config: JudgeConfig,
    *,
    mode: str | None = None,
    gravity_only: bool = False,
    overwrite: bool = False,
    policy: str | Path | None = None,
) -> dict[str, Any]:
    """`hsimul3r judge` of one source: policy mode (`mode`, else `judge.mode`) is `judge_policy`; any other
    mode, or `gravity_only` (no humanoid moves), is the judge itself. `judge`'s signature plus `policy`, so
    `judge_many(..., judge_one=partial(judge_with_policy, policy=...))` batches it."""
    if (mode or config.mode) == POLICY_MODE and not gravity_only:
        return judge_policy(source, out_dir, config, policy, overwrite=overwrite)
    return judge(source, out_dir, config, mode=mode, gravity_only=gravity_only, overwrite=overwrite)


def _check_policy_source(source: Path, policy: str | Path | None) -> None:
    """The policy is rolled out on the case itself, so it needs the case folder and the policy file."""
    if policy is None or not Path(policy).is_file():
        raise CaseError(policy or source, "--policy", "policy mode needs --policy POLICY.pt (the exported TorchScript)")
    if (source / CONVERT_REPORT).is_file() or not (source / MANIFEST).is_file():
        raise CaseError(source, "--mode policy", f"policy mode needs a case folder ({MANIFEST}), not a converted one")
