"""tests/faults runs in `make test-faults` only (it needs a trained model and restarts real
servers); `make unit` (pytest tests) leaves it alone. Named explicitly (pytest tests/faults), it
is collected as usual."""

from __future__ import annotations

from tests.explicit import only_when_named

pytest_ignore_collect = only_when_named(__file__)
