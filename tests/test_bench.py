"""`hsimul3r bench` over a small dataset of real cases: rows, the table, error rows, resuming after a kill, Ray.

The dataset is two bundled examples (a clean chair and the chair that lost a leg) and one case whose manifest
is broken; the judge and the alignment run at their defaults, as a user's benchmark would.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from hsimul3r_ext.cli import main
from hsimul3r_ext.hsi.errors import CaseError
from hsimul3r_ext.pipeline.bench import load_dataset, parse_stages, pipeline_stages

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
CASES = ("sit_chair", "sit_chair_missing_leg")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("dataset")
    for name in CASES:
        shutil.copytree(EXAMPLES / name, root / "chairs" / name)
    broken = root / "broken"
    shutil.copytree(EXAMPLES / "sit_chair_clean", broken)
    manifest = json.loads((broken / "hsi.json").read_text())
    manifest["objects"][0]["position"] = [0.0, "north"]
    (broken / "hsi.json").write_text(json.dumps(manifest))
    return root


def _rows(out: Path) -> dict[str, dict]:
    return {path.stem: json.loads(path.read_text()) for path in sorted((out / "rows").glob("*.json"))}


def test_stages_and_datasets_are_read_or_refused_by_name(dataset: Path, tmp_path: Path) -> None:
    assert parse_stages("align,raw") == ("raw", "align")
    assert pipeline_stages(["raw"]) == ["validate", "convert_before", "judge_before"]
    assert pipeline_stages(["reverse"]) == ["validate", "align", "convert", "judge", "reverse"]
    with pytest.raises(CaseError, match="stages"):
        parse_stages("raw,polish")
    keys = [case.key for case in load_dataset(dataset)]
    assert keys == ["broken", "chairs__sit_chair", "chairs__sit_chair_missing_leg"]
    assert {case.category for case in load_dataset(dataset) if case.key != "broken"} == {"chair"}
    index = tmp_path / "cases.txt"
    index.write_text(f"# two cases\n{dataset / 'broken'}\n{dataset / 'broken'}\n")
    with pytest.raises(CaseError, match="more than once"):
        load_dataset(index)
    (tmp_path / "empty").mkdir()
    with pytest.raises(CaseError, match="no case folders"):
        load_dataset(tmp_path / "empty")


def test_bench_killed_halfway_resumes_what_is_left_and_writes_the_table(dataset: Path, tmp_path: Path) -> None:
    out = tmp_path / "bench"
    command = [sys.executable, "-m", "hsimul3r_ext.cli", "bench", str(dataset), "-o", str(out), "--jobs", "1"]
    first = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while not any(row["status"] == "ok" for row in _rows(out).values()) and time.monotonic() < deadline:
        assert first.poll() is None, "the first run ended before it could be killed"
        time.sleep(0.5)
    os.killpg(first.pid, signal.SIGKILL)  # its own session: the run and the workers it started
    first.wait()
    done_before = {key for key, row in _rows(out).items() if row["status"] == "ok"}
    assert 1 <= len(done_before) < 2

    assert main(["bench", str(dataset), "-o", str(out), "--jobs", "2"]) == 0
    bench = json.loads((out / "bench.json").read_text())
    assert bench["reused_rows"] == len(done_before)
    rows = _rows(out)
    assert sorted(rows) == ["broken", "chairs__sit_chair", "chairs__sit_chair_missing_leg"]
    assert rows["broken"]["status"] == "error" and "position" in rows["broken"]["error"]
    assert bench["completed"] == 2 and [e["case"] for e in bench["errors"]] == ["broken"]
    missing, chair = rows["chairs__sit_chair_missing_leg"], rows["chairs__sit_chair"]
    assert missing["stages"]["raw"]["type"] == 1 and missing["stages"]["align"]["type"] == 1
    assert chair["stages"]["raw"]["type"] < 4 and chair["stages"]["align"]["type"] == 4
    raw, aligned = bench["stages"]["raw"], bench["stages"]["align"]
    assert aligned["shares"]["4"] > raw["shares"]["4"]
    assert aligned["means"]["mean_contact_distance_mm"] < raw["means"]["mean_contact_distance_mm"]
    assert raw["cases_per_hour_per_core"] > 0 and bench["not_run"] == ["forward", "reverse"]
    assert bench["by_category"]["chair"]["cases"] == 2
    for name in ("bench.md", "bench.html", "bench_types.png", "bench_groups.png"):
        assert (out / name).stat().st_size > 500
    table = (out / "bench.md").read_text()
    assert "| raw | 2 |" in table and "broken:" in table and "not run" in table
    assert (out / chair["report"]).is_file()


def _kill_one_ray_task_midway(killed: list[int], stop: threading.Event, after_s: float = 2.0) -> None:
    """SIGKILL the first Ray worker of this process's own head that has run a task for `after_s` seconds."""
    seen: dict[int, float] = {}
    while not stop.is_set() and not killed:
        for child in psutil.Process().children(recursive=True):
            try:
                running = "ray::_measured_on_ray" in " ".join(child.cmdline())
            except psutil.Error:
                continue
            if running and time.monotonic() - seen.setdefault(child.pid, time.monotonic()) >= after_s:
                child.send_signal(signal.SIGKILL)
                killed.append(child.pid)
                break
        time.sleep(0.1)


def test_ray_gives_the_verdicts_of_the_local_pool_and_survives_a_worker_killed_mid_case(
    dataset: Path, tmp_path: Path
) -> None:
    chairs = tmp_path / "chairs.txt"  # cases that take seconds, so the kill lands mid-case
    chairs.write_text("".join(f"{dataset / 'chairs' / name}\n" for name in CASES))
    common = [str(chairs), "--stages", "raw", "--gravity-only", "--timeout", "600"]
    assert main(["bench", *common, "-o", str(tmp_path / "local"), "--jobs", "2"]) == 0
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_one_ray_task_midway, args=(killed, stop), daemon=True)
    killer.start()
    try:
        assert main(["bench", *common, "-o", str(tmp_path / "ray"), "--jobs", "2", "--ray", "local"]) == 0
    finally:
        stop.set()
        killer.join()
    assert len(killed) == 1, "no Ray worker was seen running a case"
    local, ray = _rows(tmp_path / "local"), _rows(tmp_path / "ray")
    assert sorted(local) == sorted(ray)
    for key, row in local.items():
        assert row["status"] == ray[key]["status"]
        if row["status"] == "ok":
            assert row["stages"]["raw"]["objects"] == ray[key]["stages"]["raw"]["objects"]
            assert ray[key]["peak_rss_mb"] > 0
    assert sorted(row["attempts"] for row in ray.values()) == [1, 2]  # the killed case ran again, once
    assert json.loads((tmp_path / "ray" / "bench.json").read_text())["completed"] == 2
