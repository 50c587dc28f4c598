"""The task runner on real processes: pebble's spawned pool, and a real Ray head on loopback (one per module)."""

from __future__ import annotations

import os
import signal
import threading
import time

import executor_tasks as tasks
import pytest

from hsimul3r_ext.executors import ray_cluster, run_tasks

JOBS = 2


@pytest.fixture(scope="module")
def ray_head():
    with ray_cluster("local", JOBS):
        yield


@pytest.fixture(params=["local", "ray"])
def backend(request) -> dict:
    """Keyword arguments of `run_tasks` for each backend (a worker pool here, or the module's Ray head)."""
    if request.param == "ray":
        request.getfixturevalue("ray_head")
        return {"ray_address": "local", "jobs": JOBS}
    return {"jobs": JOBS}


def by_key(results) -> dict:
    results = list(results)
    assert len({r.key for r in results}) == len(results), "a key came back twice"
    return {r.key: r for r in results}


def test_every_key_once_and_an_exception_is_an_error_row(backend):
    results = by_key(run_tasks(tasks.square_unless_three, [(str(x), x) for x in range(6)], **backend))
    assert set(results) == {str(x) for x in range(6)}
    assert results["3"].value is None and results["3"].error == "ValueError: three is refused"
    assert results["3"].attempts == 1
    assert {k: r.value for k, r in results.items() if k != "3"} == {str(x): x * x for x in range(6) if x != 3}
    assert all(r.error is None and r.attempts == 1 and r.seconds >= 0 for k, r in results.items() if k != "3")
    assert all(r.peak_rss_mb > 0 for r in results.values())


def test_local_and_ray_give_the_same_values(ray_head):
    work = [(f"n{x}", x) for x in range(8)]
    local = {r.key: r.value for r in run_tasks(tasks.square, work, jobs=JOBS)}
    on_ray = {r.key: r.value for r in run_tasks(tasks.square, work, ray_address="local")}
    assert local == on_ray == {f"n{x}": x * x for x in range(8)}


def test_a_time_limit_kills_the_task_and_the_rest_complete(backend):
    start = time.perf_counter()
    work = [("slow", 60.0), ("fast", 0.1), ("faster", 0.0), ("also fast", 0.1)]
    results = by_key(run_tasks(tasks.sleep_then_return, work, timeout_s=2.0, **backend))
    assert time.perf_counter() - start < 20
    assert results["slow"].error == "timed out after 2 s" and results["slow"].value is None
    assert {k: r.value for k, r in results.items() if k != "slow"} == {"fast": 0.1, "faster": 0.0, "also fast": 0.1}


def test_a_killed_worker_is_retried_on_a_fresh_one(backend, tmp_path):
    marker = tmp_path / "pid"

    def kill_the_first_attempt():
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the worker our run started, by its PID

    killer = threading.Thread(target=kill_the_first_attempt, daemon=True)
    killer.start()
    results = by_key(run_tasks(tasks.wait_to_be_killed_once, [("killed", str(tmp_path))], timeout_s=45, **backend))
    killer.join()
    result = results["killed"]
    assert result.error is None and result.attempts == 2
    assert result.value != int(marker.read_text())  # a fresh worker finished it


def test_a_worker_that_always_dies_becomes_an_error_after_the_retries(backend):
    results = by_key(run_tasks(tasks.kill_own_process, [("doomed", None)], retries=1, **backend))
    doomed = results["doomed"]
    assert doomed.value is None and doomed.attempts == 2
    assert doomed.error.startswith("worker died") and doomed.error.endswith("2 times")
    if "ray_address" not in backend:
        assert doomed.error == "worker died (signal 9) 2 times"


def test_peak_memory_is_measured_in_the_worker(backend):
    results = by_key(run_tasks(tasks.allocate_mb, [("big", 200)], **backend))
    assert results["big"].peak_rss_mb >= 200


def test_one_job_without_a_limit_runs_in_this_process():
    assert list(run_tasks(tasks.process_id, [])) == []
    results = by_key(run_tasks(tasks.process_id, [("a", None), ("b", None)]))
    assert results["a"].value == results["b"].value == os.getpid()
    assert by_key(run_tasks(tasks.square_unless_three, [("3", 3)]))["3"].error == "ValueError: three is refused"


def test_keys_must_be_unique():
    with pytest.raises(ValueError, match="unique"):
        list(run_tasks(tasks.square, [("a", 1), ("a", 2)]))
