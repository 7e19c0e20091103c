"""`avface restore` says when it cannot help (issue 19): one warning, printed once on stderr and recorded as `warning` in
the result, when the model's crop is less than half the face's crop square in the video, or when the model was trained
on synthetic faces only and the video is not from the synthetic corpus; none for a synthetic clip and a model that fits it.

On a few frames of the shared real clips (`../shared/data/real`) with the two committed small checkpoints (64-px crops):
`checkpoints/avfr_synth_small.pt` (trained on the synthetic corpus) and `checkpoints/avfr_real_small.pt` (on the real
clips). Face crop squares measured on the first frames: pcavs_00067 189 px, grid_lbax4n 211 px (both > 2 × 64), and
pcavs_00067 scaled to 112 × 112 about 95 px (< 2 × 64)."""
import json, os, subprocess
from pathlib import Path
import numpy as np
import pytest
import torch
from conftest import avface_bin, need_real
from avface_nb.core import real_clips
from avface_nb import io as IO

ROOT = Path(__file__).resolve().parents[1]
SYNTH_CK, REAL_CK = ROOT/'checkpoints'/'avfr_synth_small.pt', ROOT/'checkpoints'/'avfr_real_small.pt'
FRAMES = 6                                       # ≥ AVFR's window of 5

@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)

def ckpt(path):
    if not path.exists(): pytest.skip(f'{path} is absent (make reproduce at small scale writes it)')
    return path

def real_clip(name, dest, scale=None):
    "The first FRAMES frames of a shared real clip with their audio, as an mp4 (frames resized to `scale` px square when given)."
    need_real('restore warnings on real clips')
    src = [p for p in real_clips() if p.name == name]
    if not src: pytest.skip(f'{name} is not among the real clips')
    v = IO.read_video(src[0], max_frames=FRAMES)
    x = v.frames
    if scale:
        import cv2
        x = np.stack([cv2.resize(f, (scale, scale), interpolation=cv2.INTER_AREA) for f in x])
    IO.write_video(dest, x, v.fps, v.audio[:round(FRAMES / v.fps * v.sr)], v.sr)
    return dest

def warning_lines(stderr: str) -> list[str]:
    return [l for l in stderr.splitlines() if l.startswith('warning:')]

def restore(inp, out, ck, capsys):
    "`restore_video` in this process: (result, stderr)."
    from avface_nb.restore import restore_video
    capsys.readouterr()
    r = restore_video(inp, out, ck, progress=False, preset='ultrafast')
    return r, capsys.readouterr().err

def test_console_script_synthetic_model_on_real_clip(tmp_path):
    "The console script, synthetic 64-px model on a real 224-px clip: exactly one warning line naming both reasons and the options."
    ck, inp = ckpt(SYNTH_CK), real_clip('pcavs_00067.mp4', tmp_path/'in.mp4')
    p = subprocess.run([avface_bin(), 'restore', inp, tmp_path/'out.mp4', '--ckpt', ck, '--no-progress', '--threads', '1', '--json'],
                       capture_output=True, text=True, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert p.returncode == 0, p.stderr[-3000:]
    r = json.loads(p.stdout)
    ws = warning_lines(p.stderr)
    assert len(ws) == 1 and ws[0] == f"warning: {inp}: {r['warning']}", p.stderr
    w = r['warning']
    print(w)
    assert r['crop_size'] == 64 and r['face_px'] > 2 * 64, (r['crop_size'], r['face_px'])
    assert f"about {r['face_px']:.0f} px in the video" in w and 'at 64 px' in w, w                 # reason (i), with the sizes
    assert 'trained on synthetic faces only' in w and 'synth' in w.split('faces only (')[1], w   # reason (ii), naming its corpus
    assert str(ROOT) not in w and str(ROOT.resolve()) not in w, w                                  # the corpus as the reader sees it
    for option in ('on real clips', f"at least {int(np.ceil(r['face_px'] / 2))} px", 'avface prepare', '--size 256',
                   'avface train avfr_paper ', '--method none'):
        assert option in w, (option, w)

def test_real_model_on_large_real_face_warns_scale_only(tmp_path, capsys):
    "A model trained on real clips at 64 px on GRID (face crop square ≈ 211 px): the scale warning alone."
    r, err = restore(real_clip('grid_lbax4n.mpg', tmp_path/'in.mp4'), tmp_path/'out.mp4', ckpt(REAL_CK), capsys)
    w = r['warning']
    assert w and r['face_px'] > 2 * 64 and 'at 64 px' in w and 'synthetic' not in w and 'on real clips' not in w, (r['face_px'], w)
    assert 'avface train avfr_paper ' in w and '--method none' in w, w
    assert warning_lines(err) == [f"warning: {tmp_path/'in.mp4'}: {w}"], err

def test_synthetic_model_on_small_real_face_warns_corpus_only(tmp_path, capsys):
    "The synthetic model on a real clip scaled to 112 px (face crop square < 128 px): the training-corpus warning alone."
    r, err = restore(real_clip('pcavs_00067.mp4', tmp_path/'in.mp4', scale=112), tmp_path/'out.mp4', ckpt(SYNTH_CK), capsys)
    w = r['warning']
    assert w and r['face_px'] <= 2 * 64 and 'trained on synthetic faces only' in w and 'px in the video' not in w, (r['face_px'], w)
    assert 'on real clips' in w and 'avface prepare YOUR_VIDEOS DIR`' in w and '--method none' in w, w
    assert len(warning_lines(err)) == 1, err

def test_real_model_fitting_real_face_no_warning(tmp_path, capsys):
    "Control: the real-trained 64-px model on the same 112-px real clip has nothing to warn about."
    r, err = restore(real_clip('pcavs_00067.mp4', tmp_path/'in.mp4', scale=112), tmp_path/'out.mp4', ckpt(REAL_CK), capsys)
    assert r['warning'] is None and r['face_px'] <= 2 * 64 and warning_lines(err) == [], (r['face_px'], r['warning'], err)

def test_synthetic_clip_matching_model_no_warning(tmp_path, capsys):
    "A clip of the synthetic corpus (128 px, as the small corpus) and the synthetic 64-px model: no warning; the same frames without their sidecar are not known to be synthetic."
    from avface_nb import synth as SY
    mp4, _ = SY.write_clip(SY.synth_clip(SY.make_speaker(7, 0), 0, seed=7, seconds=FRAMES / 25, size=128), tmp_path/'spk000')
    r, err = restore(mp4, tmp_path/'out.mp4', ckpt(SYNTH_CK), capsys)
    assert r['warning'] is None and r['face_px'] <= 2 * 64 and warning_lines(err) == [], (r['face_px'], r['warning'], err)
    bare = tmp_path/'bare.mp4'; bare.write_bytes(mp4.read_bytes())
    r, err = restore(bare, tmp_path/'out2.mp4', SYNTH_CK, capsys)
    assert r['warning'] and 'trained on synthetic faces only' in r['warning'] and len(warning_lines(err)) == 1, (r['warning'], err)

def test_restore_frames_records_the_warning(tmp_path, capsys):
    "The array API: the same warning in info, printed once; `synthetic=True` leaves only the scale reason; `warn=False` prints nothing."
    from avface_nb.restore import build_restorer, restore_frames
    real_clip('pcavs_00067.mp4', tmp_path/'in.mp4')
    v = IO.read_video(tmp_path/'in.mp4')
    R = build_restorer(None, ckpt(SYNTH_CK))
    assert R.info['trained_on']['faces'] == 'synthetic' and R.size == 64, R.info
    capsys.readouterr()
    _, info = restore_frames(v.frames, v.audio, v.fps, R, name='clip')
    err = capsys.readouterr().err
    assert err == f"warning: clip: {info['warning']}\n", err
    assert 'trained on synthetic faces only' in info['warning'] and 'px in the video' in info['warning'], info['warning']
    _, info = restore_frames(v.frames, v.audio, v.fps, R, synthetic=True, warn=False)
    assert capsys.readouterr().err == '' and 'synthetic' not in info['warning'] and 'px in the video' in info['warning'], info['warning']
