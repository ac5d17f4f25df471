"""Streamlit Community Cloud's entry point: the same app as ``dashboard.py``, nothing else.

It exists for the file beside it. Community Cloud installs the dependency file next to
the entry point before the one at the repository root, and this folder's
``requirements.txt`` takes torch's CPU build (about 0.2 GB) where the root file, read
by ``pip install -r requirements.txt`` anywhere, leaves PyPI's CUDA build on Linux.

Streamlit puts the script's folder (``cloud/``) on ``sys.path``, not the working
directory, so the repository root goes there first: ``dashboard.py`` imports
``nnexplore`` from it, and the training forkserver inherits this ``sys.path``. Then
``dashboard.py`` runs as the main script on every rerun, so its navigation, pages, URLs
and fragments are the dashboard's own. Cloud starts ``streamlit run`` from the
repository root, where it reads ``.streamlit/config.toml``; run it locally the same way:
``streamlit run cloud/streamlit_app.py``.
"""

import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

runpy.run_path(str(ROOT / "dashboard.py"), run_name="__main__")
