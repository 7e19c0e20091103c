"Each notebook in nbs/ is one pytest item: nbdev's test runner executes its cells (slow/cuda flags skipped)."
import subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
NBS = sorted(p for p in (ROOT/'nbs').glob('*.ipynb') if not p.name.startswith('_'))

@pytest.mark.parametrize('nb', NBS, ids=[p.stem for p in NBS])
def test_notebook(nb):
    r = subprocess.run([str(Path(sys.executable).parent/'nbdev_test'), '--path', str(nb), '--n_workers', '0'],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, f'{nb.name} failed:\n{r.stdout[-6000:]}\n{r.stderr[-6000:]}'
