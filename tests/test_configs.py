"""One YAML per method (configs/<method>.yaml, a block per scale): every method x scale resolves as it did before the
per-scale files were merged (tests/data/resolved_configs.json, written by tools/snapshot_configs.py), no block repeats a
default, and each file's `streams:` is exactly what its stages read."""
import copy, importlib.util, json
from pathlib import Path
import pytest
from avface_nb.core import InputError
from avface_nb.data import STREAMS
from avface_nb.train import (SCALES, TASKS, load_config, load_yaml, method_configs, resolve_config, stage_config,
                             stage_streams, deep_merge)

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location('snapshot_configs', ROOT / 'tools' / 'snapshot_configs.py')
snap = importlib.util.module_from_spec(_spec); _spec.loader.exec_module(snap)
SNAP = json.loads((ROOT / 'tests' / 'data' / 'resolved_configs.json').read_text())
# The engine's data defaults became neutral (no degradation, FHOG or interference windows). These three keys of the
# resolved `data` section may therefore read differently from the snapshot, but only where the change is dead: every
# stage's task sets the value itself (`data_fixed` / `dataset_args`), which the test proves by putting the old value back.
NEUTRALISED = {'hog', 'interference', 'degrade'}

@pytest.fixture(autouse=True)
def _at_root(monkeypatch): monkeypatch.chdir(ROOT)      # corpus roots in the configs are relative to the repository

def _diffs(a, b, pre=()):
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b: yield pre + (k,)
            else: yield from _diffs(a[k], b[k], pre + (k,))
    elif a != b: yield pre

def _dataset_args(cfg):
    return {st: TASKS[stage_config(cfg, st)['task']].dataset_args(cfg, stage_config(cfg, st)) for st in cfg['train']['stages']}

def test_the_files():
    "16 files (13 methods, the shared stages tsvqgan and parse, GAVN's stages 0 and 1), none per scale."
    names = set(method_configs())
    assert len(names) == 16 and {'avfr', 'pgtformer', 'tsvqgan', 'parse', 'gavn_lmk', 'gavn_temporal'} <= names, names
    assert not [n for n in names if n.rsplit('_', 1)[-1] in SCALES]
    test_eq_names = sorted(f'{m}_{s}' for m in names for s in SCALES)
    assert test_eq_names == sorted(SNAP) == snap.config_names()

@pytest.mark.parametrize('name', sorted(SNAP))
def test_resolves_as_before(name):
    "Exactly the snapshot, except data keys the neutral defaults changed where no stage reads them."
    old, new, cfg = SNAP[name], snap.resolved(name), load_config(name)
    assert new['config']['name'] == name and set(new['stages']) == set(old['stages'])
    for st in old['stages']:                                   # what the data pipeline and the model get: no exception
        assert new['stages'][st]['dataset'] == old['stages'][st]['dataset'], (st, list(_diffs(new['stages'][st]['dataset'], old['stages'][st]['dataset'])))
        assert new['stages'][st]['model'] == old['stages'][st]['model'], st
    changed = set()
    for where, a, b in [('config', new['config'], old['config'])] + \
                       [(f'stage {st}', new['stages'][st]['stage_config'], old['stages'][st]['stage_config']) for st in old['stages']]:
        for p in _diffs(a, b):
            assert len(p) == 2 and p[0] == 'data' and p[1] in NEUTRALISED, f'{name}: {where} differs at {".".join(map(str, p))}'
            changed.add(p[1])
    for k in changed:                                           # dead: the old value gives every stage the same dataset
        back = copy.deepcopy(cfg); back['data'][k] = old['config']['data'][k]
        assert _dataset_args(back) == _dataset_args(cfg), (name, k)

def _leaves(d, pre=()):
    for k, v in d.items():
        if isinstance(v, dict) and v: yield from _leaves(v, pre + (k,))
        else: yield pre + (k,), v

def _without(d, path):
    d = copy.deepcopy(d); x = d
    for p in path[:-1]: x = x[p]
    del x[path[-1]]
    return d

def _resolved(raw, name, scale):
    "What `load_config` gives for one scale of a method file's content `raw` (without `streams`)."
    user = deep_merge({k: v for k, v in raw.items() if k not in SCALES and k != 'streams'}, raw.get(scale) or {})
    try: cfg = resolve_config(dict(user, scale=scale, name=f'{name}_{scale}'), name)
    except InputError as e: return str(e)                     # e.g. without model.type: no config at all, surely not a repeat
    return cfg, {st: (stage_config(cfg, st), a) for st, a in _dataset_args(cfg).items()}

@pytest.mark.parametrize('name', sorted(method_configs()))
def test_no_key_repeats_a_default(name):
    "Removing any key of a scale block changes that scale's config; removing a shared key changes at least one scale's."
    raw = load_yaml(method_configs()[name])
    full = {s: _resolved(raw, name, s) for s in SCALES}
    repeats = []
    for s in SCALES:
        for path, _ in _leaves(raw.get(s) or {}):
            if _resolved(dict(raw, **{s: _without(raw[s], path)}), name, s) == full[s]: repeats.append(f'{s}.' + '.'.join(path))
    shared = {k: v for k, v in raw.items() if k not in SCALES and k != 'streams'}
    for path, _ in _leaves(shared):
        r = dict(_without(shared, path), **{s: raw.get(s) for s in SCALES if s in raw})
        if all(_resolved(r, name, s) == full[s] for s in SCALES): repeats.append('.'.join(path))
    assert not repeats, f'configs/{name}.yaml repeats defaults: {", ".join(repeats)}'

@pytest.mark.parametrize('name', sorted(method_configs()))
def test_streams_are_what_the_stages_read(name):
    "`streams:` names exactly the streams the stages' datasets yield (at every scale), in `data.STREAMS` order."
    declared = load_yaml(method_configs()[name])['streams']
    assert declared == [k for k in STREAMS if k in declared]
    for s in SCALES:
        read = {k for v in stage_streams(load_config(name, scale=s)).values() for k in v}
        assert set(declared) == read, (s, declared, sorted(read))

def test_names_and_paths():
    "A method's name with a scale, its file with a scale, and the old per-scale path give the same config."
    strip = lambda c: {k: v for k, v in c.items() if k != 'source'}
    a = load_config('avfr_small')
    for b in (load_config('avfr', scale='small'), load_config('configs/avfr.yaml', scale='small'),
              load_config(ROOT / 'configs' / 'avfr_small.yaml'), load_config('configs/avfr_paper.yaml', scale='small')):
        assert strip(b) == strip(a)
    assert a['name'] == 'avfr_small' and a['scale'] == 'small' and a['source'].endswith('avfr.yaml')
    assert load_config('avfr')['scale'] == 'smoke'                       # a method file without a scale: smoke
    assert load_config('gavn_lmk_paper')['train']['stages'] == ['gavn_lmk']
    s = load_config('avfr_small', ['model.K=3', 'train.avfr.decode_every=2'])
    assert (s['data']['K'], s['train']['avfr']['decode_every']) == (3, 2)

def test_errors(tmp_path):
    with pytest.raises(InputError, match='no such config file'): load_config('no_such_method')
    bad = tmp_path / 'x.yaml'
    bad.write_text('model: {type: tsvqgan}\nscale: small\nsmall: {}\n')
    with pytest.raises(InputError, match="remove 'scale'"): load_config(bad)
    bad.write_text('model: {type: tsvqgan}\nsmall: {steps: 3}\n')
    with pytest.raises(InputError, match=r'small\.steps'): load_config(bad, scale='small')
    bad.write_text('streams: [lq]\nmodel: {type: avfr}\ndata: {degrade: avfr}\n')   # AVFR reads FHOG and MFCC windows too
    with pytest.raises(InputError, match="stage 'avfr' reads hog, mfcc, mfcc_neg"): load_config(bad)
    bad.write_text('streams: [lq, sound]\nmodel: {type: tsvqgan}\n')
    with pytest.raises(InputError, match='streams: a list of'): load_config(bad)
    one = tmp_path / 'one.yaml'                                           # a single config still works as before
    one.write_text('scale: small\nmodel: {type: tsvqgan}\ntrain: {lr: 1.0e-3}\n')
    c = load_config(one)
    assert (c['name'], c['scale'], c['train']['lr'], c['data']['degrade']) == ('one', 'small', 1e-3, None)
