"""tests/scale runs in `make test-scale` only: it installs and starts PostgreSQL and Redis and
several Rasa servers, which `make unit` (pytest tests) must not do. Named explicitly on the
command line (pytest tests/scale), it is collected as usual."""

from __future__ import annotations

from tests.explicit import only_when_named

pytest_ignore_collect = only_when_named(__file__)
