"""One-off: renumber the notebooks in dependency order (issue 19). `python tools/renumber.py` moves nbs/OLD.ipynb to
nbs/NEW.ipynb with `git mv` and rewrites every reference to the old names in tracked text files. Kept as the record of
the move; running it again is a no-op."""
import re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MOVES = {  # old stem -> new stem (layers: core; io, weights; face, features, degrade, synth; data, metrics; corpus;
           # checkpoint, vq, blocks, losses; registry; train, restore; experts; evaluate, bench, viz; adapters;
           # methods; stats, experiments; report; cli)
    '07_weights': '02_weights', '02_face': '03_face', '03_features': '04_features', '04_degrade': '05_degrade',
    '05_synth': '06_synth', '06_data': '07_data', '17_corpus': '09_corpus', '09_checkpoint': '10_checkpoint',
    '10_vq': '11_vq', '11_blocks': '12_blocks', '12_losses': '13_losses', '13_registry': '14_registry',
    '14_train': '15_train', '15_restore': '16_restore', '19_landmarks': '17_landmarks', '43_syncnet': '19_syncnet',
    '40_evaluate': '20_evaluate', '90_bench': '21_bench', '41_viz': '22_viz', '16_adapters': '23_adapters',
    '20_tsvqgan': '30_tsvqgan', '21_avfr': '31_avfr', '22_basicvsrpp': '32_basicvsrpp', '23_vqfr': '33_vqfr',
    '24_gavn': '34_gavn', '25_edvr': '35_edvr', '26_dbpn': '36_dbpn', '27_davd': '37_davd', '28_vrt': '38_vrt',
    '29_pgtformer': '39_pgtformer', '31_codeformer': '40_codeformer', '32_gfpgan': '41_gfpgan',
    '33_hifacegan': '42_hifacegan', '42_stats': '50_stats', '45_experiments': '51_experiments', '50_report': '60_report',
}

def main() -> int:
    nbs = ROOT/'nbs'
    todo = {o: n for o, n in MOVES.items() if (nbs/f'{o}.ipynb').exists()}
    if not todo: print('nothing to move'); return 0
    tmp = {}
    for o in todo:                                    # two steps: some new names are old names of other notebooks
        t = f'_mv_{o}'; subprocess.run(['git', 'mv', f'nbs/{o}.ipynb', f'nbs/{t}.ipynb'], cwd=ROOT, check=True); tmp[t] = todo[o]
    for t, n in tmp.items(): subprocess.run(['git', 'mv', f'nbs/{t}.ipynb', f'nbs/{n}.ipynb'], cwd=ROOT, check=True)
    pat = re.compile(r'(?<![\w])(' + '|'.join(map(re.escape, sorted(todo, key=len, reverse=True))) + r')(?=\.ipynb|\b)')
    files = subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for f in files:
        p = ROOT/f
        if p.suffix not in ('.ipynb', '.py', '.md', '.yaml', '.ini', '.txt', '.cfg', '') or not p.is_file() or 'reports/html' in f: continue
        if f.startswith('avface_nb/') or f == 'tools/renumber.py': continue      # exports are regenerated; this file is the record
        s = p.read_text(errors='ignore'); s2 = pat.sub(lambda m: todo[m[1]], s)
        if s2 != s: p.write_text(s2); print('rewrote', f)
    return 0

if __name__ == '__main__': sys.exit(main())
