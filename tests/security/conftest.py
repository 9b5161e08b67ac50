"""tests/security runs in `make test-security` only (it starts real Rasa servers); `make unit`
(pytest tests) leaves it alone. Named explicitly (pytest tests/security), it is collected as usual."""

from __future__ import annotations

from tests.explicit import only_when_named

pytest_ignore_collect = only_when_named(__file__)
