"""One differential IK step: mink's quadratic program, solved by DAQP with one-coordinate limits as bounds.

mink writes joint position and velocity limits as general inequality rows (+-1 on one coordinate).
DAQP takes such limits as bounds on the variables instead, and a bound at its limit costs an active-set
iteration almost nothing (the variable is fixed) where an active row costs a factorisation update. With
the scene terms on, several joints move at their velocity limit in most steps, so this halves the solve
time; the problem, and so its solution, is the same.
"""

from __future__ import annotations

from collections.abc import Sequence

import daqp
import mink
import numpy as np

_FREE = 1e30  # DAQP's "no bound"


def solve_ik_step(
    configuration: mink.Configuration,
    tasks: Sequence[mink.Task],
    dt: float,
    damping: float,
    limits: Sequence[mink.Limit],
) -> np.ndarray:
    """Tangent-space velocity of the IK step (what `mink.solve_ik` returns with the "daqp" solver)."""
    problem = mink.build_ik(configuration, tasks, dt, damping, limits)
    hessian, linear = problem.P, problem.q
    size = linear.size
    upper, lower = np.full(size, _FREE), np.full(size, -_FREE)
    rows, bound = np.zeros((0, size)), np.zeros(0)
    if problem.G is not None:
        nonzero = problem.G != 0
        single = nonzero.sum(axis=1) == 1
        coordinate = nonzero[single].argmax(axis=1)
        coefficient = problem.G[single, coordinate]
        limit = problem.h[single] / coefficient  # a x <= h: x <= h / a for a > 0, x >= h / a for a < 0
        np.minimum.at(upper, coordinate[coefficient > 0], limit[coefficient > 0])
        np.maximum.at(lower, coordinate[coefficient < 0], limit[coefficient < 0])
        rows, bound = problem.G[~single], problem.h[~single]
    solution, _, exitflag, _ = daqp.solve(
        np.ascontiguousarray(hessian),
        np.ascontiguousarray(linear),
        np.ascontiguousarray(rows),
        np.concatenate([upper, bound]),
        np.concatenate([lower, np.full(len(bound), -_FREE)]),
        np.zeros(size + len(bound), dtype=np.intc),
    )
    if exitflag < 1:
        raise mink.NoSolutionFound("daqp")
    return solution / dt


def take_ik_step(
    configuration: mink.Configuration,
    tasks: Sequence[mink.Task],
    dt: float,
    damping: float,
    limits: Sequence[mink.Limit],
    max_step: float,
) -> float:
    """Solve one step and move `configuration` along it, no coordinate by more than `max_step` (a shorter step
    along the same direction keeps every limit); returns the largest coordinate move the QP asked for."""
    velocity_step = solve_ik_step(configuration, tasks, dt, damping, limits)
    largest = float(np.abs(velocity_step).max()) * dt
    if largest > max_step:
        velocity_step *= max_step / largest
    configuration.integrate_inplace(velocity_step, dt)
    return largest
