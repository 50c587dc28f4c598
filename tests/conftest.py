"""Test-run order: files with slow tests first.

`make test` runs pytest-xdist per file (`-n 2 --dist loadfile --no-loadscope-reorder`), handing files to the
workers in collection order (xdist's default hands out the files with the most tests first). The PPO learning
test (one test, about 12 minutes) used to start last and leave one worker alone with it; started first, it
runs while the other worker goes through the rest.
"""

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: the order within each group stays
