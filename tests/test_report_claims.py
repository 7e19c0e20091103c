"""The committed claims follow from the committed rows through today's report notebooks: each report whose per-clip rows
and claims are committed (reports/html/<name>_rows.csv, <name>_claims.csv) is executed cell by cell with its runs,
test clips and evaluation replaced by those rows (no training, no evaluation, no viewer), and the claims it writes must
equal the committed ones: the same claims, verdicts and counts, every number within 1e-9. A change to a report's claims,
to `stats` or to the report helpers that would change a committed verdict or number fails here."""
import ast, sys
from pathlib import Path
from unittest import mock
import numpy as np, pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
HTML = ROOT/'reports'/'html'
COMMITTED = sorted(p.name[:-len('_claims.csv')] for p in HTML.glob('*_claims.csv')
                   if (HTML/p.name.replace('_claims.csv', '_rows.csv')).exists() and (ROOT/'reports'/p.name.replace('_claims.csv', '.ipynb')).exists())
# cells that time fresh models, decode codes or train detectors make no claim: only their constants and imports are run
SKIP = {'004_table2': ('bench_peak', 'time_methods('), '001_table3_4': ('code_oracle_curve',),
        'budget_curves': ('code_oracle_curve',), '002_table3': ('detector_errors(',), '002_table4': ('sync_gate(', 'score_real_restorations('),
        'all_methods': ('measure_speed(',)}
TOL = 1e-9

def run_with_rows(report: str, rows: pd.DataFrame, out: Path) -> list:
    "Execute reports/<report>.ipynb at small scale with `rows` as every evaluation; returns the (cell, error) of cells that failed."
    import matplotlib; matplotlib.use('Agg')
    import nbformat
    import avface_nb.experiments as E, avface_nb.report as Rp, avface_nb.evaluate as Ev
    clip = dict(hq=np.zeros((2, 32, 32, 3), np.uint8), speaker='s', clip_id='c', preset='p', landmarks=None)
    def fake_runs(rep, p):
        p = {**E.load_params(p['scale']), **p}
        return {e['key']: {s: Path(f'runs/none/{e["key"]}/{s}') for s in e['seeds']} for e in E.plan_entries(rep, p)}
    def report_runs(rep, p, test_preset=None, max_test_clips=0, progress=False, plan=None, clips=True):
        pp = {**E.load_params(p['scale']), **p}
        return dict(params=pp, corpus=Path('none'), runs=fake_runs(rep, p), labels=E.run_labels(rep, pp),
                    clips=[clip] if clips else None, data=pp.get('data', 'synthetic'))
    def score_runs(runs, labels, clips, landmarks_fn=None, metrics=None, lq='LQ input', keys=None):
        methods = ([lq] if lq else []) + [labels[k] for k in (keys or runs)]
        missing = set(methods) - set(rows['method'])
        assert not missing, f'the committed rows of {report} have no rows of {sorted(missing)}'
        return rows[rows['method'].isin(methods)].copy()
    stub = mock.MagicMock()
    patches = [mock.patch.object(E, 'report_runs', report_runs), mock.patch.object(E, 'score_runs', score_runs),
               mock.patch.object(E, 'plan_runs', lambda rep, p, *a, **k: fake_runs(rep, p)),
               mock.patch.object(E, 'ensure_corpus', lambda *a, **k: Path('none')),
               mock.patch.object(E, 'load_test_set', lambda *a, **k: [clip]), mock.patch.object(Ev, 'test_clips', lambda *a, **k: [clip]),
               mock.patch.object(E, 'describe_test_set', lambda *a, **k: ''), mock.patch.object(E, 'publish_ckpt', lambda *a, **k: None),
               # budget_curves reads each run's frames seen: its plan keys carry the budget multiple (method@times, times x 2,400 at small)
               mock.patch.object(E, 'run_budget', lambda p: dict(method_frames=2400 * int(Path(p).parent.name.split('@')[1])))]
    patches += [mock.patch.object(m, n, stub) for m, n in ((E, 'viewer_methods'), (E, 'training_curves'), (Rp, 'show_budget'),
                                                           (Rp, 'show_viewer'), (Rp, 'show_boxes'), (Rp, 'show_curves'))]
    if report.startswith('004'):
        import avface_nb.methods.pgtformer as PG
        patches += [mock.patch.object(PG, 'score_reconstruction', lambda runs, labels, clips, metrics: score_runs(runs, labels, clips, lq=None)),
                    mock.patch.object(PG, 'vq_sizes', stub)]
    nb = nbformat.read(ROOT/'reports'/f'{report}.ipynb', as_version=4)
    ns, errors = {'df': rows}, []
    with mock.patch('IPython.display.display', lambda *a, **k: None), mock.patch('matplotlib.pyplot.show', lambda *a, **k: None):
        for p in patches: p.start()
        try:
            for i, c in enumerate(nb.cells):
                if c.cell_type != 'code': continue
                if 'parameters' in c.metadata.get('tags', []):
                    exec(c.source, ns); ns.update(scale='small', out_dir=str(out)); continue
                if any(s in c.source for s in SKIP.get(report, ())):
                    for node in ast.parse(c.source).body:             # keep its imports and CONSTANTS
                        if isinstance(node, (ast.Import, ast.ImportFrom)) or (isinstance(node, ast.Assign) and all(
                                isinstance(t, ast.Name) and t.id.isupper() for t in node.targets)):
                            exec(compile(ast.Module([node], []), report, 'exec'), ns)
                    continue
                try: exec(c.source, ns)
                except Exception as e: errors.append((i, f'{type(e).__name__}: {e}'[:300]))
        finally:
            for p in patches: p.stop()
    return errors

def differences(got: pd.DataFrame, want: pd.DataFrame) -> list[str]:
    "Cells that differ: strings exactly, numbers beyond `TOL` (NaN equals NaN)."
    if list(got.columns) != list(want.columns): return [f'columns {list(got.columns)} != {list(want.columns)}']
    if len(got) != len(want): return [f'{len(got)} claims != {len(want)}']
    out = []
    for col in want.columns:
        a, b = got[col], want[col]
        if pd.api.types.is_numeric_dtype(a) and pd.api.types.is_numeric_dtype(b): bad = ~((a - b).abs().le(TOL) | (a.isna() & b.isna()))
        else: bad = a.fillna('').astype(str) != b.fillna('').astype(str)
        out += [f'{want["claim"].iloc[i]!r} {col}: {a.iloc[i]!r} != {b.iloc[i]!r}' for i in np.flatnonzero(bad.to_numpy())]
    return out

def test_some_reports_have_committed_claims():
    assert len(COMMITTED) >= 5, COMMITTED

@pytest.mark.parametrize('report', COMMITTED)
def test_committed_claims_follow_from_committed_rows(report, tmp_path):
    rows = pd.read_csv(HTML/f'{report}_rows.csv')
    errors = run_with_rows(report, rows, tmp_path)
    assert (tmp_path/f'{report}_claims.csv').exists(), f'{report} wrote no claims; cells that failed: {errors}'
    d = differences(pd.read_csv(tmp_path/f'{report}_claims.csv'), pd.read_csv(HTML/f'{report}_claims.csv'))
    assert not d, '\n'.join(d[:20])

def test_a_changed_row_is_caught(tmp_path):
    "The check can fail: one committed value moved changes a claim's numbers."
    report = '001_table5' if '001_table5' in COMMITTED else COMMITTED[0]
    rows = pd.read_csv(HTML/f'{report}_rows.csv')
    claims = pd.read_csv(HTML/f'{report}_claims.csv')
    a, metric = claims['A'].iloc[0], claims['metric'].iloc[0]
    i = rows.index[(rows['method'] == a) & (rows['name'] == metric) & rows['value'].notna()][0]
    rows.loc[i, 'value'] += 1.0
    run_with_rows(report, rows, tmp_path)
    assert differences(pd.read_csv(tmp_path/f'{report}_claims.csv'), claims)
