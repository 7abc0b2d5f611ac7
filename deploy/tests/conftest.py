# The helpers of these tests are plain modules beside them (deploy_manifests, prometheus_rule); pytest's
# importlib mode does not put a test directory on the import path, so this does.
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from deploy_manifests import Rendered, render_overlays


@pytest.fixture(scope="session")
def rendered() -> dict[str, Rendered]:
    return render_overlays()
