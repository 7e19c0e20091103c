"""Every report runs at smoke scale (papermill → HTML + CSV), once per report, and its outputs hold what only a correct run
produces: the smoke banner is the page's first line, no cell failed, the page names no absolute machine path, the main
CSV has the report's method rows and metric columns with every cell a number ('mean ± sd') or an explicit n/a, its
means are the means of the per-clip rows CSV, the per-clip rows and the code-oracle tables are well formed, and the
run is recorded in runs.json and index.html. The claims table has the three-way-verdict format (stats.claims_table)."""
import html as _html, json, math, re, subprocess, sys
from html.parser import HTMLParser
from pathlib import Path
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from avface_nb.report import report_list
from conftest import need_real

BANNER = 'SMOKE SCALE: these numbers are not evidence'
SYN = ['PSNR', 'SSIM', 'LPIPS(alex)', 'PSNR(mouth)', 'TLME(synth-det)']
BUDGET_TIMES = ('1', '1.5', '2')          # budget_curves at smoke: each budget as a multiple of the smallest (labels ×1, ×1.5, ×2)
EXPECTED = {  # report -> (method rows of the main table, in order; its metric columns)
    '001_table1_2': (['LQ input', 'AVFR', 'BasicVSR++', 'VQFR'], SYN),
    '001_table5': (['LQ input', 'AVFR', 'MFCC Segment = 3', 'MFCC Segment = 7', 'w/o Interference M'], SYN),
    '001_table3_4': (['LQ input', 'AVFR', 'w/o Audio Guidance', 'w/o Temporal Smoothing', 'w/ 2D-CNN (no temporal)'], SYN),
    '001_realclips': (['LQ input', 'AVFR (real)', 'w/o Audio Guidance (real)', 'BasicVSR++ (real)', 'VQFR (real)',
                       'AVFR (synthetic)', 'BasicVSR++ (synthetic)', 'VQFR (synthetic)'],
                      ['PSNR', 'SSIM', 'LPIPS(alex)', 'PSNR(mouth)', 'TLME(dlib)']),
    '002_table3': ([f'{m} ({t})' for t in ('compression', 'deblur', 'super-resolution') for m in ('LQ input', 'w/o IF', 'w/o AF', 'GAVN')],
                   ['PSNR', 'SSIM', 'MS-SSIM', 'LPIPS(alex)', 'PSNR(mouth)', 'Sync_c(synth-expert)', 'Sync_d(synth-expert)']),
    '002_table1': ([f'{m} ({t}, {d})' for d in ('multi-speaker', 'single-speaker') for t in ('compression', 'deblur', 'super-resolution')
                    for m in ('LQ input', 'DBPN', 'EDVR', 'BasicVSR++', 'DAVD-Net-style', 'VRT-style', 'GAVN')],
                   ['PSNR', 'SSIM', 'MS-SSIM', 'LPIPS(alex)', 'PSNR(mouth)', 'Sync_c(synth-expert)', 'Sync_d(synth-expert)']),
    '002_table2': ([f'{m} ({lv})' for lv in ('CRF 35', 'CRF 40', 'CRF 45', 'kernel 17', 'kernel 21', 'kernel 25', '×2', '×4', '×8')
                    for m in ('LQ input', 'EDVR', 'BasicVSR++', 'DAVD-Net-style', 'GAVN')], ['PSNR']),
    '004_table1': ([f'{m} ({s})' for s in ('aligned', 'non-aligned') for m in ('LQ input', 'BasicVSR++', 'HiFaceGAN-style', 'GFPGAN-style', 'VQFR', 'CodeFormer-style', 'PGTFormer')],
                   ['PSNR', 'SSIM', 'LPIPS(alex)', 'Deg(dlib)', 'LMD(synth-det)', 'TLME(synth-det)', 'MSRL']),
    '004_table2': (['BasicVSR++', 'HiFaceGAN-style', 'GFPGAN-style', 'VQFR', 'CodeFormer-style', 'PGTFormer'],
                   ['seconds/frame', 'network s/frame', 'detection s/frame', 'alignment s/frame', 'FVD']),
    '002_table4': ([f'{m} ({c})' for c in ('as is', 'degraded') for m in ('LQ input', 'EDVR', 'BasicVSR++', 'DAVD-Net-style', 'VRT-style', 'GAVN')],
                   ['NIQE', 'Sync_c(synth-expert)', 'Sync_d(synth-expert)', 'Sync_c', 'Sync_d']),
    '004_table3': (['VQGAN', 'TS-VQGAN'], ['PSNR', 'SSIM', 'LPIPS(alex)']),                  # reconstruction of clean frames: no LQ row
    '004_table4_6': (['LQ input'] + [f'{m} [{st}]' for st in ('stage II', 'stage III') for m in ('B (w/o M0, M1)', 'B + M0 (w/o M1)', 'PGTFormer')],
                     ['PSNR', 'SSIM', 'LPIPS(alex)', 'Acc_T1', 'Acc_T5']),
    '004_table5': (['LQ input', 'w/o TFR', 'PGTFormer'], ['Deg(dlib)', 'LMD(synth-det)', 'TLME(synth-det)', 'MSRL']),
    # budget_curves at smoke: the x4 / x16 budgets are 1.5x and 2x the smoke defaults (reports/params/smoke.yaml)
    'budget_curves': (['LQ input'] + [f'{m} ×{t}' for t in BUDGET_TIMES for m in ('AVFR', 'AVFR w/o audio', 'BasicVSR++', 'GAVN')], SYN),
    'all_methods': (['LQ input', 'AVFR', 'GAVN', 'PGTFormer', 'BasicVSR++', 'VQFR', 'EDVR', 'DBPN', 'DAVD-Net-style', 'VRT-style',
                     'CodeFormer-style', 'GFPGAN-style', 'HiFaceGAN-style'], SYN + ['Sync_c(synth-expert)', 'Sync_d(synth-expert)']),
}
ORACLE = {'001_table3_4': ['clip', 'fraction', 'code_acc', 'PSNR'], 'budget_curves': ['clip', 'fraction', 'code_acc', 'PSNR', 'frames']}
ROWS_COLUMNS = ['method', 'clip', 'speaker', 'seed', 'metric', 'name', 'value', 'better', 'note']
CLAIM_COLUMNS = ['claim', 'A', 'B', 'metric', 'direction', 'mean_A', 'mean_B', 'diff', 'ci_low', 'ci_high', 'verdict',
                 'n_speakers', 'n_clips', 'n_seeds', 'note']
VERDICTS = {'confirmed', 'contradicted', 'inconclusive', 'n/a'}
# an absolute path on this kind of machine: /tmp/..., /home/..., a checkout under /work, ... (URLs are preceded by a host)
REPORTS = report_list()                   # name -> description (reports/reports.yaml)
ABS_PATH = re.compile(r'(?<![\w.~:/-])/(?:tmp|home|root|work|Users|var/folders|private|mnt|opt|srv)/[\w.~/-]+')

def test_every_report_has_expectations():
    assert set(EXPECTED) == set(REPORTS), (sorted(EXPECTED), sorted(REPORTS))

# helpers that display a table and return it: a cell ending with a bare call would show the table a second time
RETURNS_TABLE = {'show_table', 'show_paper', 'show_claims', 'show_best', 'show_oracle', 'show_curves', 'show_ranking',
                 'show_speed_quality'}

def code_cells(name: str) -> list[str]:
    import nbformat
    nb = nbformat.read(ROOT/'reports'/f'{name}.ipynb', as_version=4)
    return [c.source for c in nb.cells if c.cell_type == 'code' and 'parameters' not in c.metadata.get('tags', [])]

def calls(src: str) -> list:
    import ast
    return [n for n in ast.walk(ast.parse(src)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]

@pytest.mark.parametrize('name', sorted(REPORTS))
def test_report_says_what_it_is_once(name):
    """Static, without running the report: its first cell after the parameters ends with the banner built from the report's
    own facts (data, models, the paper's data: `show_banner(scale, data, models, paper)`); the budget table is shown at most
    once (`show_budget` returns nothing); no cell ends with a bare call of a helper that returns the table it displayed."""
    import ast
    cells = code_cells(name)
    last = ast.parse(cells[0]).body[-1]
    assert isinstance(last, ast.Expr) and isinstance(last.value, ast.Call) and ast.unparse(last.value.func) == 'show_banner', cells[0]
    assert len(last.value.args) + len(last.value.keywords) == 4, f'{name}: show_banner(scale, data, models, paper), got {ast.unparse(last)}'
    assert sum(ast.unparse(c.func) == 'show_budget' for src in cells for c in calls(src)) <= 1, f'{name} shows its budget twice'
    for src in cells:
        end = ast.parse(src).body[-1] if ast.parse(src).body else None
        if isinstance(end, ast.Expr) and isinstance(end.value, ast.Call):
            assert ast.unparse(end.value.func) not in RETURNS_TABLE, f'{name}: a cell ends with {ast.unparse(end)}: its table shows twice'

@pytest.fixture(scope='module', params=sorted(REPORTS))
def report(request, tmp_path_factory):
    "Run one report at smoke scale into a fresh folder: (name, folder, completed process)."
    name = request.param
    if 'realclips' in name or name in ('002_table4', '004_table2', 'all_methods'): need_real(f'report {name} (needs the shared real clips)')
    out = tmp_path_factory.mktemp(name)
    # --allow-dirty: a working tree under test may hold uncommitted code; the page then carries the red banner (checked below)
    r = subprocess.run([str(Path(sys.executable).parent/'avface'), 'report', name, '--scale', 'smoke', '--out', str(out), '--allow-dirty'],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return name, out, r

# ------------------------------------------------------------------------------------------------ helpers
class _Text(HTMLParser):
    "The visible text of an HTML page's body (no head, style or script)."
    def __init__(self):
        super().__init__(); self.skip, self.body, self.parts = 0, False, []
    def handle_starttag(self, tag, attrs):
        if tag == 'body': self.body = True
        if tag in ('head', 'style', 'script', 'title'): self.skip += 1
    def handle_endtag(self, tag):
        if tag in ('head', 'style', 'script', 'title'): self.skip -= 1
    def handle_data(self, data):
        if self.body and not self.skip: self.parts.append(data)

def text_lines(page: str) -> list[str]:
    "Non-empty lines of the page's visible text, stripped."
    t = _Text(); t.feed(page)
    return [l.strip() for l in ''.join(t.parts).splitlines() if l.strip()]

def read_csv(path) -> pd.DataFrame:
    "A CSV as strings, exactly as written (empty cells stay '')."
    return pd.read_csv(path, dtype=str, keep_default_na=False)

def is_na(s: str) -> bool: return s.startswith('n/a')

def number(s: str) -> float:
    "A finite number written in a CSV cell (raises otherwise)."
    v = float(s)
    assert math.isfinite(v), s
    return v

def rounded(s: str) -> tuple[float, float]:
    "A number as displayed -> (value, half a unit of its last digit: how far the rounded display may be from the truth)."
    v = number(s)
    m = re.fullmatch(r'-?\d+(?:\.(\d+))?', s.strip())
    return v, (0.5 * 10 ** -len(m.group(1) or '') if m else 5e-4 * abs(v))   # plain decimals, else scientific notation

def parse_cell(s: str):
    "A main-table cell: 'mean ± sd' or a bare number -> ((mean, half-unit), (sd, half-unit) or None); 'n/a (...)' -> None."
    s = s.strip()
    if is_na(s): return None
    parts = s.split(' ± ')
    assert 1 <= len(parts) <= 2, s
    mean, sd = rounded(parts[0]), (rounded(parts[1]) if len(parts) == 2 else None)
    assert sd is None or sd[0] >= 0, s
    return mean, sd

# ------------------------------------------------------------------------------------------------ checks
def test_report_run_recorded(report):
    "runs.json records an ok smoke run; index.html links the page and every CSV written."
    name, out, r = report
    assert f'{name}: ok' in r.stdout, r.stdout
    rec = json.loads((out/'runs.json').read_text())[name]
    assert (rec['status'], rec['scale'], rec['error']) == ('ok', 'smoke', None) and rec['seconds'] > 0 and rec['commit'], rec
    assert rec['commit'].endswith('+dirty') == bool(rec['dirty']), rec                 # provenance: the commit, clean or not
    assert all(re.fullmatch(r'[0-9a-f]{16}', d) for d in rec['runs'].values()) and not any(k.startswith('/') for k in rec['runs']), rec['runs']
    if name not in ('004_table2',): assert rec['runs'], f'{name} used no recorded run'   # 004_table2 times fresh models
    index = (out/'index.html').read_text()
    assert f'href="{name}.html"' in index and rec['commit'] in index
    for k, d in rec['runs'].items(): assert d in index, (k, d)
    csvs = sorted(p.name for p in out.glob(f'{name}*.csv'))
    assert f'{name}.csv' in csvs and f'{name}_rows.csv' in csvs, csvs
    for c in csvs: assert f'href="{c}"' in index, c

def test_report_html(report):
    "The banner is the first line of the page; no cell failed; the main table is rendered; no absolute path leaks."
    name, out, _ = report
    page = (out/f'{name}.html').read_text()
    lines = text_lines(page)
    rec = json.loads((out/'runs.json').read_text())[name]
    if rec['dirty']:                                  # rendered with --allow-dirty from uncommitted code: the red banner comes first
        assert lines[0].startswith('UNCOMMITTED CODE') and 'avface-dirty' in page, lines[:3]
        lines = lines[1:]
    else: assert 'avface-dirty' not in page
    assert lines and lines[0].startswith(BANNER), lines[:3]
    assert all(w in lines[0] for w in ('Data: ', 'Models: ', 'The paper used ')), lines[0]     # the banner says what the page is
    if name == '004_table2': assert 'untrained' in lines[0] and 'trained here' not in lines[0], lines[0]
    else: assert 'trained here' in lines[0], lines[0]
    if 'realclips' in name: assert 'shared real clips' in lines[0] and 'split 8 training / 3 test clips' in lines[0], lines[0]
    assert page.count('Training budget') <= 1, f'{name} shows its budget table twice'
    assert '<td>auto</td>' not in page                                     # the device column says cpu or cuda
    cut = re.findall(r'<td>[^<]*(?:\.\.\.|…)</td>', page)
    assert not cut, f'table cells cut short in {name}.html: {cut[:3]}'
    assert 'Provenance' in page and rec['commit'] in page and all(d in page for d in rec['runs'].values())
    assert 'Traceback (most recent call last)' not in page and 'application/vnd.jupyter.error' not in page
    methods, metrics = EXPECTED[name]
    for w in methods + metrics: assert _html.escape(w) in page, w            # the main table is on the page
    leaks = sorted({m.group(0) for m in ABS_PATH.finditer(page)} |
                   {p for p in (str(ROOT), str(ROOT.resolve()), str(out), str(Path.home())) if len(p) > 1 and p in page})
    assert not leaks, f'absolute paths in {name}.html: {leaks}'

def test_report_main_table(report):
    """Method rows and metric columns as expected; every cell a number or n/a; mean ± sd are those of the per-clip rows;
    the code-accuracy oracle table, where the report has one, is well formed."""
    name, out, _ = report
    methods, metrics = EXPECTED[name]
    t = read_csv(out/f'{name}.csv')
    assert list(t.columns) == ['method'] + metrics, list(t.columns)
    assert t['method'].tolist() == methods, t['method'].tolist()
    rows = read_csv(out/f'{name}_rows.csv')
    assert list(rows.columns) == ROWS_COLUMNS, list(rows.columns)
    assert list(dict.fromkeys(rows['method'])) == methods and set(rows['name']) == set(metrics)
    for i in range(len(rows)):                                   # per-clip values: numbers, or NaN with an explicit n/a
        v, note = rows['value'].iloc[i], rows['note'].iloc[i]
        if v in ('', 'nan', 'NaN'): assert is_na(note), rows.iloc[i].to_dict()
        else: number(v)
        if rows['method'].iloc[i].startswith('LQ input'): assert rows['seed'].iloc[i] in ('', 'nan', 'NaN'), rows.iloc[i].to_dict()   # untrained: no seed
        else: number(rows['seed'].iloc[i])
        assert rows['better'].iloc[i] in ('higher', 'lower'), rows.iloc[i].to_dict()
    vals = rows.assign(v=pd.to_numeric(rows['value'], errors='coerce'))
    for _, row in t.iterrows():
        for col in metrics:
            cell = parse_cell(row[col])
            per_clip = vals.loc[(vals['method'] == row['method']) & (vals['name'] == col), 'v']
            if cell is None:
                assert per_clip.isna().all(), (row['method'], col, row[col]); continue
            (mean, half), sd = cell
            assert abs(mean - per_clip.mean()) <= half + 1e-9, (row['method'], col, row[col], per_clip.mean())
            if sd is not None:                                       # sd over clips (and seeds), n - 1; 0 for one value
                want = per_clip.std(ddof=1) if per_clip.notna().sum() > 1 else 0.0
                assert abs(sd[0] - want) <= sd[1] + 1e-9, (row['method'], col, row[col], want)
    if name in ORACLE: check_oracle_table(name, out)

def check_oracle_table(name: str, out: Path):
    "Code-accuracy oracle: fractions 0..1; the given share of codes is right, so accuracy ≥ fraction, and 1 at fraction 1."
    o = read_csv(out/f'{name}_oracle.csv')
    assert list(o.columns) == ORACLE[name], list(o.columns)
    o = o.assign(**{c: o[c].map(number) for c in ORACLE[name] if c != 'clip'})
    assert o['fraction'].between(0, 1).all() and o['code_acc'].between(0, 1).all()
    for _, g in o.groupby(['clip'] + (['frames'] if 'frames' in o else [])):
        g = g.sort_values('fraction')
        assert g['fraction'].iloc[0] == 0 and g['fraction'].iloc[-1] == 1 and g['code_acc'].iloc[-1] == 1, g
        assert (g['code_acc'] >= g['fraction'] - 1e-6).all(), g
    if 'frames' in o: assert len(o['frames'].unique()) == len(BUDGET_TIMES), o['frames'].unique()   # one curve per budget

def check_claims_table(name: str, out: Path):
    """The claims table in its three-way-verdict form: the columns of `CLAIM_COLUMNS`; verdicts confirmed / contradicted /
    inconclusive / n/a; A and B are methods of the report; n/a rows say why; other rows have numeric means, a difference,
    an interval that holds it (or none, with a note) and the verdict the interval and direction imply."""
    c = read_csv(out/f'{name}_claims.csv')
    assert list(c.columns) == CLAIM_COLUMNS, list(c.columns)
    assert len(c) > 0
    methods = set(EXPECTED[name][0])
    for _, r in c.iterrows():
        assert r['verdict'] in VERDICTS and r['direction'] in ('higher', 'lower'), r.to_dict()
        assert r['A'] in methods and r['B'] in methods and r['A'] != r['B'], r.to_dict()
        if r['verdict'] == 'n/a':
            assert r['note'], r.to_dict(); continue
        ma, mb, d = number(r['mean_A']), number(r['mean_B']), number(r['diff'])
        assert int(r['n_speakers']) >= 1 and int(r['n_clips']) >= int(r['n_speakers']) and int(r['n_seeds']) >= 1, r.to_dict()
        if r['ci_low'] in ('', 'nan', 'NaN') or r['ci_high'] in ('', 'nan', 'NaN'):
            assert r['verdict'] == 'inconclusive' and r['note'], r.to_dict(); continue
        lo, hi = number(r['ci_low']), number(r['ci_high'])
        assert lo <= d <= hi, r.to_dict()
        if 'clusters' in r['note']:                                  # too few clusters: stats holds the verdict (MIN_CLUSTERS)
            assert r['verdict'] == 'inconclusive' and int(r['n_speakers'] if int(r['n_speakers']) > 1 else r['n_clips']) < 5, r.to_dict(); continue
        s = 1 if r['direction'] == 'higher' else -1
        lo, hi = sorted((s * lo, s * hi))
        assert r['verdict'] == ('confirmed' if lo > 0 else 'contradicted' if hi < 0 else 'inconclusive'), r.to_dict()

def test_report_claims_table(report):
    name, out, _ = report
    check_claims_table(name, out)
    c = read_csv(out/f'{name}_claims.csv')
    if name == '004_table2': assert not c['note'].str.contains('one training seed').any(), c['note'].tolist()   # fresh weights
    if name == '001_table3_4':         # paper 001's Tables 3-4: the full model against each of three ablations on four metrics
        full = EXPECTED[name][0][1]
        abl = c[(c['A'] == full) & c['B'].isin(EXPECTED[name][0][2:]) & (c['metric'].isin(['PSNR', 'SSIM', 'LPIPS(alex)']) | c['metric'].str.startswith('TLME'))]
        assert len(abl.drop_duplicates(['B', 'metric'])) == 12, abl[['B', 'metric']].values.tolist()
