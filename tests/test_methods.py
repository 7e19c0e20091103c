"""Every registered method, through the engine alone: in a fresh process the registry finds it, a smoke checkpoint of it is
trained by `avface train`, `avface restore` restores a video with it (frames, size and audio kept), the bench times a
fresh model of it, and the engine's errors name the file or the name in one line with nothing written: a checkpoint of
another method, a truncated checkpoint, an unknown method."""
import json, subprocess, sys, textwrap
from pathlib import Path
import numpy as np
import pytest
from conftest import avface_bin

ROOT = Path(__file__).resolve().parents[1]

def run(*args, cwd=ROOT):
    return subprocess.run([avface_bin(), *map(str, args)], capture_output=True, text=True, cwd=cwd)

def one_line_error(r, *words):
    assert r.returncode == 2, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])
    lines = [l for l in r.stderr.strip().splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    for w in words: assert w in lines[0], (w, lines[0])

@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    "A face video with audio, and a 2-step smoke checkpoint of every registered restoration method."
    d = tmp_path_factory.mktemp('methods')
    code = textwrap.dedent(f'''
        import json, sys
        from pathlib import Path
        import numpy as np, cv2, skimage.data
        from avface_nb import registry
        from avface_nb.data import toy_corpus
        from avface_nb.train import load_config, train
        from avface_nb.io import write_video
        d = Path({str(d)!r})
        names = registry.names(restorers=True)                     # a fresh process: the loader alone finds them
        corpus = toy_corpus(d/'corpus', speakers=3, clips=2, frames=12, size=32, landmarks=True, parsing=True)
        out = {{}}
        for n in names:
            per_stage = [f'train.{{st}}.{{k}}={{v}}' for st in registry.get(n).stages for k, v in (('steps', 2), ('batch', 2))]   # batch 2: batch norm needs two values
            cfg = load_config(Path({str(ROOT)!r})/'configs'/f'{{n}}.yaml',
                              [f'data.root={{corpus}}', 'train.steps=2', 'train.ckpt_every=2', 'train.batch=2', 'data.stride=6', *per_stage], scale='smoke')
            r = train(cfg, d/'runs'/n, progress=False)
            out[n] = {{k: v['path'] for k, v in r.items()}}
        img = cv2.resize(skimage.data.astronaut(), (160, 160))
        frames = np.stack([np.roll(img, 2 * t, axis=1) for t in range(12)])
        t = np.arange(int(12 / 25 * 16000)) / 16000
        write_video(d/'in.mp4', frames, 25, (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 16000)
        print(json.dumps(dict(names=names, ckpts=out)))
    ''')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    info = json.loads(r.stdout.strip().splitlines()[-1])
    assert len(info['names']) >= 3, info['names']
    return d, info

def test_every_method_restores_a_video(trained):
    from avface_nb.io import read_video
    d, info = trained
    src = read_video(d/'in.mp4')
    for n in info['names']:
        out = d/f'out_{n}.mp4'
        r = run('restore', d/'in.mp4', out, '--ckpt', list(info['ckpts'][n].values())[-1], '--no-progress', '--preset', 'ultrafast')
        assert r.returncode == 0, (n, r.stderr[-2000:])
        assert f'method {n}' in r.stdout, r.stdout
        v = read_video(out)
        assert v.frames.shape == src.frames.shape and abs(v.fps - src.fps) < 1e-6, n
        assert v.audio is not None and abs(len(v.audio) - len(src.audio)) <= 1024, n   # the audio is kept (one AAC frame)

def test_every_method_is_benchmarked(trained):
    d, info = trained
    code = textwrap.dedent(f'''
        import json
        from avface_nb.restore import restore_benchmark
        print(json.dumps(restore_benchmark({str(d/'in.mp4')!r}, size=32, frames=6, frames_none=6, presets=('smoke',))))
    ''')
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    b = json.loads(r.stdout.strip().splitlines()[-1])
    for n in info['names']:
        assert b.get(f'{n}_smoke_frames') == 6 and b[f'{n}_smoke_fps'] > 0, (n, b)

def test_errors_name_the_file_and_write_nothing(trained):
    d, info = trained
    bad = d/'bad'; bad.mkdir(exist_ok=True)
    names = info['names']
    cases = []                                                    # (command, words its one-line error must hold)
    for i, n in enumerate(names):
        mine = Path(list(info['ckpts'][n].values())[-1])
        other = Path(list(info['ckpts'][names[(i + 1) % len(names)]].values())[-1])
        (bad/f'trunc_{n}.pt').write_bytes(mine.read_bytes()[:4000])
        cases += [(('restore', d/'in.mp4', bad/'o.mp4', '--method', n, '--ckpt', other), (str(other), f'expected kind {n}')),
                  (('restore', d/'in.mp4', bad/'o.mp4', '--method', n, '--ckpt', bad/f'trunc_{n}.pt'), (f'trunc_{n}.pt', 'not a readable checkpoint'))]
    before = sorted(p.name for p in bad.iterdir())
    from concurrent.futures import ThreadPoolExecutor              # two CLI processes at a time: each is mostly start-up
    with ThreadPoolExecutor(2) as ex: results = list(ex.map(lambda c: run(*c[0]), cases))
    for (_, words), r in zip(cases, results): one_line_error(r, *words)
    assert sorted(p.name for p in bad.iterdir()) == before          # no output, no temporary file left behind
    one_line_error(run('restore', d/'in.mp4', bad/'o.mp4', '--method', 'no_such_method', '--ckpt', mine), 'no_such_method', 'unknown method')
    assert not (bad/'o.mp4').exists()
