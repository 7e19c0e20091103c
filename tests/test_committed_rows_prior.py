"""A fresh clone reproduces the committed evaluation rows of the face-prior family (the methods on the stage-I TS-VQGAN):
the committed small-scale VQFR checkpoint of report 001_table1_2 (runs/small/vqfr/vqfr/final.pt) restoring the first two
test clips of the small synthetic corpus, and the committed stage-I TS-VQGAN of report 004_table3
(runs/small/tsvqgan/tsvqgan/final.pt) reconstructing their clean frames, give the committed rows within the tolerances of
`test_committed_rows.py` (x264, OpenCV and BLAS differ slightly across CPUs). The corpus is generated and prepared from
seed 42 when absent, as `make reproduce` does; `AVFACE_TEST_CORPUS` may name an already prepared copy of it."""
import os
from pathlib import Path
import sys
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TOL = {'PSNR': 0.05, 'SSIM': 0.002, 'LPIPS(alex)': 0.005}
METRICS = ['psnr', 'ssim', 'lpips_alex']

def _corpus():
    from avface_nb.experiments import ensure_corpus
    return ensure_corpus('small', os.environ.get('AVFACE_TEST_CORPUS') or 'synthetic')

def _check(got: pd.DataFrame, mine: pd.DataFrame):
    both = got.merge(mine, on=['clip', 'name'], suffixes=('', '_committed'))
    assert len(both) == 2 * len(TOL), both[['clip', 'name']]
    for _, r in both.iterrows():
        assert abs(r['value'] - r['value_committed']) <= TOL[r['name']], (r['clip'], r['name'], r['value'], r['value_committed'])

def test_vqfr_rows_reproduce():
    rows_p, ck = ROOT/'reports/html/001_table1_2_rows.csv', ROOT/'runs/small/vqfr/vqfr/final.pt'
    if not rows_p.exists() or not ck.exists(): pytest.skip('no committed small-scale VQFR rows or checkpoint')
    from avface_nb.evaluate import test_clips, checkpoint_method, evaluate
    rows = pd.read_csv(rows_p)
    mine = rows[(rows['method'] == 'VQFR') & (rows['seed'] == 42) & rows['name'].isin(list(TOL))]
    assert len(mine), 'the committed rows have no VQFR rows'
    clips = [c for c in test_clips(_corpus()) if c['clip_id'] in set(mine['clip'])][:2]
    assert len(clips) == 2
    _check(evaluate({'VQFR': checkpoint_method(ck)}, clips, metrics=METRICS, progress=False), mine)

def test_tsvqgan_rows_reproduce():
    rows_p, ck = ROOT/'reports/html/004_table3_rows.csv', ROOT/'runs/small/tsvqgan/tsvqgan/final.pt'
    if not rows_p.exists() or not ck.exists(): pytest.skip('no committed small-scale TS-VQGAN rows or checkpoint')
    from avface_nb.evaluate import test_clips, evaluate
    from avface_nb.methods.pgtformer import vq_reconstruction
    rows = pd.read_csv(rows_p)
    mine = rows[(rows['method'] == 'TS-VQGAN') & (rows['seed'] == 42)]
    assert len(mine), 'the committed rows have no TS-VQGAN rows'
    clips = [c for c in test_clips(_corpus(), preset='none') if c['clip_id'] in set(mine['clip'])][:2]   # preset 'none': clean frames
    assert len(clips) == 2
    _check(evaluate({'TS-VQGAN': vq_reconstruction(ck)}, clips, metrics=METRICS, progress=False), mine)
