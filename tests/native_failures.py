"""Steps that fail for real in a child process: they abort it (after printing an assertion like CoACD's), hang,
raise, or are killed. A child imports them by name, so this module stays light (the test modules import
Newton and Warp, seconds per child)."""

from __future__ import annotations

import os
import signal
import time

import numpy as np

COACD_ASSERTION = "intersection.h:664: Assertion `d0 != d2' failed."


def failing_assertion(*_args: object, **_kwargs: object) -> None:
    os.write(2, f"python: {COACD_ASSERTION}\n".encode())
    os.abort()


def hanging(*_args: object, **_kwargs: object) -> None:
    time.sleep(600)


def killed_from_outside() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def no_convergence(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("no convergence")


def aborting_on_seed_0(vertices: np.ndarray, faces: np.ndarray, max_input_faces: int, **parameters: object):
    """CoACD, except that its first attempt (seed 0) aborts."""
    from hsimul3r_ext.assets.decompose import coacd_parts

    if parameters["seed"] == 0:
        failing_assertion()
    return coacd_parts(vertices, faces, max_input_faces, **parameters)
