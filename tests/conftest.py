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

@pytest.fixture(scope='session')
def real_dir():
    from avface_nb.core import real_clips_dir
    need_real('real-clip test')
    return real_clips_dir()

def outside_inside(before, after, squares, margin: int=8):
    """(PSNR in dB of `after` against `before` outside the face squares grown by `margin` px, mean |after - before|
    inside the squares): `restore` must leave the background alone (up to re-encoding) and change the face."""
    import numpy as np
    a, b = np.asarray(before, np.float64), np.asarray(after, np.float64)
    inside, grown = np.zeros(a.shape[:3], bool), np.zeros(a.shape[:3], bool)
    for t, (x0, y0, x1, y1) in enumerate(np.round(np.asarray(squares)).astype(int)):
        inside[t, max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = True
        grown[t, max(y0 - margin, 0):max(y1 + margin, 0), max(x0 - margin, 0):max(x1 + margin, 0)] = True
    se = ((a - b) ** 2)[~grown].mean()
    return (float('inf') if se == 0 else float(10 * np.log10(255 ** 2 / se))), float(np.abs(a - b)[inside].mean())

def audio_match(a, b, sr: int):
    "(|length difference| in seconds, correlation over the common length) of two mono tracks at `sr` Hz."
    import numpy as np
    n = min(len(a), len(b))
    return abs(len(a) - len(b)) / sr, float(np.corrcoef(a[:n], b[:n])[0, 1])

def avface_bin():
    b = BIN/'avface'
    return str(b) if b.exists() else shutil.which('avface')
