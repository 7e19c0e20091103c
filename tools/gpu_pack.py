"""Carry the training data to a lent GPU machine and the trained runs back (used by tools/gpu_train.sh).

The device tool moves at most 64 MiB per call and the GPU image has no PyAV, dlib or ffmpeg. So `pack` writes the
training split of each corpus the plan uses (HQ crops and cached degraded clips as lossless H.264 RGB, which OpenCV
decodes bit-exactly; MFCCs and metadata as they are) into tar parts of at most --part-mb, `unpack` restores the same
files on the other side (checked against a digest of every array), and `runs` packs the trained runs' final.pt,
log.jsonl and config.yaml into at most 8 tar files for the trip back.

  python tools/gpu_pack.py pack --scale small --out .gpu_pack      # here
  python tools/gpu_pack.py unpack .gpu_pack                        # on the GPU machine
  python tools/gpu_pack.py runs --scale small --out $OUT           # on the GPU machine
"""
import argparse, hashlib, io, json, os, subprocess, sys, tarfile, tempfile
from pathlib import Path
import numpy as np

ROOT = Path(__file__).resolve().parents[1]

def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16]

def _encode(frames: np.ndarray, dest: Path):
    "T×H×W×3 uint8 RGB -> lossless H.264 RGB (libx264rgb, qp 0) in Matroska."
    import imageio_ffmpeg
    T, H, W, _ = frames.shape
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), '-y', '-loglevel', 'error', '-f', 'rawvideo', '-pix_fmt', 'rgb24',
                    '-s', f'{W}x{H}', '-r', '25', '-i', '-', '-c:v', 'libx264rgb', '-qp', '0', '-preset', 'veryslow', str(dest)],
                   input=np.ascontiguousarray(frames).tobytes(), check=True)

def _decode(src: Path) -> np.ndarray:
    import cv2
    cap, out = cv2.VideoCapture(str(src)), []
    while True:
        ok, f = cap.read()
        if not ok: break
        out.append(f[..., ::-1])
    return np.ascontiguousarray(np.array(out, np.uint8))

def _plan_data(scale: str):
    "Corpora and training seeds the plan needs, and the degradation presets of its stages."
    sys.path.insert(0, str(ROOT))
    from avface_nb.experiments import plan_jobs, ensure_corpus
    shared, runs = plan_jobs(scale)
    return {(j['data'], j['seed']) for j in shared + runs}, ensure_corpus

def pack(scale: str, out: Path, part_mb: float=30.):
    from avface_nb.data import ClipWindows, corpus_clips
    from avface_nb.train import SCALES, DEFAULTS
    need, ensure_corpus = _plan_data(scale)
    size = SCALES[scale]['data']['size']
    out.mkdir(parents=True, exist_ok=True)
    files, manifest = [], {}
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        for data in sorted({d for d, _ in need}):
            root = ensure_corpus(scale, data); rel = root.relative_to(ROOT)
            for name in ('split.json', 'index.json'): files.append((root / name, rel / name))
            clips = corpus_clips(root, 'train')
            for m in clips:
                d = root / 'clips' / m['clip_id']; r = rel / 'clips' / m['clip_id']
                hq = np.load(d / 'hq.npy'); v = td / (m['clip_id'] + '_hq.mkv'); _encode(hq, v)
                files.append((v, r / 'hq.mkv')); manifest[str(r / 'hq.npy')] = _digest(hq)
                for name in ('mfcc.npy', 'meta.json'): files.append((d / name, r / name))
            dsd = SCALES[scale]['data']; seen = set()
            for s in sorted(s for d, s in need if d == data):                 # the degraded clips each seed trains on
                ds = ClipWindows(root, 'train', size=size, degrade='avfr',   # paper 001's chain (AVFR, VQFR, BasicVSR++): the LQ it packs
                                 lq_cache=dsd.get('lq_cache', DEFAULTS['data']['lq_cache']), seed=s,
                                 lq_seed=dsd.get('lq_seed', DEFAULTS['data']['lq_seed']))
                if ds.cache_dir() in seen: continue
                seen.add(ds.cache_dir())
                for c, m in enumerate(ds.clips):
                    lq = ds.lq_clip(c, 0)
                    p = ds.cache_dir() / f"{m['clip_id']}_r0.npy"; r = p.relative_to(ROOT)
                    v = td / f"{m['clip_id']}_{s}_lq.mkv"; _encode(lq, v)
                    files.append((v, r.with_suffix('.mkv'))); manifest[str(r)] = _digest(lq)
        mf = td / 'manifest.json'; mf.write_text(json.dumps(manifest))
        files.insert(0, (mf, Path('data/.gpu_manifest.json')))
        wd = ROOT / '.weights'                                               # the perceptual losses' weights, byte for byte
        for name in ('manifest.json', 'lpips_vgg_v0.1.pt'): files.append((wd / name, Path('.weights') / name))
        big = wd / 'vgg16.pt'; chunk = int(part_mb * 2**20 * 0.9)
        with open(big, 'rb') as f:
            for i, b in enumerate(iter(lambda: f.read(chunk), b'')):
                c = td / f'vgg16.pt.chunk{i:02d}'; c.write_bytes(b); files.append((c, Path('.weights') / c.name))
        part, size_now, k = None, 0, 0
        for src, arc in files:
            if part is None or (size_now and size_now + src.stat().st_size > part_mb * 2**20):
                if part: part.close()
                k += 1; part = tarfile.open(out / f'part{k}.tar', 'w'); size_now = 0
            part.add(src, arcname=str(arc)); size_now += src.stat().st_size
        part.close()
    print(f'{k} parts, {sum(p.stat().st_size for p in out.glob("part*.tar")) / 2**20:.1f} MiB, {len(manifest)} arrays')

def unpack(src: Path):
    manifest = {}
    for p in sorted(src.glob('part*.tar')):                                 # each call may carry some of the parts
        with tarfile.open(p) as t: t.extractall(ROOT, filter='data') if sys.version_info >= (3, 12) else t.extractall(ROOT)
        p.unlink()
    wd = ROOT / '.weights'
    chunks = sorted(wd.glob('vgg16.pt.chunk*'))
    if chunks:
        want = json.loads((wd / 'manifest.json').read_text())['files']['vgg16.pt']
        if sum(c.stat().st_size for c in chunks) == want['bytes']:          # all chunks here: join and check the sha256
            with open(wd / 'vgg16.pt', 'wb') as f:
                for c in chunks: f.write(c.read_bytes())
            h = hashlib.sha256((wd / 'vgg16.pt').read_bytes()).hexdigest()
            print('vgg16.pt', 'sha256 ok' if h == want['sha256'] else 'SHA256 MISMATCH')
            for c in chunks: c.unlink()
    mf = ROOT / 'data' / '.gpu_manifest.json'
    if mf.exists(): manifest.update(json.loads(mf.read_text()))
    bad = n = 0
    for v in sorted(ROOT.glob('data/**/*.mkv')):
        n += 1
        a = _decode(v)
        npy = v.with_suffix('.npy')
        np.save(npy, a); v.unlink()
        want = manifest.get(str(npy.relative_to(ROOT)))
        if want and want != _digest(a): bad += 1; print(f'digest mismatch: {npy}', file=sys.stderr)
    print(f'decoded {n} arrays ({len(manifest)} in the manifest), {bad} digest mismatches')
    return bad

def runs(scale: str, out: Path, max_mb: float=15.5):
    base = ROOT / 'runs' / scale
    files = sorted(p for p in base.rglob('*') if p.is_file() and p.name in ('final.pt', 'log.jsonl', 'config.yaml'))
    out.mkdir(parents=True, exist_ok=True)
    part, size_now, k = None, 0, 0
    for f in files:
        if part is None or size_now + f.stat().st_size > max_mb * 2**20:
            if part: part.close()
            k += 1; part = tarfile.open(out / f'runs{k}.tar', 'w'); size_now = 0
        part.add(f, arcname=str(f.relative_to(ROOT))); size_now += f.stat().st_size
    if part: part.close()
    print(f'{k} tar files, {sum(p.stat().st_size for p in out.glob("runs*.tar")) / 2**20:.1f} MiB, {len(files)} files')
    if k > 8: sys.exit('more than 8 files: the device tool returns 8 at most')

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest='cmd', required=True)
    a = sub.add_parser('pack'); a.add_argument('--scale', default='small'); a.add_argument('--out', default='.gpu_pack'); a.add_argument('--part-mb', type=float, default=38)
    b = sub.add_parser('unpack'); b.add_argument('src', nargs='?', default='.gpu_pack')
    c = sub.add_parser('runs'); c.add_argument('--scale', default='small'); c.add_argument('--out', required=True)
    x = ap.parse_args()
    if x.cmd == 'pack': pack(x.scale, Path(x.out), x.part_mb)
    elif x.cmd == 'unpack': sys.exit(1 if unpack(Path(x.src)) else 0)
    else: runs(x.scale, Path(x.out))
