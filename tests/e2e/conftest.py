from __future__ import annotations

from typing import Iterator

import pytest

from tests.servers import Stack, require_model, started


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[Stack]:
    """One stack for the whole e2e suite (the bad-input cases, the question bank, REST)."""
    require_model("e2e")
    with started(Stack(tmp_path_factory.mktemp("stack"))) as running:
        yield running
