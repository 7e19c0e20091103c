"""End-to-end `avface restore`: real clips degraded with the vfhq preset, the identity round trip, frame sizes from
odd to 1080p, the original audio kept (copied or re-encoded), and every bad input (one line, exit 2, nothing written).

Fast by default (3 real clips); AVFACE_SLOW=1 runs all 11 shared clips."""
import contextlib, io, os, subprocess, sys
from pathlib import Path
import numpy as np
import av
import pytest
import torch
from conftest import avface_bin, need_real, outside_inside, audio_match
from avface_nb.core import real_clips
from avface_nb import io as IO, face as F, degrade as D

SLOW = os.environ.get('AVFACE_SLOW') == '1'
CLIPS = real_clips()
FAST = ('grid_bbaf2n.mpg', 'grid_lbax4n.mpg', 'pcavs_00067.mp4')
REAL = [p for p in CLIPS if SLOW or p.name in FAST]
ENV = dict(os.environ, OMP_NUM_THREADS='1')      # tiny models: one thread is faster, and immune to a busy machine

def cli(*args):
    "The console script: (returncode, stdout, stderr)."
    r = subprocess.run([avface_bin(), 'restore', *map(str, args), '--no-progress', '--threads', '1'],
                       capture_output=True, text=True, env=ENV)
    return r.returncode, r.stdout, r.stderr

def cli_inproc(*args):
    "The same command through the dispatcher in this process (no start-up cost)."
    from avface_nb.cli import main
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        rc = main(['restore', *map(str, args), '--no-progress'])
    return rc, out.getvalue(), err.getvalue()

def one_line_error(res, *words):
    rc, out, err = res
    lines = [l for l in err.strip().splitlines() if l.strip()]
    assert rc == 2, (rc, out, err)
    assert len(lines) == 1 and lines[0].startswith('avface restore: error: '), err   # one line, no traceback
    for w in words: assert w in lines[0], (w, lines[0])

def audio_facts(path):
    "(codec, rate, channels, stream seconds, decoded seconds) of the first audio stream, or None."
    with av.open(str(path)) as c:
        if not c.streams.audio: return None
        a = c.streams.audio[0]
        dur = float(a.duration * a.time_base) if a.duration else None
        n = sum(f.samples for f in c.decode(a))
        return a.codec_context.name, a.rate, a.channels, dur, n / a.rate

@pytest.fixture(autouse=True)
def one_thread():
    old = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)

@pytest.fixture(scope='session')
def ckpts(tmp_path_factory):
    "A smoke AVFR checkpoint trained the way a user trains one (toy corpus, both stages, 2 steps each): (stage II, stage I)."
    from avface_nb.train import toy_corpus, resolve_config, train
    d = tmp_path_factory.mktemp('smoke-ckpt')
    torch.set_num_threads(1)
    corpus = toy_corpus(d / 'corpus', speakers=2, clips=1, frames=12, size=32)
    cfg = resolve_config(dict(name='restore-e2e', scale='smoke',
        model=dict(type='avfr', hog_width=4, hog_dim=8, cnn_width=8, tfr_hidden=4,
                   tsvqgan=dict(widths=[4, 8, 8], n_codes=16, dim=8, head_dim=4)),
        data=dict(root=str(corpus), stride=6, degrade='avfr', hog=True),   # AVFR's streams (ClipWindows' defaults are neutral)
        train=dict(steps=2, ckpt_every=2, batch=1, tsvqgan=dict(disc=dict(ndf=4, n_layers=1), loss=dict(perceptual=False)))))
    r = train(cfg, d / 'run', progress=False)
    return Path(r['avfr']['path']), Path(r['tsvqgan']['path'])

# ---------------------------------------------------------------------------------------------- real clips
@pytest.mark.parametrize('clip', REAL or [None], ids=[p.name for p in REAL] or ['absent'])
def test_restore_degraded_real_clip(clip, ckpts, tmp_path):
    "vfhq-degraded real clip → `avface restore --ckpt smoke.pt` (the dispatcher, in process): same frame count, fps, size, audio."
    if clip is None: need_real('restore of vfhq-degraded real clips'); pytest.skip('no real clips when collected')
    v = IO.read_video(clip)
    y, _ = D.apply(v.frames, v.fps, 'vfhq', seed=42, key=clip.stem)
    lq, out = tmp_path / 'lq.mp4', tmp_path / 'restored.mp4'
    IO.write_video(lq, y, v.fps, v.audio, v.sr, crf=D.FINAL_CRF)
    rc, so, se = cli_inproc(lq, out, '--ckpt', ckpts[0])
    assert rc == 0, se[-3000:]
    assert 'audio copied' in so, so
    a, b = IO.read_video(lq), IO.read_video(out)
    assert (b.n, b.fps, b.frames.shape) == (a.n, a.fps, a.frames.shape) == (v.n, v.fps, v.frames.shape)
    fa, fb = audio_facts(lq), audio_facts(out)
    assert fb == fa, (fa, fb)                                   # copied packets: same codec, rate, channels, duration
    assert abs(fb[4] - v.n / v.fps) < 0.1, (fb, v.n / v.fps)
    off, corr = audio_match(a.audio, b.audio, a.sr)                # the decoded track: same samples, not just same facts
    sq = F.track_faces(a.frames, k=5).squares                      # restore's own track (detector every 5th frame)
    out_psnr, in_mad = outside_inside(a.frames, b.frames, sq)
    print(clip.name, f'audio {off * 1000:.0f} ms apart, r={corr:.6f}; background {out_psnr:.1f} dB; face |diff| {in_mad:.2f}')
    # measured on the 3 fast clips: audio 0 ms apart, r = 1.000000 (copied packets); background 44.8-45.4 dB (the CRF-10
    # re-encode); mean |diff| in the face squares 48-63 grey levels (a 2-step smoke model)
    assert off <= 1 / v.fps and corr > 0.999, (off, corr)
    assert out_psnr > 40, out_psnr                                 # only the face squares were changed ...
    assert in_mad > 3, in_mad                                      # ... and they were
    ws = [l for l in se.splitlines() if l.startswith('warning:')]   # a 32-px model of toy faces on a real face: said once
    assert len(ws) == 1 and 'trained on synthetic faces only' in ws[0] and 'px in the video' in ws[0] and '--method none' in ws[0], se
    print(clip.name, so.strip())

def test_restore_keeps_grid_mp2_audio(real_dir, ckpts, tmp_path):
    "The console script on a GRID clip as it is (MPEG-1 + MP2 44.1 kHz stereo): audio re-encoded to AAC 44.1 kHz stereo, same duration."
    clip = real_dir / 'grid_bbaf2n.mpg'
    out = tmp_path / 'grid.mp4'
    rc, so, se = cli(clip, out, '--ckpt', ckpts[0])
    assert rc == 0, se[-3000:]
    assert 're-encoded mp2 44100 Hz 2 ch -> aac 44100 Hz 2 ch' in so, so
    fi, fo = audio_facts(clip), audio_facts(out)
    assert fo[:3] == ('aac', 44100, 2), fo
    assert abs(fo[3] - fi[4]) <= 1024 / 44100, (fi, fo)         # stream duration = decoded input, within one AAC frame
    assert abs(fo[4] - fi[4]) <= 1024 / 44100, (fi, fo)
    a, b = IO.read_video(clip), IO.read_video(out)
    assert (b.n, b.fps, b.frames.shape) == (a.n, a.fps, a.frames.shape)
    off, corr = audio_match(a.audio, b.audio, a.sr)                # decoded at 16 kHz mono: the same sound after AAC
    print(f'{clip.name}: re-encoded audio {off * 1000:.0f} ms apart, r={corr:.5f}')   # measured 17 ms, r = 0.99980
    assert off <= 1 / a.fps and corr > 0.99, (off, corr)

@pytest.mark.parametrize('name', ['pcavs_00067.mp4', 'grid_lbax4n.mpg'])
def test_identity_round_trip(real_dir, tmp_path, name):
    "`--method none` (crop → paste, no model): ≥ 35 dB on the face box against the input."
    from avface_nb.restore import restore_video
    clip = real_dir / name
    r = restore_video(clip, tmp_path / 'id.mp4', method='none', progress=False)
    a, b = IO.read_video(clip, audio=False).frames, IO.read_video(tmp_path / 'id.mp4', audio=False).frames
    ps = F.box_psnr(a, b, F.track_faces(a).boxes)
    print(name, f'identity round trip {ps:.2f} dB on the face box; audio {r["audio"]["mode"]}')
    assert ps >= 35, ps

# ---------------------------------------------------------------------------------------------- frame sizes
def _write_mkv(path, frames, fps, audio, sr):
    "Lossless FFV1 video (any size, odd included) + 16-bit PCM mono audio in Matroska."
    with av.open(str(path), 'w', format='matroska') as c:
        vs = c.add_stream('ffv1', rate=int(fps)); vs.width, vs.height, vs.pix_fmt = frames.shape[2], frames.shape[1], 'yuv444p'
        as_ = c.add_stream('pcm_s16le', rate=sr, layout='mono')
        for t, x in enumerate(frames):
            vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(x), format='rgb24'); vf.pts = t
            for p in vs.encode(vf): c.mux(p)
        for p in vs.encode(): c.mux(p)
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
        for i in range(0, len(pcm), 1024):
            af = av.AudioFrame.from_ndarray(pcm[None, i:i + 1024], format='s16', layout='mono'); af.sample_rate, af.pts = sr, i
            for p in as_.encode(af): c.mux(p)
        for p in as_.encode(): c.mux(p)

@pytest.fixture(scope='module')
def ten_frames():
    clips = [p for p in CLIPS if p.name == 'pcavs_00067.mp4']
    if not clips: need_real('restore at any frame size (pcavs_00067.mp4)'); pytest.skip('pcavs_00067.mp4 is not among the real clips')
    v = IO.read_video(clips[0], max_frames=10)
    return v.frames, v.fps, v.audio[:round(10 / v.fps * v.sr)]

def _resize(frames, W, H):
    import cv2
    return np.stack([cv2.resize(f, (W, H), interpolation=cv2.INTER_CUBIC) for f in frames])

@pytest.mark.parametrize('kind', ['256x256', '1080p', 'odd361x289', 'odd361x289_even'])
def test_any_frame_size(kind, ten_frames, ckpts, tmp_path):
    "256², 1080p (1920×1080, face upscaled ×4.8 and letterboxed), odd 361×289 (kept in 4:4:4, or padded with --even)."
    from avface_nb.restore import restore_video
    fr, fps, aud = ten_frames
    if kind == '256x256': x, src = _resize(fr, 256, 256), tmp_path / 'in.mp4'
    elif kind == '1080p':
        x = np.zeros((10, 1080, 1920, 3), np.uint8); x[:, :, 420:1500] = _resize(fr, 1080, 1080); src = tmp_path / 'in.mp4'
    else: x, src = _resize(fr, 361, 289), tmp_path / 'in.mkv'
    (IO.write_video(src, x, fps, aud) if src.suffix == '.mp4' else _write_mkv(src, x, fps, aud, 16000))
    r = restore_video(src, tmp_path / 'out.mp4', ckpts[0], even=kind.endswith('_even'), progress=False)
    o = IO.read_video(tmp_path / 'out.mp4')
    want = (x.shape[1] + 1, x.shape[2] + 1) if kind.endswith('_even') else x.shape[1:3]
    assert o.n == 10 and o.fps == fps and o.frames.shape[1:3] == want, (o.frames.shape, want)
    assert r['padded'] == kind.endswith('_even') and r['pix_fmt'] == ('yuv444p' if kind == 'odd361x289' else 'yuv420p')
    assert r['audio']['mode'] == ('copied' if src.suffix == '.mp4' else 're-encoded') and o.has_audio
    assert abs(audio_facts(tmp_path / 'out.mp4')[4] - audio_facts(src)[4]) <= 1024 / 16000
    i = IO.read_video(src)
    off, corr = audio_match(i.audio, o.audio, 16000)
    print(f'{kind}: audio {off * 1000:.0f} ms apart, r={corr:.5f}')
    # measured: copied 0 ms, r = 1.0; PCM -> AAC 48 ms (the last 1024-sample AAC frame is padded), r = 0.9959
    assert off <= max(1 / fps, 1024 / 16000) and corr > (0.999 if src.suffix == '.mp4' else 0.99), (off, corr)

# ---------------------------------------------------------------------------------------------- bad inputs
@pytest.fixture(scope='module')
def bad(tmp_path_factory):
    d = tmp_path_factory.mktemp('bad')
    import skimage.data
    face = np.stack([skimage.data.astronaut()[30 + t:254 + t, 110:334] for t in range(8)])
    t = np.arange(8 * 640) / 16000
    tone = (0.2 * np.sin(2 * np.pi * 150 * t)).astype(np.float32)
    (d / 'notvideo.mp4').write_text('not a video at all')
    IO.write_video(d / 'silent.mp4', face, 25)
    IO.write_video(d / 'short.mp4', face[:4], 25, tone[:4 * 640])
    stripes = np.broadcast_to((np.arange(8)[:, None, None, None] * 20 + np.arange(64)[None, :, None, None]) % 255, (8, 64, 64, 3))
    IO.write_video(d / 'noface.mp4', np.ascontiguousarray(stripes, np.uint8), 25, tone)
    IO.write_video(d / 'ok.mp4', face, 25, tone)
    return d

def _listing(d): return sorted(p.name for p in d.iterdir())

def test_bad_inputs_one_line_nothing_written(bad, ckpts, tmp_path):
    "Each bad input: exit 2, one line naming the file and the problem, the folder unchanged."
    ck, ck1 = ckpts
    (tmp_path / 'random.pt').write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    (tmp_path / 'trunc.pt').write_bytes(ck.read_bytes()[:4000])
    d, before = bad, _listing(bad)
    cases = [((d / 'notvideo.mp4', d / 'o.mp4', '--ckpt', ck), ('notvideo.mp4', 'not a readable video')),
             ((d / 'silent.mp4', d / 'o.mp4', '--ckpt', ck), ('silent.mp4', 'no audio track', '--allow-silent')),
             ((d / 'noface.mp4', d / 'o.mp4', '--ckpt', ck), ('noface.mp4', 'no face found in any of the 8 frames')),
             ((d / 'short.mp4', d / 'o.mp4', '--ckpt', ck), ('short.mp4', 'shorter than the temporal window of 5 frames')),
             ((d / 'ok.mp4', d / 'ok.mp4', '--ckpt', ck), ('ok.mp4', 'refusing to overwrite')),
             ((d / 'ok.mp4', d / 'o.mp4', '--ckpt', ck1), (str(ck1), 'kind tsvqgan', 'not a restoration method')),
             ((d / 'ok.mp4', d / 'o.mp4', '--ckpt', tmp_path / 'random.pt'), ('random.pt',)),
             ((d / 'ok.mp4', d / 'o.mp4', '--ckpt', tmp_path / 'trunc.pt'), ('trunc.pt', 'not a readable checkpoint')),
             ((d / 'ok.mp4', d / 'o.mp4', '--ckpt', tmp_path / 'missing.pt'), ('missing.pt', 'no such checkpoint')),
             ((d / 'missing.mp4', d / 'o.mp4', '--ckpt', ck), ('missing.mp4', 'no such file'))]
    for args, words in cases:
        one_line_error(cli_inproc(*args), *words)
        assert _listing(d) == before, (args, _listing(d))
    # the console script itself, once: the dispatcher prints the one line, no traceback
    one_line_error(cli(d / 'ok.mp4', d / 'o.mp4', '--ckpt', ck1), str(ck1), 'not a restoration method')
    one_line_error(cli(d / 'ok.mp4', d / 'o.mp4', '--ckpt', tmp_path / 'random.pt'), 'random.pt')
    assert _listing(d) == before

def test_allow_silent(bad, ckpts, tmp_path):
    "--allow-silent restores a video without audio with silence, says so, and writes no audio track."
    rc, so, se = cli_inproc(bad / 'silent.mp4', tmp_path / 's.mp4', '--ckpt', ckpts[0], '--allow-silent')
    assert rc == 0 and 'no audio track' in se and 'silence' in se, se
    o = IO.read_video(tmp_path / 's.mp4')
    assert o.n == 8 and not o.has_audio
