import os, sys, shutil
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

@pytest.fixture(scope='session')
def root(): return ROOT

@pytest.fixture(scope='session')
def real_dir():
    from avface_nb.core import real_clips_dir
    d = real_clips_dir()
    if d is None: pytest.skip('../shared/data/real is absent (set AVFACE_REAL_DIR): real-clip test skipped')
    return d

def avface_bin():
    b = BIN/'avface'
    return str(b) if b.exists() else shutil.which('avface')
