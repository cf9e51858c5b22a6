import os

import pytest


@pytest.mark.skipif(not os.environ.get("MLCI_ENDPOINT"), reason="no staging endpoint")
def test_endpoint_is_set() -> None:
    assert os.environ["MLCI_ENDPOINT"].startswith("https://")
