"""Author a notebook from a percent-format script: `python tools/py2nb.py src.py nbs/NN_name.ipynb`.

Developer convenience only (the notebooks in nbs/ are the source of truth). Cells are separated by
`# %%` (code) and `# %% [markdown]` (markdown, lines prefixed with `# `). `# %% tags=["x"]` sets tags.
Also: `python tools/py2nb.py --back nbs/NN_name.ipynb out.py` writes the percent form of a notebook.
"""
import hashlib, json, re, sys
from pathlib import Path

HDR = re.compile(r'^# %%(?P<md> \[markdown\])?(?: tags=(?P<tags>\[.*\]))?\s*$')

def py2nb(src: str) -> dict:
    cells, cur = [], None
    for line in src.splitlines():
        m = HDR.match(line)
        if m:
            if cur: cells.append(cur)
            cur = dict(md=bool(m['md']), tags=json.loads(m['tags']) if m['tags'] else [], lines=[])
            continue
        if cur is None: cur = dict(md=False, tags=[], lines=[])
        cur['lines'].append(line)
    if cur: cells.append(cur)
    out = []
    for i, c in enumerate(cells):
        lines = c['lines']
        while lines and not lines[-1].strip(): lines.pop()
        while lines and not lines[0].strip(): lines.pop(0)
        if not lines: continue
        if c['md']: lines = [l[2:] if l.startswith('# ') else l.lstrip('#') for l in lines]
        text = '\n'.join(lines)
        src_lines = [l + '\n' for l in text.split('\n')]; src_lines[-1] = src_lines[-1][:-1]
        meta = {'tags': c['tags']} if c['tags'] else {}
        cid = hashlib.sha1(f'{i}:{text}'.encode()).hexdigest()[:8]
        if c['md']: out.append(dict(cell_type='markdown', id=cid, metadata=meta, source=src_lines))
        else: out.append(dict(cell_type='code', execution_count=None, id=cid, metadata=meta, outputs=[], source=src_lines))
    return dict(cells=out, metadata=dict(kernelspec=dict(display_name='avface', language='python', name='avface')),
                nbformat=4, nbformat_minor=5)

def nb2py(nb: dict) -> str:
    parts = []
    for c in nb['cells']:
        tags = c.get('metadata', {}).get('tags')
        t = f' tags={json.dumps(tags)}' if tags else ''
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            parts.append(f'# %% [markdown]{t}\n' + '\n'.join(('# ' + l) if l else '#' for l in src.split('\n')))
        else: parts.append(f'# %%{t}\n' + src)
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    if sys.argv[1] == '--back':
        Path(sys.argv[3]).write_text(nb2py(json.loads(Path(sys.argv[2]).read_text())))
    else:
        Path(sys.argv[2]).write_text(json.dumps(py2nb(Path(sys.argv[1]).read_text()), indent=1, ensure_ascii=False) + '\n')
