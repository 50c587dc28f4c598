"""One error type for bad input, so every command can report it the same way (exit 2), and one warning
type for doubtful input that every stage still accepts."""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike


class CaseError(ValueError):
    """Bad input, pinned to the file and the field a user must fix."""

    def __init__(self, file: str | PathLike[str], field: str, problem: str) -> None:
        self.file = str(file)
        self.field = field
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.problem}"

    def __reduce__(self):
        """Picklable with its three parts, so an error raised in a worker process reaches the parent intact."""
        return (type(self), (self.file, self.field, self.problem))


@dataclass(frozen=True)
class CaseWarning:
    """Doubtful input that the stages still accept (and say what they do about it), pinned like a CaseError."""

    file: str
    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.problem}"
