"""The Streamlit release the dashboard's internals were checked on is the one requirements.txt admits."""

from pathlib import Path

import streamlit
from packaging.requirements import Requirement
from packaging.version import Version

from nnexplore.ui.owner import STREAMLIT_TESTED

ROOT = Path(__file__).resolve().parents[2]


def pinned(package: str) -> Requirement:
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line and Requirement(line).name == package:
            return Requirement(line)
    raise AssertionError(f"{package} is not in requirements.txt")


def test_the_tested_release_is_the_pinned_one_and_the_installed_one():
    """Bumping the pin without checking ui/owner.py's internals (or the reverse) fails here."""
    spec = pinned("streamlit").specifier
    assert Version(STREAMLIT_TESTED) in spec
    assert Version(streamlit.__version__) in spec
    # The range admits patch releases of one minor release only: internals change between minors.
    assert not spec.contains(f"{Version(STREAMLIT_TESTED).major}.{Version(STREAMLIT_TESTED).minor + 1}.0")


def test_the_chart_internals_the_chart_cache_leans_on_are_there():
    """ui/live/specs.to_spec holds st.altair_chart's lock and hands st.vega_lite_chart Arrow bytes."""
    from streamlit import dataframe_util
    from streamlit.elements import vega_charts

    from nnexplore.ui.live import specs as chart_cache

    assert chart_cache._ALTAIR_LOCK is vega_charts._altair_globals_lock
    assert callable(dataframe_util.convert_anything_to_arrow_bytes)
