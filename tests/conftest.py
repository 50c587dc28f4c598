"""Test-run order: files with slow tests first.

`make test` runs pytest-xdist per file (`-n 2 --dist loadfile`), handing files to the workers in collection
order. Collected alphabetically, the PPO learning test (about 12 minutes) started near the end and left one
worker alone with it; started first, it runs while the other worker goes through the rest.
"""

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # stable: the order within each group stays
