"""The server's settings from the environment (``NNEXPLORE_*``), read one way.

Streamlit Community Cloud turns an app's Secrets into environment variables,
which is where a class box sets its slots, its forkserver's idle time and its
store's size (see the README, "Deploy"). A value that is not a number, or is
out of range, is ignored with a warning in the server log: a typo in the
Secrets must never stop the app from starting.
"""

from __future__ import annotations

import logging
import math
import os

logger = logging.getLogger(__name__)


def env_number(name: str, default: float, *, minimum: float = 0, whole: bool = False) -> float:
    """``name`` from the environment if it is a finite number >= ``minimum`` (with ``whole``: a
    whole number), else ``default``, with a warning in the log when it was set but wrong."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value: float | None = int(raw) if whole else float(raw)
    except ValueError:
        value = None
    if value is not None and math.isfinite(value) and value >= minimum:
        return value
    kind = "a whole number" if whole else "a number"
    logger.warning("Ignoring %s=%r: it must be %s >= %g.", name, raw, kind, minimum)
    return default
