"DDP smoke test: `torchrun --nproc_per_node=2 -m avface_nb.train` (gloo on CPU) trains a few steps and writes a checkpoint."
import os, subprocess, sys, time
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]

def _launcher() -> list[str]:
    "torchrun next to this interpreter, else `python -m torch.distributed.run`."
    exe = Path(sys.executable).parent / 'torchrun'
    return [str(exe)] if exe.exists() else [sys.executable, '-m', 'torch.distributed.run']

def test_ddp_two_processes(tmp_path):
    torch = pytest.importorskip('torch')
    dist = torch.distributed
    if not (dist.is_available() and dist.is_gloo_available()):
        pytest.skip('torch.distributed with the gloo backend is unavailable: DDP test skipped')
    from avface_nb.train import toy_corpus, load_checkpoint, read_log
    corpus = toy_corpus(tmp_path / 'corpus', speakers=4, clips=2, frames=12, size=32)
    out = tmp_path / 'run'
    cmd = _launcher() + ['--standalone', '--nproc_per_node=2', '-m', 'avface_nb.train', str(ROOT / 'configs' / 'tsvqgan_smoke.yaml'),
                         '--out', str(out), '--no-progress', '--set', f'data.root={corpus}', '--set', 'data.stride=4',
                         '--set', 'train.steps=4', '--set', 'train.batch=4', '--set', 'train.ckpt_every=2']
    env = dict(os.environ, OMP_NUM_THREADS='1', CUDA_VISIBLE_DEVICES='')
    t0 = time.time()
    try: r = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120, env=env)
    except FileNotFoundError: pytest.skip('torchrun is unavailable: DDP test skipped')
    took = time.time() - t0
    assert r.returncode == 0, f'torchrun failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-6000:]}'
    ck = load_checkpoint(out / 'tsvqgan' / 'final.pt', expect_kind='tsvqgan')
    assert (ck['world'], ck['step'], ck['final'], ck['ddp_params_equal']) == (2, 4, True, True)   # ranks agreed on every parameter
    assert ck['stage_config']['batch'] == 4                   # global batch: 2 per process
    assert (out / 'tsvqgan' / 'last.pt').exists()
    log = read_log(out / 'tsvqgan')
    assert log['step'].tolist() == [1, 2, 3, 4]                # rank 0 alone writes the log
    assert log['loss'].notna().all()
    assert 'tsvqgan: trained (4 steps' in r.stdout and r.stdout.count('tsvqgan: trained') == 1
    print(f'DDP 2 processes (gloo), 4 steps: {took:.1f} s')
    assert took < 90, f'DDP smoke run took {took:.0f} s'
