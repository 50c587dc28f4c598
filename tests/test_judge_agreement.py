"""The judge against an independent protocol (plain MuJoCo, CoACD on the raw mesh, DSO's 20 deg rule) on
generated furniture of the kinds users bring: every verdict must agree, and match what a person expects."""

from __future__ import annotations

import pytest
from furniture import FURNITURE

from hsimul3r_ext.stability import load_judge_config
from hsimul3r_ext.stability.agreement import agreement_table, judge_agreement
from hsimul3r_ext.stability.reference import FAST_COACD


@pytest.fixture(scope="module")
def rows(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("agreement")
    meshes = []
    for name, (build, _, category) in FURNITURE.items():
        path = root / "meshes" / f"{name}.obj"
        path.parent.mkdir(exist_ok=True)
        build().export(path)
        meshes.append((name, path, category))
    cache = f"convert.coacd.cache_dir={root / 'coacd'}"
    return judge_agreement(meshes, root / "work", load_judge_config(), [cache], FAST_COACD, progress=False)


def test_judge_and_reference_agree_on_every_piece(rows) -> None:
    table = agreement_table(rows)
    assert all(row.agrees for row in rows), table
    assert f"{len(rows)} of {len(rows)} agree" in table


def test_verdicts_are_the_ones_a_person_expects(rows) -> None:
    for row in rows:
        expected = FURNITURE[row.name][1]
        assert row.stable is expected and row.reference.stable is expected, (row.name, row)
        if expected:
            assert row.tilt_deg < 5.0 and row.reference.tilt_deg < 5.0, row
