"""End-to-end `avface metrics`: a real clip against compressed copies (JSON), LPIPS-alex of a clip against itself and
against a degraded copy, LPIPS as `n/a (reason)` exactly when `avface_nb.weights` reports its weights missing (a failure
under AVFACE_REQUIRE_WEIGHTS=1), and the bad-input cases (one line, exit 2)."""
import json, math, os, subprocess
from unittest import mock
import numpy as np
import pytest
from conftest import avface_bin

def run(*args, env=None):
    return subprocess.run([avface_bin(), 'metrics', *map(str, args)], capture_output=True, text=True, env=env)

def run_json(*args, env=None) -> dict:
    r = run(*args, '--json', env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)

LPIPS_FILES = ('alexnet', 'lpips_alex')          # what LPIPS-alex loads, in this order

def lpips_na() -> str|None:
    """None when `avface_nb.weights` reports LPIPS-alex's weights installed; else the exact `n/a (reason)` the CLI must
    print for it (the first missing file's status). Under AVFACE_REQUIRE_WEIGHTS=1 missing weights raise (test fails)."""
    from avface_nb.weights import require_weights
    from avface_nb.weights import weights_status
    if require_weights('avface metrics: LPIPS-alex', list(LPIPS_FILES)): return None
    st = weights_status()
    return next(st[n] for n in LPIPS_FILES if st[n].startswith('n/a'))

def is_number(v) -> bool: return isinstance(v, float) and math.isfinite(v)

def one_line_error(r, *words):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    for w in words: assert w in lines[0], (w, lines[0])

@pytest.fixture(scope='module')
def pair(real_dir, tmp_path_factory):
    from avface_nb.io import read_video, write_video
    d = tmp_path_factory.mktemp('metrics')
    v = read_video(sorted(real_dir.glob('pcavs_*.mp4'))[0], max_frames=8)
    for name, crf in [('ref', 10), ('c30', 30), ('c45', 45)]:
        write_video(d/f'{name}.mp4', v.frames, v.fps, v.audio, crf=crf)
    write_video(d/'short.mp4', v.frames[:5], v.fps, crf=10)
    write_video(d/'small.mp4', v.frames[:, :128, :128], v.fps, crf=10)
    return d

def test_metrics_json_ordering(pair):
    ms = 'psnr,ssim,ms_ssim,msrl,lpips_alex,fvd'
    res = {}
    for q in ('ref', 'c30', 'c45'):
        r = run(pair/f'{q}.mp4', pair/'ref.mp4', '--metrics', ms, '--json')
        assert r.returncode == 0, r.stderr[-2000:]
        res[q] = json.loads(r.stdout)
    assert res['ref']['psnr'] == 'inf' and res['ref']['msrl'] == 'inf' and abs(res['ref']['ssim'] - 1) < 1e-9
    assert res['c30']['psnr'] > res['c45']['psnr'] and res['c30']['ssim'] > res['c45']['ssim']
    assert res['c30']['ms_ssim'] > res['c45']['ms_ssim'] and res['c30']['msrl'] > res['c45']['msrl']
    lp, na = {q: res[q]['lpips_alex'] for q in res}, lpips_na()
    if na is None:
        # measured on pcavs_00015 (8 frames): itself 0.0, CRF 30 0.0253, CRF 45 0.1605 (6.3x); bounds leave ~3x room
        assert all(is_number(v) for v in lp.values()), lp
        assert lp['ref'] < 1e-6 and 0.005 < lp['c30'] < 0.08 and 0.08 < lp['c45'] < 0.4 and lp['c45'] > 3 * lp['c30'], lp
    else: assert set(lp.values()) == {na}, (lp, na)                    # n/a only when missing, with the reason
    assert res['c30']['fvd'].startswith('n/a (no I3D weights')

@pytest.fixture(scope='module')
def astro(tmp_path_factory):
    "8 frames of a moving 128-px crop of skimage's astronaut (no real clips needed): CRF 10, and blurred (σ=1) at CRF 35."
    import cv2, skimage.data
    from avface_nb.io import write_video
    d = tmp_path_factory.mktemp('astro')
    a = skimage.data.astronaut()
    fr = np.stack([cv2.resize(a[20 + 2 * t:276 + 2 * t, 100 + t:356 + t], (128, 128), interpolation=cv2.INTER_AREA) for t in range(8)])
    write_video(d/'ref.mp4', fr, 25, crf=10)
    write_video(d/'deg.mp4', np.stack([cv2.GaussianBlur(f, (0, 0), 1.0) for f in fr]), 25, crf=35)
    return d

def test_lpips_self_zero_degraded_larger(astro):
    "LPIPS-alex of a clip against itself is 0 and against a blurred, compressed copy clearly larger (or both the same n/a)."
    same = run_json(astro/'ref.mp4', astro/'ref.mp4', '--metrics', 'psnr,lpips_alex')
    deg = run_json(astro/'deg.mp4', astro/'ref.mp4', '--metrics', 'psnr,lpips_alex')
    assert same['psnr'] == 'inf' and is_number(deg['psnr']) and deg['psnr'] < 30, deg   # measured 23.9 dB
    na = lpips_na()
    if na is None:
        # measured: itself 0.0, blur σ=1 + CRF 35 0.216 (σ=2: 0.373)
        assert is_number(same['lpips_alex']) and is_number(deg['lpips_alex']), (same, deg)
        assert abs(same['lpips_alex']) < 1e-6 and 0.1 < deg['lpips_alex'] < 0.5, (same, deg)
    else: assert same['lpips_alex'] == deg['lpips_alex'] == na, (same, deg, na)

def test_lpips_missing_weights_is_na_with_reason(astro, tmp_path):
    "With an empty weights folder the CLI still exits 0, PSNR is a number, and LPIPS is `n/a` naming the missing file."
    env = dict(os.environ, AVFACE_WEIGHTS=str(tmp_path/'no-weights'))
    with mock.patch.dict(os.environ, env):
        from avface_nb.weights import weights_status
        want = weights_status()['alexnet']
    assert want.startswith('n/a (no alexnet weights (') and str(tmp_path/'no-weights'/'alexnet.pt') in want, want
    r = run_json(astro/'deg.mp4', astro/'ref.mp4', '--metrics', 'psnr,lpips_alex', env=env)
    assert is_number(r['psnr']) and r['lpips_alex'] == want, r

def test_metrics_table(pair):
    r = run(pair/'c30.mp4', pair/'ref.mp4', '--metrics', 'psnr,ssim_mouth,tlme')
    assert r.returncode == 0, r.stderr[-2000:]
    assert 'PSNR' in r.stdout and 'SSIM(mouth)' in r.stdout and 'TLME' in r.stdout

def test_metrics_bad_inputs(pair, tmp_path):
    one_line_error(run(pair/'ref.mp4', pair/'short.mp4', '--metrics', 'psnr'), 'has 8 frames', 'short.mp4')
    one_line_error(run(pair/'small.mp4', pair/'ref.mp4', '--metrics', 'psnr'), 'frame size 128x128 differs')
    one_line_error(run(tmp_path/'missing.mp4', pair/'ref.mp4'), 'missing.mp4', 'no such file')
    (tmp_path/'junk.mp4').write_bytes(b'not a video')
    one_line_error(run(tmp_path/'junk.mp4', pair/'ref.mp4'), 'junk.mp4')
    r = run(pair/'ref.mp4', pair/'ref.mp4', '--metrics', 'psnr,bogus')
    assert r.returncode == 2 and 'unknown metrics' in r.stderr
