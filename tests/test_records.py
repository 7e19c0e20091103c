"""The committed run records are consistent (rows are the record; checkpoints are published, not cached in git):

- every stage record (`final.json`) under runs/<scale>/ sits beside the stage's config.yaml and log.jsonl, its last
  logged step is the recorded step, and where the stage's final.pt is in the tree, the file's digest, size and weights
  digest are the recorded ones (a final replaced without its record, or the reverse, fails here);
- every final.pt in the tree is a published one (`tools/publish.py`), or a legacy one (trained before run records, no
  final.json: it stays, stale, until its run trains again); the published finals fit the 80 MB budget, and the
  .gitignore block that keeps the others out is up to date;
- no final.pt in the tree holds an optimiser state, and none written with a record holds a discriminator.
"""
import json, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / 'tools'))


def tracked(pattern: str) -> list[Path]:
    out = subprocess.run(['git', 'ls-files', pattern], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [ROOT / p for p in out]


RECORDS = [p for p in tracked('runs/*/*/*/final.json')]


@pytest.mark.parametrize('rec', RECORDS, ids=[str(p.parent.relative_to(ROOT)) for p in RECORDS])
def test_record_matches_its_stage(rec):
    from avface_nb.evaluate import file_digest
    from avface_nb.checkpoint import load_checkpoint, weights_digest
    r = json.loads(rec.read_text())
    d = rec.parent
    assert (d / 'config.yaml').is_file() and (d / 'log.jsonl').is_file(), f'{d}: a record needs its config and log beside it'
    last = json.loads([l for l in (d / 'log.jsonl').read_text().splitlines() if l.strip()][-1])
    assert last['step'] == r['step'] == r['total'], (d, last['step'], r['step'], r['total'])
    fin = d / 'final.pt'
    if fin.is_file():
        assert fin.stat().st_size == r['bytes'] and file_digest(fin) == r['file'], f'{fin} is not the final its record describes'
        ck = load_checkpoint(fin, expect_kind=r['kind'])
        assert ck['stage_hash'] == r['stage_hash'] and weights_digest(ck) == r['weights'], fin


def test_every_final_in_the_tree_is_published():
    import publish
    for scale in sorted({p.relative_to(ROOT).parts[1] for p in tracked('runs/*/*/*/final.pt')}):
        pub = set(publish.published(scale))
        extra = [p.relative_to(ROOT).as_posix() for p in tracked(f'runs/{scale}/*/*/final.pt')
                 if p.relative_to(ROOT).as_posix() not in pub and (p.parent / 'final.json').is_file()]   # legacy finals stay until retrained
        assert not extra, f'finals in the tree that are not published (tools/publish.py --untrack): {extra[:5]}'


def test_published_finals_fit_the_budget_and_gitignore_is_current():
    r = subprocess.run([sys.executable, str(ROOT / 'tools' / 'publish.py'), '--scale', 'small', '--check'], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]


def test_published_finals_hold_no_training_state():
    import torch
    for fin in tracked('runs/*/*/*/final.pt'):
        ck = torch.load(fin, map_location='cpu', weights_only=True)
        assert 'optims' not in ck, fin
        if (fin.parent / 'final.json').is_file():                            # legacy finals (no record) kept theirs
            assert 'disc' not in ck.get('modules', {}), f'{fin} holds a discriminator'
