"""Does the judge agree with an independent protocol on a set of furniture meshes?

Our side: each mesh becomes an object of one case (ingest), is converted (repair, CoACD, mass) and
gravity-tested by the judge. The other side: `reference.reference_gravity` on the raw mesh. A mesh that
one side cannot handle is a row with its error, and counts as a disagreement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import trimesh
from tqdm import tqdm

from ..assets import convert_case, load_convert_config
from ..hsi.errors import CaseError
from ..ingest.importers.meshes import ObjectSpec
from ..ingest.ingest_case import ingest
from .config import JudgeConfig
from .gravity import gravity_test
from .reference import ReferenceVerdict, reference_gravity
from .scene import load_converted


@dataclass
class AgreementRow:
    name: str
    category: str
    stable: bool | None  # ours
    tilt_deg: float
    drift_m: float
    collision: str  # how our converter made the hulls, e.g. "coacd x12"
    reference: ReferenceVerdict | None
    error: str | None = None

    @property
    def agrees(self) -> bool:
        return self.error is None and self.reference is not None and self.stable == self.reference.stable


def judge_agreement(
    meshes: Sequence[tuple[str, Path, str]],
    work: Path,
    config: JudgeConfig,
    convert_overrides: Sequence[str] = (),
    reference_coacd: dict[str, Any] | None = None,
    progress: bool = True,
) -> list[AgreementRow]:
    """Judge every (name, mesh file, category) both ways; `work/<name>/` receives its case and conversion.

    `reference_coacd`: CoACD settings of the reference (default: CoACD's defaults, slow on big shells)."""
    convert_config = load_convert_config(list(convert_overrides))
    rows = []
    for name, path, category in tqdm(meshes, desc="agreement", unit="mesh", disable=not progress):
        row = AgreementRow(name, category, None, float("nan"), float("nan"), "-", None)
        try:
            case, converted = work / name / "case", work / name / "converted"
            ingest(case, objects=[ObjectSpec(path=path, name=name, category=category, keep_origin=True)])
            report = convert_case(case, converted, convert_config)
            collision = report["objects"][name]["collision"]
            row.collision = f"{collision['method']} x{collision['hull_count']}"
            (result,) = gravity_test(load_converted(converted).objects, config)
            row.stable, row.tilt_deg, row.drift_m = (
                result.verdict.stable, result.verdict.tilt_deg, result.verdict.displacement_m
            )  # fmt: skip
        except CaseError as err:
            row.error = f"ours: {err}"
        try:
            mesh = trimesh.load(path, force="mesh")
            row.reference = reference_gravity(
                mesh, config.stable, seconds=config.gravity.seconds, coacd=reference_coacd
            )
        except (RuntimeError, ValueError) as err:
            row.error = row.error or f"reference: {err}"
        rows.append(row)
    return rows


def agreement_table(rows: list[AgreementRow]) -> str:
    """A Markdown table: our verdict, tilt and drift beside the reference's, and whether they agree."""
    lines = [
        "| object | category | ours | tilt deg | drift m | hulls | reference | tilt deg | drift m | hulls | agree |",
        "|---|---|---|---:|---:|---|---|---:|---:|---:|---|",
    ]
    verdict = lambda stable: "-" if stable is None else ("stable" if stable else "falls")  # noqa: E731
    for row in rows:
        ref = row.reference
        reference = (
            (verdict(ref.stable), f"{ref.tilt_deg:.1f}", f"{ref.drift_m:.3f}", str(ref.hulls)) if ref else ("-",) * 4
        )
        agree = "yes" if row.agrees else f"NO ({row.error})" if row.error else "NO"
        lines.append(
            f"| {row.name} | {row.category} | {verdict(row.stable)} | {row.tilt_deg:.1f} | {row.drift_m:.3f} | "
            f"{row.collision} | {' | '.join(reference)} | {agree} |"
        )
    agreeing = sum(row.agrees for row in rows)
    lines.append(f"\n{agreeing} of {len(rows)} agree.")
    return "\n".join(lines) + "\n"
