"""Write a stage's output folder all at once: users never see a half-written result."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output_dir(out_dir: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a staging folder beside `out_dir`; it becomes `out_dir` only if the block succeeds."""
    from .hsi.errors import CaseError  # here, not at the top: hsi's own modules import this one

    out = Path(out_dir).absolute()
    if out.exists() and not overwrite:
        raise CaseError(out, "output folder", "already exists; choose a new folder or pass --overwrite")
    created = [parent for parent in reversed(out.parents) if not parent.exists()]
    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    stage.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; results follow the user's umask like any folder
    try:
        yield stage
    except BaseException as err:
        shutil.rmtree(stage, ignore_errors=True)
        for parent in reversed(created):  # leave no empty folders behind either
            with contextlib.suppress(OSError):
                parent.rmdir()
        if isinstance(err, CaseError) and err.file.startswith(str(stage)):
            err.file = str(out) + err.file[len(str(stage)) :]  # name the file the user asked for
        raise
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / out.name)
    os.replace(stage, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
