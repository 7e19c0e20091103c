"""The committed small-scale finals of the video baselines reproduce their committed evaluation rows, as
`test_committed_rows.py` checks for AVFR: BasicVSR++ (report 001_table1_2, runs/small/basicvsrpp) and GAVN on the
compression task (report 002_table3, runs/small/crf_gavn, seed 42), each re-evaluated on the first two test clips of the
small synthetic corpus (degraded by the report's preset, seed 42) within the same tolerances. The corpus is generated
and prepared here when absent, as `make reproduce` does."""
from pathlib import Path
import sys
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from test_committed_rows import TOL   # one set of tolerances (CPU instruction sets, x264, OpenCV)
TOL = {**TOL, 'MS-SSIM': 0.002}

CASES = [  # (rows, method label, seed, checkpoint, degradation preset, metric keys)
    ('001_table1_2_rows.csv', 'BasicVSR++', 42, 'runs/small/basicvsrpp/basicvsrpp/final.pt', None,
     ['psnr', 'ssim', 'lpips_alex', 'psnr_mouth', 'tlme']),
    ('002_table3_rows.csv', 'GAVN (compression)', 42, 'runs/small/crf_gavn/gavn/final.pt', 'gavn_crf',
     ['psnr', 'ssim', 'ms_ssim', 'lpips_alex', 'psnr_mouth']),
]

@pytest.mark.parametrize('rows_name,label,seed,ckpt,preset,metrics', CASES, ids=[c[1] for c in CASES])
def test_committed_video_rows_reproduce(rows_name, label, seed, ckpt, preset, metrics):
    rows_p, ck = ROOT/'reports/html'/rows_name, ROOT/ckpt
    if not rows_p.exists() or not ck.exists(): pytest.skip(f'no committed {rows_name} or {ckpt}')
    from avface_nb.experiments import ensure_corpus, landmarks_fn
    from avface_nb.evaluate import test_clips, checkpoint_method, evaluate
    rows = pd.read_csv(rows_p)
    mine = rows[(rows['method'] == label) & (rows['seed'] == seed)]
    assert len(mine), f'the committed rows have no {label} rows'
    kw = {} if preset is None else dict(preset=preset)
    clips = [c for c in test_clips(ensure_corpus('small'), **kw) if c['clip_id'] in set(mine['clip'])][:2]
    assert len(clips) == 2
    got = evaluate({label: checkpoint_method(ck)}, clips, metrics=metrics, landmarks_fn=landmarks_fn('synthetic'), progress=False)
    both = got.merge(mine, on=['clip', 'name'], suffixes=('', '_committed'))
    assert len(both) == 2 * len(metrics), both[['clip', 'name']]
    for _, r in both.iterrows():
        assert abs(r['value'] - r['value_committed']) <= TOL[r['name']], (label, r['clip'], r['name'], r['value'], r['value_committed'])
