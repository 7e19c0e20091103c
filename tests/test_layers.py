"""The package's layers (issue 19): `import-linter` checks the modules' imports (function-level ones included) against
the contracts in `.importlinter`; this file also checks the notebooks, which import test helpers the modules do not:
each notebook imports only modules exported by lower-numbered notebooks."""
import json, re, shutil, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT/'nbs'
IMPORT = re.compile(r'^\s*(?:from\s+(avface_nb(?:\.[\w.]+)?)\s+import\s+([\w\s,()*]+)|import\s+(avface_nb(?:\.[\w.]+)?))', re.M)

def _code(nb: Path) -> str:
    cells = json.loads(nb.read_text())['cells']
    return '\n'.join(''.join(c['source']) for c in cells if c['cell_type'] == 'code')

def notebook_modules() -> dict[str, tuple[int, str]]:
    "Module (`avface_nb.x.y`) -> (notebook number, notebook name), from each notebook's `#| default_exp`."
    out = {}
    for nb in sorted(NBS.glob('[0-9][0-9]_*.ipynb')):
        m = re.search(r'#\|\s*default_exp\s+([\w.]+)', _code(nb))
        if m: out[f'avface_nb.{m[1]}'] = (int(nb.name[:2]), nb.name)
    return out

def imported_modules(src: str, known) -> set[str]:
    "The `avface_nb` modules a notebook's code imports (`from avface_nb import a, b` counts a and b)."
    got = set()
    for frm, names, imp in IMPORT.findall(src):
        if imp: got.add(imp); continue
        if frm == 'avface_nb':
            for n in re.split(r'[\s,()]+', names):
                if n and f'avface_nb.{n}' in known: got.add(f'avface_nb.{n}')
        else: got.add(frm)
    return {g for g in got if g in known}

def test_notebooks_import_only_lower_numbers():
    mods = notebook_modules()
    assert len(mods) >= 30, sorted(mods)
    bad = []
    for nb in sorted(NBS.glob('[0-9][0-9]_*.ipynb')):
        n = int(nb.name[:2])
        for m in sorted(imported_modules(_code(nb), mods)):
            k, name = mods[m]
            if k > n: bad.append(f'{nb.name} imports {m} ({name})')
    assert not bad, '\n'.join(bad)

def test_checker_sees_an_upward_import(tmp_path):
    "The notebook check itself can fail: an import of a higher-numbered module is found in every import form."
    mods = {'avface_nb.core': (0, '00_core.ipynb'), 'avface_nb.cli': (99, '99_cli.ipynb')}
    for src in ['from avface_nb.cli import main', 'import avface_nb.cli', 'from avface_nb import core, cli',
                'def f():\n    from avface_nb.cli import main']:
        assert 'avface_nb.cli' in imported_modules(src, mods), src
    assert imported_modules('from avface_nb.core import x', mods) == {'avface_nb.core'}

def test_import_linter_contracts():
    "`lint-imports` (import-linter, `.importlinter`) keeps every contract, with no ignored import."
    cfg = (ROOT/'.importlinter').read_text()
    assert 'ignore_imports' not in cfg and 'unmatched_ignore' not in cfg, 'the contracts admit no exception list'
    exe = shutil.which('lint-imports') or str(Path(sys.executable).parent/'lint-imports')
    r = subprocess.run([exe, str(ROOT/'.importlinter'), '--no-cache'], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert 'broken' not in r.stdout.lower() or ' 0 broken' in r.stdout.lower(), r.stdout[-2000:]

def test_notebooks_name_the_project_kernel():
    "Every notebook (nbs/ and reports/) names the project's kernel, the one `make install` installs into .venv."
    bad = []
    for nb in sorted([*NBS.glob('*.ipynb'), *(ROOT/'reports').glob('*.ipynb')]):
        ks = json.loads(nb.read_text()).get('metadata', {}).get('kernelspec', {})
        if ks.get('name') != 'avface': bad.append(f'{nb.relative_to(ROOT)}: {ks.get("name")!r}')
    assert not bad, '\n'.join(bad)
