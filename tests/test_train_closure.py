"""The training digest covers the code training runs (issue 20, part of the run cache's trust).

A stage's run hash uses `registry.train_digest`: the static import closure of the task's module, stopped at the declared
inference-side `registry.INFERENCE_MODULES` (evaluation, metrics, the restore pipeline, bench, viz, io, the report
engine, the CLI, the evaluation experts). Leaving a module out is only safe if training never executes it. This file
checks that on every config in `configs/` (every registered method, every stage, and the shared/alternative configs):
each stage is trained for two steps at smoke scale on a toy corpus under `sys.setprofile`, which records the package
module of every Python function called while `train.run_stage` runs (config hashing, data loading, `Task.step`:
forward, loss, backward, optimiser; checkpoint writing). Every such module must lie in the training closure of the
stage's task, or of an earlier stage's task (a later stage's hash records the earlier stage's hash and weights digest).

All package modules are imported before profiling, so module bodies and class definitions (import time) are not
counted as training. Seeded (`toy_corpus` and each config's seed); one thread; about half a minute in all."""
import importlib, pkgutil, sys, threading
from pathlib import Path
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
import avface_nb
from avface_nb import registry as R
from avface_nb.data import toy_corpus
from avface_nb.train import load_config, run_stage, stage_config, TASKS

CONFIGS = sorted(p.stem for p in (ROOT / 'configs').glob('*.yaml'))

def _import_all():
    "Every package module, imported now (so what runs later is calls, not imports)."
    for m in pkgutil.walk_packages(avface_nb.__path__, 'avface_nb.'):
        if m.name != 'avface_nb._modidx': importlib.import_module(m.name)
    R.load_all()

@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    _import_all()
    return toy_corpus(tmp_path_factory.mktemp('closure') / 'c', speakers=3, clips=2, frames=12, size=32, landmarks=True, parsing=True)

@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

def profiled(fn, *args, **kw):
    "fn(*args, **kw) under a profiler; returns (result, {package module: names of its functions called})."
    called = {}
    def prof(frame, event, arg):
        if event == 'call':
            m = frame.f_globals.get('__name__', '')
            if m == 'avface_nb' or m.startswith('avface_nb.'): called.setdefault(m, set()).add(frame.f_code.co_name)
    sys.setprofile(prof); threading.setprofile(prof)
    try: out = fn(*args, **kw)
    finally: sys.setprofile(None); threading.setprofile(None)
    return out, called

def test_inference_modules_are_package_modules():
    "The declared set names real modules, and every method's full closure reaches some of them (else this file tests nothing)."
    _import_all()
    for m in R.INFERENCE_MODULES: assert m in sys.modules, m
    for name, cls in sorted(TASKS.items()):
        full, trn = set(R.code_closure(cls.__module__)), set(R.train_closure(cls.__module__))
        assert trn <= full and not trn & R.INFERENCE_MODULES, (name, sorted(trn & R.INFERENCE_MODULES))
        assert {'avface_nb.train', 'avface_nb.core', cls.__module__} <= trn, name
    assert any(set(R.code_closure(c.__module__)) & R.INFERENCE_MODULES for c in TASKS.values())

@pytest.mark.parametrize('name', CONFIGS)
def test_training_runs_only_training_closure_code(corpus, tmp_path, name):
    cfg0 = load_config(ROOT / 'configs' / f'{name}.yaml', [], scale='smoke')
    per_stage = [f'train.{st}.{k}={v}' for st in cfg0['train']['stages'] for k, v in (('steps', 2), ('batch', 2))]
    cfg = load_config(ROOT / 'configs' / f'{name}.yaml',
                      [f'data.root={corpus}', 'train.steps=2', 'train.ckpt_every=2', 'train.batch=2', 'data.stride=6',
                       'train.workers=0', *per_stage], scale='smoke')
    prev, allowed = {}, set()
    for st in cfg['train']['stages']:
        task = TASKS[stage_config(cfg, st)['task']]
        allowed |= set(R.train_closure(task.__module__))
        r, called = profiled(run_stage, cfg, st, tmp_path / 'run', prev, progress=False)
        assert r['status'] == 'trained' and r['step'] == 2, (name, st, r)
        assert any('step' in fs for fs in called.values()) and task.__module__ in called, (name, st, sorted(called))  # it saw training
        outside = {m: sorted(f) for m, f in called.items() if m not in allowed}
        assert not outside, f'{name}/{st}: training called package code outside its training closure: {outside}'
        prev[st] = dict(path=r['path'], hash=r['hash'], kind=r['kind'])
