"""Keep a test folder out of a broader pytest run unless it is named on the command line.

Server-heavy folders (tests/scale, tests/faults) have their own make targets; `make unit` runs
`pytest tests` and must stay fast and model-free. This is collection, not skipping: the tests
run, in full, wherever their folder (or one of its files) is named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional


def only_when_named(conftest_file: str) -> Callable[..., Optional[bool]]:
    folder = Path(conftest_file).resolve().parent

    def pytest_ignore_collect(collection_path: Path, config: Any) -> Optional[bool]:
        path = Path(collection_path).resolve()
        if folder not in path.parents:
            return None
        for arg in config.args:
            named = Path(str(arg).split("::")[0]).resolve()
            if named == folder or folder in named.parents or named == path:
                return None
        return True

    return pytest_ignore_collect
