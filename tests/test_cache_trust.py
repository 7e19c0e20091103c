"""The run cache can be trusted (issue 19, findings a, b, d): a stage's hash moves with every input that shapes its
weights, and a stage that stands on earlier weights notices when they change.

* (b) the hash covers the parameters behind preset names (a degradation preset, the stage-I model preset a stage II
  names) and the source of every package module the task's module imports (a shared module such as `vq` or `blocks`),
  up to the inference-side `registry.INFERENCE_MODULES`, whose edits leave it unchanged (training never runs them:
  tests/test_train_closure.py);
* (d) the digest is of the code this process imported: a module file edited after its import makes the digest refuse
  (restart) instead of describing code that does not run;
* (a) a stage I rewritten under the same stage hash (other weights) makes loading the stage II that froze it fail in
  one line naming both files, and `train` retrains that stage II instead of reusing it; `train(dry_run=True)` reports
  it as stale first. Checkpoints written before weight digests still load (their frozen parts unverified: legacy).

Each test trains at most the tiny two-stage VQFR of `nbs/33_vqfr.ipynb` on the toy corpus (seconds, one thread)."""
import importlib, sys, tempfile
from pathlib import Path
import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from avface_nb.core import InputError
from avface_nb import registry as R
from avface_nb.train import resolve_config, stage_config, config_hash, set_key, train, load_model, stale_reasons, TASKS
from avface_nb.checkpoint import load_checkpoint, save_checkpoint, weights_digest
from avface_nb.data import toy_corpus

R.load_all()

@pytest.fixture(scope='module')
def corpus(tmp_path_factory):
    return toy_corpus(tmp_path_factory.mktemp('corpus') / 'c', speakers=4, clips=2, frames=12, size=32)

@pytest.fixture(autouse=True)
def one_thread():
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)

def vqfr_cfg(root, **sets):
    base = dict(name='tiny-vqfr', scale='smoke',
                model=dict(type='vqfr', tsvqgan=dict(widths=[4, 8, 8], n_codes=16, dim=8, head_dim=4)),
                data=dict(root=str(root), stride=6, degrade='avfr'),
                train=dict(stages=['tsvqgan', 'vqfr'], steps=2, ckpt_every=2, lr=1e-3,
                           tsvqgan=dict(steps=2, disc=dict(ndf=4, n_layers=1), loss=dict(perceptual=False)),
                           vqfr=dict(loss=dict(w_per=0.))))
    for k, v in sets.items(): set_key(base, k.replace('__', '.'), v)
    return resolve_config(base)

def stage_hash(cfg, stage):
    scfg = stage_config(cfg, stage)
    return config_hash(TASKS[scfg['task']].signature(cfg, scfg))

# --- (b) presets and shared modules -------------------------------------------------------------------------------------

def test_degradation_preset_parameters_are_hashed(corpus, monkeypatch):
    import avface_nb.degrade as D
    cfg = vqfr_cfg(corpus)
    assert stage_config(cfg, 'vqfr')['data']['degrade'] == 'avfr'            # a preset *name* in the config
    h = stage_hash(cfg, 'vqfr')
    chain = D.PRESETS['avfr']['steps']
    edited = [dict(s, crf=s['crf'] + 1) if s['type'] == 'x264' else s for s in chain]
    assert edited != chain
    monkeypatch.setitem(D.PRESETS['avfr'], 'steps', edited)                  # the same name, another CRF behind it
    assert stage_hash(cfg, 'vqfr') != h
    monkeypatch.undo()
    assert stage_hash(cfg, 'vqfr') == h

def test_model_preset_parameters_are_hashed(corpus, monkeypatch):
    "A stage II names stage I's preset (`vqgan_preset`): its parameters count, not only its name."
    from avface_nb.methods import tsvqgan as TS
    cfg = vqfr_cfg(corpus)
    scfg = stage_config(cfg, 'vqfr')
    p = TASKS['vqfr'].signature(cfg, scfg)['presets']
    assert p['model.vqgan_preset'] == {'smoke': TS.tsvqgan_config(dict(cfg, model=dict(type='tsvqgan', preset='smoke')))}
    h = stage_hash(cfg, 'vqfr')
    monkeypatch.setitem(TS.TSVQGAN_PRESETS, 'smoke', dict(TS.TSVQGAN_PRESETS['smoke'], n_codes=TS.TSVQGAN_PRESETS['smoke']['n_codes'] + 1))
    assert stage_hash(cfg, 'vqfr') != h

def _edited(monkeypatch, mod: str):
    "Make the recorded (imported) source of package module `mod` look edited."
    R.module_source(mod)
    rec = R._SOURCES[mod]
    monkeypatch.setitem(rec, 'text', rec['text'] + '\n# an edit\n')

@pytest.mark.parametrize('shared, task', [('avface_nb.vq', 'tsvqgan'), ('avface_nb.blocks', None), ('avface_nb.data', 'tsvqgan'),
                                          ('avface_nb.degrade', 'vqfr')])
def test_shared_module_source_is_hashed(corpus, monkeypatch, shared, task):
    if task is None:                                                           # some task that imports the module
        task = next(t for t, c in sorted(TASKS.items()) if shared in R.train_closure(c.__module__))
    cls = TASKS[task]
    assert shared in R.train_closure(cls.__module__)
    before = R.train_digest(cls)
    _edited(monkeypatch, shared)
    assert R.train_digest(cls) != before, f'editing {shared} leaves the digest of task {task} unchanged'
    monkeypatch.undo()
    assert R.train_digest(cls) == before

def test_edited_module_moves_the_stage_hash(corpus, monkeypatch):
    "The run hash itself (not only the digest) moves with a training-closure module."
    cfg = vqfr_cfg(corpus)
    h = stage_hash(cfg, 'vqfr')
    _edited(monkeypatch, 'avface_nb.losses')
    assert stage_hash(cfg, 'vqfr') != h
    monkeypatch.undo()
    assert stage_hash(cfg, 'vqfr') == h

@pytest.mark.parametrize('excluded, task', [('avface_nb.restore', 'vqfr'), ('avface_nb.evaluate', 'vqfr'), ('avface_nb.metrics', 'avfr'),
                                            ('avface_nb.experts.syncnet', 'vqfr')])
def test_inference_module_is_not_hashed(corpus, monkeypatch, excluded, task):
    """Editing an inference-side module (`registry.INFERENCE_MODULES`: code training never runs, checked by
    tests/test_train_closure.py) leaves a stage's run hash unchanged, though the task's full import closure holds it."""
    cls = TASKS[task]
    assert excluded in R.INFERENCE_MODULES and excluded in R.code_closure(cls.__module__)
    assert excluded not in R.train_closure(cls.__module__)
    full, before = R.code_digest(cls), R.train_digest(cls)
    cfg = vqfr_cfg(corpus) if task == 'vqfr' else None
    h = stage_hash(cfg, 'vqfr') if cfg else None
    _edited(monkeypatch, excluded)
    assert R.code_digest(cls) != full                                        # the edit is seen by the full digest ...
    assert R.train_digest(cls) == before                                     # ... not by the training one
    if cfg: assert stage_hash(cfg, 'vqfr') == h

def test_unrelated_method_does_not_count():
    "The closure follows import statements only: another method's module is not part of TS-VQGAN's digest."
    c = R.code_closure(TASKS['tsvqgan'].__module__)
    assert 'avface_nb.methods.tsvqgan' in c and 'avface_nb.methods.vqfr' not in c and 'avface_nb.report' not in c

def test_function_level_imports_count(tmp_path, monkeypatch):
    "An import inside a function is followed like a top-level one."
    pkg = importlib.import_module('avface_nb')
    (tmp_path / '_probe_a.py').write_text('def f():\n    from avface_nb import _probe_b\n    return _probe_b.x\n')
    (tmp_path / '_probe_b.py').write_text('x = 1\n')
    monkeypatch.setattr(pkg, '__path__', [*pkg.__path__, str(tmp_path)])
    try:
        a = importlib.import_module('avface_nb._probe_a')
        assert 'avface_nb._probe_b' in R.code_closure('avface_nb._probe_a')
        d = R.code_digest(a.f)
        _edited(monkeypatch, 'avface_nb._probe_b')
        assert R.code_digest(a.f) != d
    finally:
        for m in ('avface_nb._probe_a', 'avface_nb._probe_b'): sys.modules.pop(m, None); R._SOURCES.pop(m, None)

# --- (d) the code that runs ---------------------------------------------------------------------------------------------

def test_digest_is_of_the_imported_code(tmp_path, monkeypatch):
    "The digest describes the source as imported; a file edited after its import is refused, naming the file."
    pkg = importlib.import_module('avface_nb')
    f = tmp_path / '_probe_c.py'
    f.write_text('def g():\n    return 1\n')
    monkeypatch.setattr(pkg, '__path__', [*pkg.__path__, str(tmp_path)])
    try:
        c = importlib.import_module('avface_nb._probe_c')
        assert R._SOURCES['avface_nb._probe_c']['when'] == 'import'
        d = R.code_digest(c.g)
        assert R.code_digest(c.g) == d
        f.write_text('def g():\n    return 2\n')                               # edited on disk; the process still runs `return 1`
        with pytest.raises(InputError) as e: R.code_digest(c.g)
        msg = str(e.value)
        assert msg.startswith(str(f)) and 'changed on disk since this process imported it' in msg and '\n' not in msg
        assert c.g() == 1                                                    # what runs is the imported code
        f.write_text('def g():\n    return 1\n')                               # the same text again (another mtime): accepted
        assert R.code_digest(c.g) == d
    finally:
        sys.modules.pop('avface_nb._probe_c', None); R._SOURCES.pop('avface_nb._probe_c', None)

# --- (a) the weights a stage stands on ----------------------------------------------------------------------------------

def _rewrite_with_other_weights(path: Path):
    "Stage I 'retrained under the same configuration': same stage hash and steps, other weights."
    ck = torch.load(path, weights_only=True)
    sd = ck['modules']['model']
    k = next(k for k, v in sd.items() if v.is_floating_point() and v.numel() > 1)
    sd[k] = sd[k] + 0.01
    save_checkpoint(path, ck)

def test_stage_one_retrained_under_the_same_hash(corpus, tmp_path):
    cfg = vqfr_cfg(corpus)
    run = tmp_path / 'run'
    r = train(cfg, run, progress=False)
    assert [r[s]['status'] for s in ('tsvqgan', 'vqfr')] == ['trained', 'trained']
    s1, s2 = Path(r['tsvqgan']['path']), Path(r['vqfr']['path'])
    ck2 = load_checkpoint(s2, 'vqfr')
    d1 = weights_digest(load_checkpoint(s1, 'tsvqgan'))
    assert ck2['prev']['tsvqgan']['weights'] == d1 and ck2['frozen_check'] == {'model.vqgan': 'verified'}
    assert ck2['signature']['prev']['tsvqgan'] == {'hash': r['tsvqgan']['hash'], 'weights': d1}
    assert [x['status'] for x in train(cfg, run, progress=False).values()] == ['skipped', 'skipped']

    _rewrite_with_other_weights(s1)
    assert load_checkpoint(s1, 'tsvqgan')['stage_hash'] == r['tsvqgan']['hash']      # the old check (stage hash) sees nothing
    d1b = weights_digest(load_checkpoint(s1, 'tsvqgan'))
    assert d1b != d1
    for load in (lambda: load_model(s2, 'vqfr'), lambda: load_checkpoint(s2)):
        with pytest.raises(InputError) as e: load()
        msg = str(e.value)
        assert '\n' not in msg and msg.startswith(str(s2)) and str(s1.resolve()) in msg, msg
        assert d1 in msg and d1b in msg, msg
    # the run engine reports it stale, then trains it again rather than reusing it
    dry = train(cfg, run, progress=False, dry_run=True)
    assert dry['tsvqgan']['status'] == 'up to date' and dry['vqfr']['status'] == 'stale', dry
    assert 'prev' in dry['vqfr']['why'], dry['vqfr']
    assert load_checkpoint(s2, attach=False)['stage_hash'] == ck2['stage_hash']        # the dry run wrote nothing
    again = train(cfg, run, progress=False)
    assert again['tsvqgan']['status'] == 'skipped' and again['vqfr']['status'] == 'trained'
    assert again['vqfr']['hash'] != r['vqfr']['hash']
    ck3 = load_checkpoint(s2, 'vqfr')                                          # consistent again
    assert ck3['prev']['tsvqgan']['weights'] == d1b and ck3['frozen_check'] == {'model.vqgan': 'verified'}

def test_legacy_checkpoints_load_and_are_stale(corpus, tmp_path):
    "A stage II written before weight digests (no 'weights' recorded, prev as stage hashes): loads (unverified), and is stale."
    cfg = vqfr_cfg(corpus)
    run = tmp_path / 'run'
    r = train(cfg, run, progress=False)
    s2 = Path(r['vqfr']['path'])
    ck = torch.load(s2, weights_only=True)
    for v in ck['frozen_from'].values(): v.pop('weights')
    ck['prev'] = {k: {kk: vv for kk, vv in v.items() if kk != 'weights'} for k, v in ck['prev'].items()}
    ck['signature']['prev'] = {k: v['hash'] for k, v in ck['prev'].items()}
    ck['stage_hash'] = config_hash(ck['signature'])                          # keyed as the old engine keyed it
    save_checkpoint(s2, ck)
    back = load_checkpoint(s2, 'vqfr')
    assert back['frozen_check']['model.vqgan'].startswith('legacy')
    dry = train(cfg, run, progress=False, dry_run=True)
    assert dry['vqfr']['status'] == 'stale' and any('before weight digests' in w for w in dry['vqfr']['why']), dry['vqfr']

def test_committed_checkpoint_loads_as_legacy_and_is_reported_stale():
    "A committed small-scale run written before weight digests (a legacy final: no final.json) still loads for evaluation, unless the earlier stage it froze was trained again since (refused, naming both); the engine calls it stale."
    ck = None
    for p in sorted(ROOT.glob('runs/small/*/*/final.pt')):              # a legacy final that stands on earlier stages
        if (p.parent / 'final.json').exists(): continue
        try: c = load_checkpoint(p)
        except InputError as e:                                          # its stage I was trained again since: refused, by name
            assert 'retrained since' in str(e) and str(p) in str(e), e; continue
        if c.get('frozen_check'): ck = c; break
    if ck is None: pytest.skip('no legacy small-scale run with frozen earlier stages left (all trained again with records)')
    assert all(v.startswith('legacy') for v in ck['frozen_check'].values()), ck['frozen_check']
    cfg, st = ck['config'], ck['stage']
    scfg = stage_config(cfg, st)
    sig = TASKS[scfg['task']].signature(cfg, scfg)
    sig['prev'] = {k: dict(hash=v['hash'], weights=None) for k, v in ck['prev'].items()}
    why = stale_reasons(ck, sig, ck['step'])
    assert 'code' in why and any(w.startswith('prev') for w in why) and 'presets' in why, why

# --- the training split ---------------------------------------------------------------------------------------------------

def test_a_resplit_corpus_changes_the_hash(tmp_path):
    import json, shutil
    root = toy_corpus(tmp_path / 'c', speakers=4, clips=2, frames=12, size=32)
    cfg = vqfr_cfg(root)
    h = stage_hash(cfg, 'tsvqgan')
    sp = json.loads((root / 'split.json').read_text())
    assert stage_hash(cfg, 'tsvqgan') == h                                   # read twice: the same
    moved = sp['train'][0]                                                   # one training speaker moves to validation
    sp2 = dict(sp, train=sp['train'][1:], val=sorted(sp.get('val', []) + [moved]))
    (root / 'split.json').write_text(json.dumps(sp2))
    h2 = stage_hash(cfg, 'tsvqgan')
    assert h2 != h
    (root / 'split.json').write_text(json.dumps(dict(sp2, test=[], val=[])))  # validation and test speakers do not shape training
    assert stage_hash(cfg, 'tsvqgan') == h2
