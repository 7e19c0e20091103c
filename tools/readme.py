"Generate README.md from nbs/index.ipynb (markdown cells; code cells marked `#| hide` are skipped). nbdev_readme needs quarto, which is not available here."
import json, sys
from pathlib import Path

root = Path(__file__).resolve().parents[1]
nb = json.loads((root/'nbs'/'index.ipynb').read_text())
parts = []
for c in nb['cells']:
    src = ''.join(c['source'])
    if c['cell_type'] == 'markdown': parts.append(src)
    elif not src.lstrip().startswith('#| hide'): parts.append('```python\n' + src + '\n```')
text = '\n\n'.join(parts) + '\n'
out = root/'README.md'
if '--check' in sys.argv:
    sys.exit(0 if out.exists() and out.read_text() == text else f'README.md is out of date: run python tools/readme.py')
out.write_text(text)
