"""The comparison viewer as a reader uses it, in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`, which `.ci/run` installs) driven by Selenium.

The pages: a report rendered now at smoke scale by this checkout; each committed report's embedded content shown in
this checkout's viewer; each committed page as it is, once rendered by this checkout (older renders are skipped, with
the reason); a generated clip with frame loss. Each page is opened from disk with every network request sent to a dead
proxy (so a script fetched from a CDN would fail in the console, as it does for a reader offline). On it the test drags
the divider, nudges it with Shift+arrow, scrubs, plays and pauses, switches the right-hand method, swaps the sides with
S, toggles the mouth zoom, changes the size and steps onto a repeated (frame-loss) frame, and asserts what each must
change on the canvases (read back as pixels) and what it must leave alone; at the end the browser console holds no
error. Without Chromium the tests skip visibly; under AVFACE_REQUIRE_BROWSER=1 (CI) they fail instead.

Screenshots: AVFACE_SCREENSHOTS=DIR saves each page at its default size and after the actions.
"""
import json, os, re, shutil, time
from pathlib import Path
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
REPORTS = sorted(p for p in (ROOT/'reports'/'html').glob('*.html') if 'class="avcmp"' in p.read_text(errors='replace'))


def _exe(name, *fallbacks):
    for n in (name, *fallbacks):
        p = shutil.which(n) or (n if Path(n).is_file() else None)
        if p: return p
    return None

CURRENT_VERSION = 2   # avface_nb.viz.comparison_data's data version: consecutive frames, repeats

CHROMIUM = _exe('chromium', '/usr/bin/chromium', 'chromium-browser')
DRIVER = _exe('chromedriver', '/usr/bin/chromedriver')


def viewer_data(html: str) -> dict:
    "The data of the (first) viewer in a page or script: the JSON literal `var D = ...;` (Python reads its Infinity/NaN)."
    return json.loads(re.search(r'var D = (\{.*?\});\n', html, re.S)[1])


def current_render(html: str) -> bool:
    "Whether a page was rendered by this checkout's report export and viewer (no CDN script, viewer data version 2)."
    return not re.findall(r'<script[^>]*\bsrc=', html) and viewer_data(html)['version'] >= CURRENT_VERSION


def need_browser():
    "Skip visibly when headless Chromium, its driver or Selenium is absent; fail instead under AVFACE_REQUIRE_BROWSER=1."
    missing = [n for n, p in (('chromium', CHROMIUM), ('chromedriver', DRIVER)) if p is None]
    try: import selenium  # noqa: F401
    except ImportError: missing.append('selenium (requirements.txt)')
    if missing:
        msg = f'browser test: {", ".join(missing)} absent (apt-get install chromium chromium-driver, as .ci/run does)'
        if os.environ.get('AVFACE_REQUIRE_BROWSER') == '1': pytest.fail(msg)
        pytest.skip(msg)


def make_driver(width=1400, height=1000):
    "Headless Chromium with its console log kept and every request beyond this machine sent to a dead proxy (offline; loopback goes direct)."
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    o = webdriver.ChromeOptions()
    o.binary_location = CHROMIUM
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run',
              '--disable-extensions', '--disable-background-networking', f'--window-size={width},{height}',
              '--proxy-server=http://127.0.0.1:9'):
        o.add_argument(a)
    o.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
    return webdriver.Chrome(service=Service(DRIVER), options=o)


@pytest.fixture(scope='module')
def driver():
    need_browser()
    d = make_driver()
    yield d
    d.quit()


def console_errors(d) -> list[str]:
    "The console's errors since the last call (failed loads, uncaught exceptions, console.error)."
    return [e['message'] for e in d.get_log('browser') if e['level'] == 'SEVERE']


def wait_for(fn, timeout=10.0, what='condition'):
    t0 = time.time()
    while time.time() - t0 < timeout:
        v = fn()
        if v: return v
        time.sleep(0.05)
    raise AssertionError(f'timed out after {timeout} s waiting for {what}')


class Viewer:
    "One viewer on the page, read and driven through its element ids."
    def __init__(self, d, uid):
        self.d, self.uid = d, uid
        self.data = self._data()

    def _data(self):
        src = self.d.execute_script('return document.getElementById(arguments[0]).querySelector("script").textContent', self.uid)
        return viewer_data(src)

    def el(self, s): return self.d.find_element('id', self.uid + s)
    def js(self, code, *a): return self.d.execute_script(code, *a)

    def pixels(self, s) -> str:
        "The canvas's pixels (as a PNG data URL): equal strings, equal pictures."
        return self.js('return document.getElementById(arguments[0]).toDataURL()', self.uid + s)

    def canvases(self): return {s: self.pixels(s) for s in ('-main', '-zoomA', '-zoomB')}

    def drawn(self) -> bool:
        "Both sides of the main view hold opaque pixels (the frames have loaded and been drawn)."
        return self.js("""var c = document.getElementById(arguments[0]), x = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            var w = c.width, h = c.height, y = Math.floor(h / 2);
            return x[(y * w + 1) * 4 + 3] > 0 && x[(y * w + w - 2) * 4 + 3] > 0;""", self.uid + '-main')

    def box(self, s):
        return self.js('var r = document.getElementById(arguments[0]).getBoundingClientRect(); return [r.left, r.top, r.width, r.height];', self.uid + s)

    def style(self, s, prop): return self.js('return getComputedStyle(document.getElementById(arguments[0]))[arguments[1]]', self.uid + s, prop)
    def label(self): return self.el('-label').text
    def frame(self): return int(self.el('-frame').get_attribute('value'))

    def keys(self, *keys, shift=False):
        from selenium.webdriver.common.action_chains import ActionChains
        from selenium.webdriver.common.keys import Keys
        self.js('document.getElementById(arguments[0]).focus()', self.uid)
        a = ActionChains(self.d)
        if shift: a = a.key_down(Keys.SHIFT)
        for k in keys: a = a.send_keys(k)
        if shift: a = a.key_up(Keys.SHIFT)
        a.perform()

    def select(self, s, value):
        from selenium.webdriver.support.ui import Select
        Select(self.el(s)).select_by_value(value)


def open_viewer(d, page: Path) -> Viewer:
    console_errors(d)                                   # drop what an earlier page left
    d.get(page.resolve().as_uri())
    uid = wait_for(lambda: d.execute_script('var v = document.querySelector(".avcmp"); return v && v.id'), what='a viewer')
    v = Viewer(d, uid)
    d.execute_script('arguments[0].scrollIntoView()', v.el(''))
    wait_for(v.drawn, what='the first frames drawn')
    return v


def shot(d, name):
    out = os.environ.get('AVFACE_SCREENSHOTS')
    if out: Path(out).mkdir(parents=True, exist_ok=True); d.save_screenshot(str(Path(out)/f'{name}.png'))


def drive(d, v: Viewer, name: str, consecutive: bool=True):
    """Every action a reader has, each with what it must change and what it must leave alone; then a clean console.
    `consecutive`: the page embeds consecutive frames (pages rendered by this checkout)."""
    from selenium.webdriver.common.action_chains import ActionChains
    D, W, H = v.data, v.data['width'], v.data['height']
    n, methods = len(D['frame_index']), D['methods']
    assert console_errors(d) == [], 'console errors on load'
    shot(d, f'{name}_default')

    # shown large and sharp: a whole factor, at least 256 CSS px, pixelated; the scrubber at least 300 px
    k = int(v.el('').get_attribute('data-scale'))
    x, y, w, h = v.box('-main')
    assert round(w) == W * k + 2 and max(w, h) >= 256 + 2, (w, h, W, k)          # + the 1-px border
    assert v.style('-main', 'imageRendering') == 'pixelated'
    assert v.box('-frame')[2] >= 300
    assert v.box('-names')[3] == 18 and v.box('-zanames')[3] == 18
    if consecutive:
        assert n >= min(48, D['n_frames']) and D['frame_index'] == list(range(D['frame_index'][0], D['frame_index'][0] + n)), 'consecutive frames'
    left, right = v.el('-left').get_attribute('value'), v.el('-right').get_attribute('value')
    assert left != right and right != D.get('reference'), (left, right)

    # the divider: dragging it to 80 % changes the main view and leaves both mouth panels alone
    c0 = v.canvases()
    main = v.el('-main')
    ActionChains(d).move_to_element_with_offset(main, 0, 0).click_and_hold().move_by_offset(int(0.3 * w), 0).release().perform()
    c1 = v.canvases()
    assert c1['-main'] != c0['-main'], 'dragging the divider changes the main view'
    assert (c1['-zoomA'], c1['-zoomB']) == (c0['-zoomA'], c0['-zoomB']), 'the mouth panels do not follow the divider'
    assert abs(v.box('-divider')[0] - (x + 0.8 * w)) < 0.05 * w, 'the divider line sits where it was dropped'
    v.keys('\ue012', shift=True)                                                  # Shift+ArrowLeft
    assert v.pixels('-main') != c1['-main'], 'Shift+ArrowLeft moves the divider'
    assert v.frame() == 0

    def moved(before, after, i0, i1, what):
        """From shown frame i0 to i1: a side whose embedded frame (and mouth box) is the same keeps its mouth panel's pixels; where a
        frame differs the main view and (at least one of) the differing sides' mouth panels change."""
        diff = {z: D['frames'][m][i0] != D['frames'][m][i1] for z, m in (('-zoomA', v.el('-left').get_attribute('value')),
                                                                        ('-zoomB', v.el('-right').get_attribute('value')))}
        same_box = not D.get('mouth_boxes') or D['mouth_boxes'][i0] == D['mouth_boxes'][i1]
        for z, dz in diff.items():
            if not dz and same_box: assert after[z] == before[z], f'{what}: {z} shows the same frame and mouth box, its pixels stay'
        if any(diff.values()):
            assert after['-main'] != before['-main'], f'{what}: the main view shows another frame'
            assert any(after[z] != before[z] for z, dz in diff.items() if dz), f'{what}: the mouth panels show another frame'
        return diff

    # scrubbing to about 60 %: another frame in the canvases, and the label says which
    c1 = v.canvases()
    lab = v.label()
    s = v.el('-frame')
    ActionChains(d).move_to_element_with_offset(s, int(0.1 * v.box('-frame')[2]), 0).click().perform()
    i = v.frame()
    assert i > 0 and v.label() != lab and v.label().startswith(f'frame {D["frame_index"][i] + 1} of {D["n_frames"]}')
    c2 = v.canvases()
    assert any(moved(c1, c2, 0, i, 'scrubbing').values()) or n == 1, 'scrubbed to a frame that differs'

    # Play advances frames by itself; Pause stops it
    v.el('-play').click()
    wait_for(lambda: v.frame() != i, timeout=5, what='Play to advance')
    time.sleep(0.3)
    v.el('-play').click()
    j = v.frame(); time.sleep(0.4)
    assert v.frame() == j != i, 'Pause holds the frame'
    moved(c2, v.canvases(), i, j, 'Play')

    # another right-hand method: the main view and the right mouth change, the left mouth does not
    c3 = v.canvases()
    other = next((m for m in methods if m not in (left, right) and D['frames'][m][j] != D['frames'][right][j]), None)
    if other is not None:
        v.select('-right', other)
        c4 = v.canvases()
        assert c4['-main'] != c3['-main'] and c4['-zoomB'] != c3['-zoomB'] and c4['-zoomA'] == c3['-zoomA']
        assert v.el('-rname').text.startswith(other[:5]) and other in v.el('-zbname').text
        right, c3 = other, c4

    # S swaps the sides: the mouth panels trade pictures exactly
    v.keys('s')
    c5 = v.canvases()
    assert (v.el('-left').get_attribute('value'), v.el('-right').get_attribute('value')) == (right, left)
    assert (c5['-zoomA'], c5['-zoomB']) == (c3['-zoomB'], c3['-zoomA']), 'swapped mouth panels'
    v.el('-swap').click()
    assert v.canvases()['-zoomA'] == c3['-zoomA']

    # the mouth zoom toggles
    if D.get('mouth_boxes'):
        v.el('-zoomon').click()
        assert v.style('-zoomA', 'visibility') == 'hidden' and v.el('-box').value_of_css_property('display') == 'none'
        v.el('-zoomon').click()
        assert v.style('-zoomA', 'visibility') == 'visible'

    # the size menu: x8 makes the main view 8 px per frame pixel and each mouth panel half as tall
    v.select('-scale', '8')
    assert round(v.box('-main')[2]) == 8 * W + 2 and round(v.box('-zoomA')[3]) == 4 * H + 2
    shot(d, f'{name}_x8')
    v.select('-scale', str(k))

    # frame loss: stepping onto a repeated frame of the left method shows its badge; elsewhere it is hidden
    reps = {m: r for m, r in D.get('repeats', {}).items() if r and r[0] > 0}
    if reps:
        m, r = next(iter(reps.items()))
        v.select('-left', m)
        ticks = v.js('return Array.from(document.getElementById(arguments[0]).options).map(function (o) { return +o.value; })', v.uid + '-reps')
        assert set(r) <= set(ticks), 'a scrubber tick at every repeated frame'
        v.js('var s = document.getElementById(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event("input"));', v.uid + '-frame', r[0] - 1)
        assert not v.el('-lrep').is_displayed(), 'no badge on a frame that is not a repeat'
        v.keys('\ue014')                                                          # ArrowRight: onto the repeated frame
        assert v.frame() == r[0] and v.el('-lrep').is_displayed() and 'repeat of frame' in v.el('-lrep').text
        shot(d, f'{name}_repeat')
    assert console_errors(d) == [], 'console errors while driving the viewer'


def synthetic_page(tmp: Path) -> Path:
    "A 60-frame clip of 64-px crops (a pan over a face) whose LQ input loses frames 5, 6 and 11, as a standalone viewer page."
    import cv2
    from skimage import data as skdata
    from avface_nb.viz import comparison_data, save_comparison_html
    img = skdata.astronaut()
    gt = np.stack([cv2.resize(img[40:200, 110 + x:270 + x], (64, 64), interpolation=cv2.INTER_AREA) for x in range(60)])  # a pan
    lq = np.stack([cv2.resize(cv2.resize(f, (16, 16), interpolation=cv2.INTER_AREA), (64, 64), interpolation=cv2.INTER_CUBIC) for f in gt])
    lq[[5, 6, 11]] = lq[[4, 4, 10]]
    blur = np.stack([cv2.GaussianBlur(f, (5, 5), 1.0) for f in gt])
    boxes = np.tile([[22, 34, 42, 46]], (60, 1)).astype(np.float32)
    d = comparison_data({'LQ input': lq, 'a restoration with a long name that must not wrap': blur, 'blur': blur // 2 + 64},
                        reference=gt, mouth_boxes=boxes, stride=1, max_frames=60, title='synthetic 64-px clip')
    return save_comparison_html(tmp/'synthetic.html', d, right='blur')


def test_synthetic_page(driver, tmp_path):
    v = open_viewer(driver, synthetic_page(tmp_path))
    assert v.data['repeats']['LQ input'] == [5, 6, 11]
    drive(driver, v, 'synthetic')


def test_rendered_report(driver, tmp_path):
    """A report rendered now by this checkout (`avface report` at smoke scale, as `make reproduce` renders at small): its
    page loads no script from the network, embeds consecutive frames with the repeats marked, and the viewer works in it."""
    import subprocess, sys
    from avface_nb.experiments import report_list
    names = [r for r in report_list(everything=False) if 'realclips' not in r]        # those that need no shared real clips
    name = '001_table1_2' if '001_table1_2' in names else names[0]                    # the smallest paper-001 comparison
    r = subprocess.run([str(Path(sys.executable).parent/'avface'), 'report', name, '--scale', 'smoke', '--out', str(tmp_path), '--allow-dirty'],
                       cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    page = tmp_path/f'{name}.html'
    html = page.read_text()
    assert current_render(html) and 'repeats' in viewer_data(html), 'rendered by this checkout: offline page, viewer data version 2'
    drive(driver, open_viewer(driver, page), f'{name}_smoke')


@pytest.mark.parametrize('page', REPORTS, ids=[p.stem for p in REPORTS])
def test_report_content(driver, page, tmp_path):
    """Each committed report's viewer content (its embedded restorations of a test clip, its method under study on the
    right) in this checkout's viewer, as the next render of the report will show it."""
    html = page.read_text()
    data, right = viewer_data(html), re.search(r'R0 = "((?:[^"\\]|\\.)*)"', html)[1]
    right = json.loads(f'"{right}"')
    from avface_nb.viz import save_comparison_html
    p = save_comparison_html(tmp_path/f'{page.stem}_content.html', data, title=f'{page.stem}: the committed content in this viewer', right=right)
    v = open_viewer(driver, p)
    assert v.el('-right').get_attribute('value') == right
    drive(driver, v, f'{page.stem}_content', consecutive=data['version'] >= CURRENT_VERSION)


@pytest.mark.parametrize('page', REPORTS, ids=[p.stem for p in REPORTS])
def test_committed_report(driver, page):
    """The committed page itself, as a reader opens it offline. A page rendered before this checkout's export and viewer
    (CDN scripts in its head, viewer data version 1) is skipped with the reason: `make reproduce` re-renders it."""
    html = page.read_text()
    if not current_render(html):
        pytest.skip(f'{page.name} was rendered by an older export/viewer (CDN scripts: {len(re.findall(r"<script[^>]*src=", html))}, '
                    f'viewer data version {viewer_data(html)["version"]}); `make reproduce` re-renders it')
    drive(driver, open_viewer(driver, page), page.stem)


def test_reports_have_viewers():
    assert REPORTS, 'no committed report embeds the comparison viewer'
