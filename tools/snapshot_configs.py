"""Write tests/data/resolved_configs.json: every shipped method config at every scale, fully resolved by the engine.

Written once from the per-scale files (configs/<method>_<scale>.yaml) before they were merged into one file per method;
since then the reference. For each `<method>_<scale>` (the name `train.load_config` accepts) the file records
- `config`: `train.load_config(name)` (without `source`, the file it was read from),
- `stages`: per stage, `stage_config` (the stage's settings), `dataset` (the ClipWindows arguments the stage's task
  builds its dataset from, completed with ClipWindows' own defaults: what the data pipeline really gets) and `model`
  (the task's constructor arguments, presets resolved).
`tests/test_configs.py` resolves the same names again and compares: nothing in a method's settings may change by accident.

    python tools/snapshot_configs.py            # rewrite the snapshot (only when a change is meant)
    python tools/snapshot_configs.py --check    # exit 1 when the resolved configs differ from the snapshot
"""
from __future__ import annotations
import argparse, inspect, json, os, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / 'tests' / 'data' / 'resolved_configs.json'

def config_names() -> list[str]:
    "Every `<method>_<scale>` name of the shipped configs (configs/<method>.yaml, a block per scale)."
    from avface_nb.train import SCALES, method_configs
    return sorted(f'{m}_{s}' for m in method_configs() for s in SCALES)

def resolved(name: str) -> dict:
    "One config fully resolved: the config, and per stage its settings, dataset arguments and model arguments."
    from avface_nb.train import load_config, stage_config, TASKS
    from avface_nb.data import ClipWindows
    cw = {k: p.default for k, p in inspect.signature(ClipWindows).parameters.items() if p.default is not inspect.Parameter.empty}
    cfg = load_config(name)
    stages = {}
    for st in cfg['train']['stages']:
        scfg = stage_config(cfg, st); cls = TASKS[scfg['task']]
        stages[st] = dict(stage_config=scfg, dataset={**cw, **cls.dataset_args(cfg, scfg)}, model=cls.model_config(cfg))
    return json.loads(json.dumps(dict(config={k: v for k, v in cfg.items() if k != 'source'}, stages=stages), default=str))

def snapshot() -> dict:
    return {n: resolved(n) for n in config_names()}

def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--check', action='store_true', help='compare with the snapshot instead of writing it')
    a = p.parse_args(argv)
    os.chdir(ROOT)
    snap = snapshot()
    text = json.dumps(snap, sort_keys=True, indent=1) + '\n'
    if a.check:
        old = json.loads(SNAPSHOT.read_text())
        bad = sorted(set(old) ^ set(snap)) + sorted(n for n in set(old) & set(snap) if old[n] != snap[n])
        for n in bad: print(f'differs: {n}')
        return 1 if bad else 0
    tmp = SNAPSHOT.with_suffix('.tmp'); tmp.write_text(text); tmp.replace(SNAPSHOT)
    print(f'{SNAPSHOT.relative_to(ROOT)}: {len(snap)} configs')
    return 0

if __name__ == '__main__': sys.exit(main())
