"""Give a notebook rewritten by tools/py2nb.py back the cell ids of its committed version where the cells line up
(matched from both ends by their first line), so a merge sees only the cells that changed. Usage: tools/keep_ids.py NB..."""
import json, subprocess, sys

def first(c): return ''.join(c['source']).split('\n')[0]

for p in sys.argv[1:]:
    old = json.loads(subprocess.check_output(['git', 'show', f'HEAD:{p}']))['cells']
    nb = json.load(open(p)); new = nb['cells']
    i = 0
    while i < min(len(old), len(new)) and first(old[i]) == first(new[i]): new[i]['id'] = old[i]['id']; i += 1
    j = 1
    while j <= min(len(old), len(new)) - i and first(old[-j]) == first(new[-j]): new[-j]['id'] = old[-j]['id']; j += 1
    json.dump(nb, open(p, 'w'), indent=1, ensure_ascii=False); open(p, 'a').write('\n')
    print(f'{p}: {i + j - 1} of {len(new)} cells keep their ids')
