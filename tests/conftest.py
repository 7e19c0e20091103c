import os, sys, shutil
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

@pytest.fixture(scope='session')
def root(): return ROOT

def need_real(what: str):
    """Skip the calling test visibly when ../shared/data/real is absent (`avface_nb.core.require_real`);
    under AVFACE_REQUIRE_REAL=1 (CI) that raises `RequirementMissing` instead, so the test fails."""
    from avface_nb.core import require_real
    if not require_real(what): pytest.skip(f'{what}: ../shared/data/real is absent (set AVFACE_REAL_DIR)')

def need_weights(what: str, names=None):
    """Skip the calling test visibly when `avface_nb.weights` reports the weights `names` missing;
    under AVFACE_REQUIRE_WEIGHTS=1 (CI) that raises `RequirementMissing` instead, so the test fails."""
    from avface_nb.core import require_weights
    if not require_weights(what, names): pytest.skip(f'{what}: weights missing (python -m avface_nb.weights install)')

@pytest.fixture(scope='session')
def real_dir():
    from avface_nb.core import real_clips_dir
    need_real('real-clip test')
    return real_clips_dir()

def avface_bin():
    b = BIN/'avface'
    return str(b) if b.exists() else shutil.which('avface')
