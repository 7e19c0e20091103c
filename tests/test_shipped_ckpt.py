"""The shipped small-scale AVFR checkpoint (`checkpoints/avfr_synth_small.pt`, trained on the built-in synthetic corpus)
works out of the box: a synthetic speaker it never saw (`avface synth --seed 7`) → `avface degrade --preset avfr` →
`avface restore --ckpt` keeps frame count, fps, size and the audio, and the restored face is closer to the clean one
than the degraded input under LPIPS (the figure is printed with PSNR beside it)."""
import os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest
from conftest import avface_bin

ROOT = Path(__file__).resolve().parents[1]
CKPT = ROOT/'checkpoints'/'avfr_synth_small.pt'
ENV = dict(os.environ, OMP_NUM_THREADS='2')

def run(*args):
    r = subprocess.run([avface_bin(), *map(str, args)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return r.stdout

@pytest.fixture(scope='module')
def restored(tmp_path_factory):
    if not CKPT.exists(): pytest.skip(f'{CKPT} is absent (make reproduce at small scale writes it)')
    d = tmp_path_factory.mktemp('shipped')
    run('synth', d/'synth', '--speakers', 1, '--clips', 1, '--seconds', 2, '--size', 128, '--seed', 7, '--quiet')
    hq = next((d/'synth').rglob('*.mp4'))
    run('degrade', hq, d/'lq.mp4', '--preset', 'avfr', '--seed', 42)
    out = run('restore', d/'lq.mp4', d/'restored.mp4', '--ckpt', CKPT, '--no-progress')
    return hq, d/'lq.mp4', d/'restored.mp4', out

def test_shipped_restore_keeps_frames_fps_audio(restored):
    from avface_nb import io as IO
    hq, lq, out, _ = restored
    a, b = IO.read_video(lq), IO.read_video(out)
    assert (b.n, b.fps, b.frames.shape) == (a.n, a.fps, a.frames.shape)
    assert b.audio is not None and abs(len(b.audio) / b.sr - len(a.audio) / a.sr) < 0.07
    assert np.abs(b.frames.astype(int) - a.frames).mean() > 1          # the model changed the face

def test_shipped_restore_lowers_lpips(restored):
    from avface_nb import io as IO, face as F
    from avface_nb.metrics import evaluate_pair
    hq, lq, out, _ = restored
    H, L, R = (IO.read_video(p, audio=False).frames for p in (hq, lq, out))
    box = F.track_faces(H).boxes.mean(0).round().astype(int)            # the face region (x0, y0, x1, y1)
    crop = lambda v: v[:, max(box[1], 0):box[3], max(box[0], 0):box[2]]
    m = {k: evaluate_pair(crop(v), crop(H), metrics=['psnr', 'lpips_alex'], as_dict=True) for k, v in (('lq', L), ('restored', R))}
    print('face box', box, m)
    assert m['restored']['lpips_alex'] < m['lq']['lpips_alex']
