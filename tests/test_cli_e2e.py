"End-to-end runs of the `avface` console script: the real clips, and every bad-input case (one line, exit 2, nothing written)."
import json, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from conftest import avface_bin

def run(*args, cwd=None):
    return subprocess.run([avface_bin(), *map(str, args)], capture_output=True, text=True, cwd=cwd)

def one_line_error(r, *words):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr          # one line, no traceback
    for w in words: assert w in lines[0], (w, lines[0])

def test_help_lists_commands():
    r = run()
    assert r.returncode == 0 and all(c in r.stdout for c in ('prepare', 'degrade', 'features', 'bench'))

def test_prepare_real_clips(real_dir, tmp_path):
    "All 11 shared clips: prepare succeeds, face in ≥95% of frames, one MFCC window per frame."
    out = tmp_path/'prepared'
    r = run('prepare', real_dir, out, '--size', 128)
    assert r.returncode == 0, r.stderr[-3000:]
    idx = json.loads((out/'index.json').read_text())
    assert idx['n_clips'] == len([p for p in real_dir.iterdir() if p.suffix in ('.mp4', '.mpg')])
    for m in idx['clips']:
        assert m['face_found_rate'] >= 0.95, m
        assert m['mfcc_windows'] == m['n_frames'], m
        assert abs(m['audio_seconds'] - m['n_frames'] / m['fps']) < 0.1, m
        assert np.load(out/'clips'/m['clip_id']/'hq.npy', mmap_mode='r').shape == (m['n_frames'], 128, 128, 3)
    sp = json.loads((out/'split.json').read_text())
    assert not set(sp['train']) & set(sp['test']) and len(sp['train']) + len(sp['test']) == idx['n_clips']
    print(f"prepared {idx['n_frames']} frames in {idx['seconds']:.1f} s")

@pytest.fixture
def bad_inputs(tmp_path):
    from avface_nb.io import write_video
    d = tmp_path
    (d/'notvideo.mp4').write_text('not a video at all')
    t = np.arange(10)[:, None, None, None]
    stripes = np.broadcast_to((t * 20 + np.arange(64)[None, :, None, None]) % 255, (10, 64, 64, 3)).astype(np.uint8)
    write_video(d/'noface.mp4', stripes, 25, np.zeros(10 * 640, np.float32))
    return d

def _nothing_written(d, before):
    assert sorted(p.name for p in d.iterdir()) == before

def test_bad_not_a_video(bad_inputs):
    d = bad_inputs; before = sorted(p.name for p in d.iterdir())
    one_line_error(run('prepare', d/'notvideo.mp4', d/'out'), 'notvideo.mp4', 'not a readable video')
    one_line_error(run('degrade', d/'notvideo.mp4', d/'out.mp4', '--preset', 'gavn_crf45'), 'notvideo.mp4', 'not a readable video')
    one_line_error(run('features', d/'notvideo.mp4', d/'out.npz'), 'notvideo.mp4', 'not a readable video')
    _nothing_written(d, before)

def test_bad_no_face(bad_inputs):
    d = bad_inputs; before = sorted(p.name for p in d.iterdir())
    one_line_error(run('prepare', d/'noface.mp4', d/'out'), 'noface.mp4', 'no face found in any of the 10 frames')
    _nothing_written(d, before)

def test_bad_output_is_input(bad_inputs):
    d = bad_inputs; before = sorted(p.name for p in d.iterdir())
    one_line_error(run('degrade', d/'noface.mp4', d/'noface.mp4', '--preset', 'gavn_crf45'), 'noface.mp4', 'refusing to overwrite')
    one_line_error(run('prepare', d, d), 'refusing to overwrite')
    _nothing_written(d, before)

def test_bad_silent_and_short(real_dir, tmp_path):
    from avface_nb.io import read_video, write_video
    clip = sorted(real_dir.glob('pcavs_*.mp4'))[0]
    v = read_video(clip, max_frames=12)
    write_video(tmp_path/'silent.mp4', v.frames, v.fps)
    write_video(tmp_path/'short.mp4', v.frames[:3], v.fps, v.audio[:3 * 640])
    before = sorted(p.name for p in tmp_path.iterdir())
    one_line_error(run('prepare', tmp_path/'silent.mp4', tmp_path/'o'), 'silent.mp4', 'no audio track', '--allow-silent')
    one_line_error(run('prepare', tmp_path/'short.mp4', tmp_path/'o'), 'short.mp4', 'shorter than the temporal window')
    one_line_error(run('features', tmp_path/'silent.mp4', tmp_path/'f.npz'), 'silent.mp4', 'no audio')
    _nothing_written(tmp_path, before)
    r = run('prepare', tmp_path/'silent.mp4', tmp_path/'o', '--allow-silent', '--size', 64)
    assert r.returncode == 0 and 'no audio track' in r.stderr and 'silence' in r.stderr
    assert json.loads((tmp_path/'o'/'index.json').read_text())['clips'][0]['silent_audio']

def test_degrade_keeps_audio_and_frames(real_dir, tmp_path):
    from avface_nb.io import read_video
    clip = sorted(real_dir.glob('grid_*.mpg'))[0]
    r = run('degrade', clip, tmp_path/'lq.mp4', '--preset', 'vfhq', '--seed', 42)
    assert r.returncode == 0, r.stderr
    a, b = read_video(clip), read_video(tmp_path/'lq.mp4')
    assert b.n == a.n and b.fps == a.fps and b.frames.shape == a.frames.shape and b.has_audio
    assert abs(len(b.audio) - len(a.audio)) < 0.05 * 16000

def test_features_cli(real_dir, tmp_path):
    clip = sorted(real_dir.glob('pcavs_*.mp4'))[1]
    r = run('features', clip, tmp_path/'f.npz', '--size', 128, '--K', 5)
    assert r.returncode == 0, r.stderr
    z = np.load(tmp_path/'f.npz')
    from avface_nb.io import probe
    keys = set(z.files)
    T = next(z[k].shape[0] for k in keys if 'window' in k)
    fh = next(z[k] for k in keys if 'hog' in k)
    assert fh.shape[1:] == (32, 32, 31) and fh.shape[0] == T

def test_bench_prints_figures(real_dir):
    clip = sorted(real_dir.glob('pcavs_*.mp4'))[1]
    r = run('bench', '--clip', clip, '--only', 'decode,detect,mfcc')
    assert r.returncode == 0, r.stderr
    for key in ('decode_fps', 'per_frame_fps', 'tracked_fps', 'mean_iou', 'rtf'): assert key in r.stdout, key
