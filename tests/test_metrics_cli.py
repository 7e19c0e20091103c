"End-to-end `avface metrics`: a real clip against a compressed copy (JSON), and the bad-input cases (one line, exit 2)."
import json, subprocess
import numpy as np
import pytest
from conftest import avface_bin

def run(*args):
    return subprocess.run([avface_bin(), 'metrics', *map(str, args)], capture_output=True, text=True)

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
    if isinstance(res['c30']['lpips_alex'], float):
        assert res['ref']['lpips_alex'] == 0 and res['c30']['lpips_alex'] < res['c45']['lpips_alex']
    else: assert res['c30']['lpips_alex'].startswith('n/a (no ')
    assert res['c30']['fvd'].startswith('n/a (no I3D weights')

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
