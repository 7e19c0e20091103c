"""ComparisonWidget in JupyterLab, as a reader runs it: JupyterLab from this checkout's .venv on 127.0.0.1 with a token,
a notebook on the project's kernel ("avface", which `make install` installs) that builds the widget on a small generated
clip, run from headless Chromium (Debian's chromium + chromium-driver, driven by Selenium). Asserts that the widget
renders (frames at the static viewer's display scale, pixelated, the mouth crops no wider than the frames), that moving
the frame slider changes the frame shown (its pixels, read back in the page) and the frame number, and that the console
holds no error of the widget's. The server it started is stopped at the end.

Slower than tests/test_browser.py (JupyterLab and a kernel start: about 13 s here), still part of `make test`;
`make test-browser` runs it with the viewer tests. Without Chromium it skips visibly (fails under AVFACE_REQUIRE_BROWSER=1, as in CI).
"""
import json, os, secrets, socket, subprocess, sys, time
from pathlib import Path
import pytest

from test_browser import need_browser, make_driver, console_errors, wait_for

ROOT = Path(__file__).resolve().parents[1]
JUPYTER = Path(sys.executable).parent/'jupyter'

NOTEBOOK_CELLS = [
    "import numpy as np, cv2\n"
    "from avface_nb.viz import ComparisonWidget\n"
    "T = 24\n"
    "tex = cv2.resize(np.random.default_rng(0).integers(0, 256, (16, 24, 3), dtype=np.uint8), (96, 64), interpolation=cv2.INTER_CUBIC)\n"
    "gt = np.stack([tex[:, t:t + 64] for t in range(T)])            # 64-px crops of a texture moving a pixel a frame\n"
    "lq = np.stack([cv2.resize(cv2.resize(f, (16, 16), interpolation=cv2.INTER_AREA), (64, 64)) for f in gt])\n"
    "boxes = np.tile([[20., 36., 44., 52.]], (T, 1))\n"
    "w = ComparisonWidget({'LQ input': lq, 'restored': gt // 2 + 60}, reference=gt, mouth_boxes=boxes)\n"
    "w",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]


@pytest.fixture(scope='module')
def lab(tmp_path_factory):
    need_browser()
    if not JUPYTER.exists(): pytest.fail(f'{JUPYTER} is absent: JupyterLab is part of `make install` (requirements.txt)')
    tmp = tmp_path_factory.mktemp('lab')
    nb = {'cells': [{'cell_type': 'code', 'execution_count': None, 'id': f'c{i}', 'metadata': {}, 'outputs': [], 'source': s}
                    for i, s in enumerate(NOTEBOOK_CELLS)],
          'metadata': {'kernelspec': {'name': 'avface', 'display_name': 'Python 3 (avface .venv)', 'language': 'python'}},
          'nbformat': 4, 'nbformat_minor': 5}
    (tmp/'widget.ipynb').write_text(json.dumps(nb))
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(tmp/'config'), 'JUPYTER_RUNTIME_DIR': str(tmp/'runtime'),
           'JUPYTERLAB_SETTINGS_DIR': str(tmp/'settings'), 'JUPYTERLAB_WORKSPACES_DIR': str(tmp/'workspaces'),
           'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': '1'}
    log = open(tmp/'lab.log', 'w')
    proc = subprocess.Popen([str(JUPYTER), 'lab', '--no-browser', '--ServerApp.ip=127.0.0.1', f'--ServerApp.port={port}',
                             '--ServerApp.port_retries=0', f'--IdentityProvider.token={token}', f'--ServerApp.root_dir={tmp}',
                             '--LabApp.expose_app_in_browser=True', '--LabApp.news_url=', '--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate',
                             '--ServerApp.allow_root=True', '--ServerApp.open_browser=False'],
                            cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        import urllib.request
        def up():
            try: return urllib.request.urlopen(f'http://127.0.0.1:{port}/api/status?token={token}', timeout=2).status == 200
            except OSError:
                if proc.poll() is not None: raise AssertionError(f'JupyterLab exited: {(tmp/"lab.log").read_text()[-2000:]}')
                return False
        wait_for(up, timeout=90, what='JupyterLab to answer')
        yield dict(url=f'http://127.0.0.1:{port}/lab/tree/widget.ipynb?token={token}', log=tmp/'lab.log', proc=proc)
    finally:
        proc.terminate()
        try: proc.wait(timeout=30)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()
        log.close()


def test_widget_in_jupyterlab(lab):
    d = make_driver(1400, 1100)
    try:
        d.set_page_load_timeout(120)
        d.get(lab['url'])
        wait_for(lambda: d.execute_script('return !!(window.jupyterapp && document.querySelector(".jp-Notebook .jp-Cell"))'),
                 timeout=120, what='JupyterLab to show the notebook')
        # the project's kernel, started and idle, then Run All
        kernel = wait_for(lambda: d.execute_script('''var w = window.jupyterapp.shell.currentWidget, s = w && w.sessionContext && w.sessionContext.session;
            return s && s.kernel && s.kernel.status === "idle" && s.kernel.name;'''), timeout=120, what='the kernel to start')
        assert kernel == 'avface', kernel
        d.execute_script('window.jupyterapp.commands.execute("notebook:run-all-cells")')
        imgs = 'document.querySelectorAll(".jp-OutputArea-output img.avface-px")'
        wait_for(lambda: d.execute_script(f'var a = {imgs}; return a.length >= 4 && Array.from(a).every(function (i) {{ return i.complete && i.naturalWidth > 0; }})'),
                 timeout=120, what='the widget to render its frames and mouth crops')
        geo = d.execute_script(f"""return Array.from({imgs}).map(function (i) {{ var r = i.getBoundingClientRect();
            return [r.width, r.height, i.naturalWidth, getComputedStyle(i).imageRendering]; }});""")
        (fw, fh, fn, fr), (zw, zh, zn, zr) = geo[0], geo[1]               # the left frame, its mouth crop under it
        # frames: 64-px crops sent at 64 px and shown at x4 = 256 CSS px, pixelated; the mouth no wider than a frame
        assert (round(fw), round(fh), fn, fr) == (256, 256, 64, 'pixelated'), geo
        assert fr == zr == 'pixelated' and zw <= fw + 0.5 and zw > 0.5 * fw, geo
        def left_pixels():
            return d.execute_script(f"""var i = {imgs}[0], c = document.createElement('canvas'); c.width = i.naturalWidth; c.height = i.naturalHeight;
                c.getContext('2d').drawImage(i, 0, 0); return c.toDataURL();""")
        info = lambda: d.execute_script('var b = Array.from(document.querySelectorAll(".jp-OutputArea-output .widget-html b")).map(function (e) { return e.textContent; }); return b.join("|")')
        before, text = left_pixels(), info()
        assert 'frame 1 of 24' in text, text
        # the slider, as a reader moves it: focus its handle and press the right arrow three times
        from selenium.webdriver.common.keys import Keys
        handle = d.find_element('css selector', '.jp-OutputArea-output .widget-slider .noUi-handle')
        handle.click()
        for _ in range(3): handle.send_keys(Keys.ARROW_RIGHT)
        wait_for(lambda: 'frame 1 of' not in info(), timeout=30, what='the frame number to follow the slider')
        wait_for(lambda: left_pixels() != before, timeout=30, what='the frame shown to change')
        readout = lambda: d.execute_script('var r = document.querySelector(".jp-OutputArea-output .widget-slider .widget-readout"); return r && (r.value || r.textContent)')
        wait_for(lambda: readout() == '4', timeout=30, what='the slider to reach frame 4')
        wait_for(lambda: 'frame 4 of 24' in info(), timeout=30, what='the kernel to show frame 4 (slider and frame number agree)')
        errors = [e for e in console_errors(d) if 'favicon' not in e]
        assert not [e for e in errors if 'widget' in e.lower() or 'avface' in e.lower() or 'Uncaught' in e], errors
        if os.environ.get('AVFACE_SCREENSHOTS'):
            Path(os.environ['AVFACE_SCREENSHOTS']).mkdir(parents=True, exist_ok=True)
            d.save_screenshot(str(Path(os.environ['AVFACE_SCREENSHOTS'])/'jupyterlab_widget.png'))
    finally:
        d.quit()
    assert lab['proc'].poll() is None, 'the server is still the one this test started'
