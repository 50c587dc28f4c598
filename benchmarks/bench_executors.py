"""What `executors.run_tasks` costs and gives: per-task overhead and start-up of the local pool vs Ray, and the
speed-up from 1 to 2 workers on a CPU-bound toy task.

Overhead: `TASKS` tasks that return at once, on 2 workers; per-task cost = (time for all - time for one) /
(TASKS - 1), so start-up (spawning workers, starting a Ray head) is counted apart. Speed-up: `SPINS` tasks of
pure-Python arithmetic (~`SPIN_S` s each), run on 1 worker and on 2, alternately, best of `REPEATS` each (other
load on the machine only slows a run down); the ratio is against that 1-worker time. Ray's 1-worker baseline
is a head with one CPU. The same tasks on a bare `concurrent.futures` spawn pool of 1 and 2 processes give the
speed-up the machine allows at that moment (other load takes its share), to compare with. Run with
`python benchmarks/bench_executors.py`.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

from hsimul3r_ext.executors import ray_cluster, run_tasks

TASKS = 200
SPINS = 8
SPIN_S = 0.3
REPEATS = 3


def echo(x: int) -> int:
    return x


def spin(iterations: int) -> int:
    total = 0
    for i in range(iterations):
        total += i * i % 7
    return total


def timed(function, tasks, **options) -> float:
    start = time.perf_counter()
    results = list(run_tasks(function, tasks, **options))
    assert all(r.error is None for r in results), [r.error for r in results if r.error]
    return time.perf_counter() - start


def bare_pool(workers: int, spins: list[tuple[str, int]]) -> float:
    start = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        list(pool.map(spin, [n for _, n in spins]))
    return time.perf_counter() - start


def calibrate() -> int:
    """Iterations of `spin` that take about SPIN_S seconds here."""
    start, n = time.perf_counter(), 200_000
    spin(n)
    return int(n * SPIN_S / (time.perf_counter() - start))


def overhead(**options) -> tuple[float, float]:
    """(first task incl. start-up, per further task) in seconds."""
    one = timed(echo, [("0", 0)], **options)
    many = timed(echo, [(str(i), i) for i in range(TASKS)], **options)
    return one, (many - one) / (TASKS - 1)


def main() -> None:
    iterations = calibrate()
    spins = [(str(i), iterations) for i in range(SPINS)]
    rows = []
    one, per_task = overhead(jobs=1)
    rows.append(("in-process (jobs 1, no limit)", one, per_task))
    one, per_task = overhead(jobs=2)
    rows.append(("local pool, 2 workers", one, per_task))
    local_1, local_2, bare_1, bare_2 = (float("inf"),) * 4
    for _ in range(REPEATS):
        local_1 = min(local_1, timed(spin, spins, jobs=1, timeout_s=600))  # a time limit: a worker, not this process
        local_2 = min(local_2, timed(spin, spins, jobs=2))
        bare_1, bare_2 = min(bare_1, bare_pool(1, spins)), min(bare_2, bare_pool(2, spins))

    start = time.perf_counter()
    with ray_cluster("local", 1):
        ray_start_1 = time.perf_counter() - start
        ray_1 = min(timed(spin, spins, ray_address="local") for _ in range(REPEATS))
    start = time.perf_counter()
    with ray_cluster("local", 2):
        ray_start_2 = time.perf_counter() - start
        one, per_task = overhead(ray_address="local")
        rows.append(("Ray local head, 2 CPUs", one, per_task))
        ray_2 = min(timed(spin, spins, ray_address="local") for _ in range(REPEATS))

    print(f"overhead ({TASKS} tasks that return at once):")
    for name, first, per in rows:
        print(f"  {name:32s} first task {first:5.2f} s, then {1000 * max(per, 0.0):6.3f} ms per task")
    print(f"  Ray head start: {ray_start_1:.1f} s (1 CPU), {ray_start_2:.1f} s (2 CPUs)")
    print(f"speed-up, {SPINS} CPU-bound tasks of ~{SPIN_S} s (best of {REPEATS}):")
    print(f"  bare pool:  1 process {bare_1:.2f} s, 2 processes {bare_2:.2f} s: x{bare_1 / bare_2:.2f} (the machine)")
    print(f"  local pool: 1 worker {local_1:.2f} s, 2 workers {local_2:.2f} s: x{local_1 / local_2:.2f}")
    print(f"  Ray:        1 CPU    {ray_1:.2f} s, 2 CPUs    {ray_2:.2f} s: x{ray_1 / ray_2:.2f}")


if __name__ == "__main__":
    main()
