"""Which trained finals the repository publishes (commits), and the .gitignore block that keeps every other final out.

Rows are the record of a run: each stage's config.yaml, log.jsonl and final.json (hash, steps, weights and file digests,
size) are committed for every run, and the evaluation rows under runs/<scale>/rows. A final.pt is committed only where
something needs the weights: seed 42 (the scale's first seed) of each method's full row in each task of the plan (what a
report's viewer shows and what `make reproduce` checks again), with the earlier stages those finals read their frozen
parts from. Discriminators and optimiser states are never in a final.pt (train.Task.train_only, last.pt only).

    python tools/publish.py --scale small            # list the published finals and their size; write the .gitignore block
    python tools/publish.py --scale small --untrack  # also `git rm --cached` every tracked final.pt that is not published
                                                     # (a legacy final, trained before run records, stays until its run trains again)
    python tools/publish.py --scale small --check    # exit 1 when the block is out of date or the finals exceed the budget
"""
import argparse, json, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
BEGIN, END = '# --- published finals (tools/publish.py; do not edit by hand) ---', '# --- end of published finals ---'
BUDGET_MB = 80.
# not published (their rows and records are): the single-speaker set of paper 002's Table 1, whose viewer shows the
# multi-speaker models only. A report may also list under `publish:` in reports/plan.yaml the plan keys whose weights its
# viewer, oracle or restorers read; then only those of its full rows are published (default: every full row).
SKIP_PREFIXES = ('single_',)


def published(scale: str) -> list[str]:
    "Repository-relative paths of the published finals at `scale` (present or not), sorted."
    from avface_nb import registry
    from avface_nb.experiments import load_plan, load_params, plan_entries, shared_stages, run_name, last_stage, report_list
    from avface_nb.checkpoint import load_checkpoint
    plan, params = load_plan(), load_params(scale)
    out = set()
    for rep in plan:
        if rep not in report_list(): continue
        keep = plan[rep].get('publish')                              # the keys whose weights the report reads (None: all)
        for e in plan_entries(rep, params, plan):
            if e['ablation'] != 'full' or (keep is not None and e['key'] not in keep): continue
            spec, seed = registry.get(e['method']), e['seeds'][0]
            s1 = seed if e['stage_seed'] is None else int(e['stage_seed'])
            run = run_name(e['method'], 'full', seed, e['prefix'] + e['run_prefix'])
            if run.startswith(SKIP_PREFIXES): continue
            stages = [last_stage(spec, e['sets'])]
            out |= {f'runs/{scale}/{run}/{st}/final.pt' for st in stages}
            for st, name, _ in shared_stages(spec, 'full', e['prefix'], s1, e['sets']):
                out.add(f'runs/{scale}/{name}/{st}/final.pt')
    todo = list(out)
    while todo:                                                   # the finals a published final reads frozen parts from
        p = ROOT/todo.pop()
        if not p.is_file(): continue
        ck = load_checkpoint(p, attach=False)
        for src in (ck.get('frozen_from') or {}).values():
            dep = (p.parent/src['path']).resolve().relative_to(ROOT).as_posix()
            if dep not in out: out.add(dep); todo.append(dep)
    return sorted(out)


def block(paths: list[str]) -> str:
    legacy = subprocess.run(['git', 'ls-files', 'runs/*/*/*/final.pt'], cwd=ROOT, capture_output=True, text=True).stdout.split()
    legacy = [p for p in legacy if p not in paths and not (ROOT/p).with_name('final.json').is_file()]
    lines = [BEGIN, '/runs/*/**/final.pt'] + [f'!/{p}' for p in paths] + ['# legacy finals (no record yet; stale until retrained)'] \
            + [f'!/{p}' for p in legacy] + [END]
    return '\n'.join(lines) + '\n'


def with_block(text: str, new: str) -> str:
    if BEGIN in text:
        a, b = text.index(BEGIN), text.index(END) + len(END) + 1
        return text[:a] + new + text[b:]
    return text.rstrip('\n') + '\n' + new


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--scale', default='small')
    ap.add_argument('--check', action='store_true', help='exit 1 when .gitignore is out of date or the published finals exceed the budget')
    ap.add_argument('--untrack', action='store_true', help='git rm --cached every tracked final.pt that is not published')
    a = ap.parse_args(argv)
    paths = published(a.scale)
    here = [p for p in paths if (ROOT/p).is_file()]
    mb = sum((ROOT/p).stat().st_size for p in here) / 2**20
    print(f'{len(paths)} published finals at {a.scale} ({len(here)} on this machine, {mb:.1f} MB; budget {BUDGET_MB:.0f} MB)')
    for p in paths: print(('  ' if (ROOT/p).is_file() else '- ') + p)
    gi = ROOT/'.gitignore'
    new = with_block(gi.read_text(), block(paths))
    if a.check:
        ok = new == gi.read_text() and mb <= BUDGET_MB
        if not ok: print('.gitignore block out of date' if new != gi.read_text() else f'{mb:.1f} MB > {BUDGET_MB:.0f} MB')
        return 0 if ok else 1
    gi.write_text(new)
    if a.untrack:
        tracked = subprocess.run(['git', 'ls-files', f'runs/{a.scale}'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
        drop = [p for p in tracked if p.endswith('/final.pt') and p not in paths and (ROOT/p).with_name('final.json').is_file()]
        legacy = [p for p in tracked if p.endswith('/final.pt') and p not in paths and not (ROOT/p).with_name('final.json').is_file()]
        if legacy: print(f'kept {len(legacy)} legacy finals (trained before run records; stale until their runs train again)')
        if drop: subprocess.run(['git', 'rm', '-q', '--cached', *drop], cwd=ROOT, check=True)
        print(f'untracked {len(drop)} finals that are not published')
    return 0 if mb <= BUDGET_MB else 1


if __name__ == '__main__':
    sys.exit(main())
