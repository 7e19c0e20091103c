"Every report runs at smoke scale (papermill → HTML + CSV): the HTML holds the smoke banner and the table header, and no cell failed."
import json, os, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from avface_nb.report import REPORTS
from avface_nb.core import real_clips_dir

@pytest.mark.parametrize('name', sorted(REPORTS))
def test_report_smoke(name, tmp_path):
    if 'realclips' in name and real_clips_dir() is None:
        pytest.skip('../shared/data/real is absent (set AVFACE_REAL_DIR): the real-clip report needs the shared real clips')
    r = subprocess.run([str(Path(sys.executable).parent/'avface'), 'report', name, '--scale', 'smoke', '--out', str(tmp_path)],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    html = (tmp_path/f'{name}.html').read_text()
    assert 'SMOKE SCALE: these numbers are not evidence' in html
    first = html.index('SMOKE SCALE')
    assert html.find('<table', 0, first) == -1                          # the banner comes before any table
    assert '<th>method</th>' in html or '>method<' in html                # the table header
    assert 'application/vnd.jupyter.stderr' not in html or 'Traceback' not in html
    assert 'Traceback (most recent call last)' not in html
    runs = json.loads((tmp_path/'runs.json').read_text())
    assert runs[name]['status'] == 'ok' and runs[name]['scale'] == 'smoke'
    assert (tmp_path/f'{name}.csv').exists() and (tmp_path/'index.html').exists()
