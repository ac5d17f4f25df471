"""nnexplore: watch neural networks learn, one experiment at a time.

``RunConfig`` is loaded at once (it needs no torch); ``train`` and ``load_dataset`` only
when first asked for, because they load torch and pooch: ``import nnexplore.config``
must stay light, for the CLI's help and for tools that only read settings (DESIGN.md).
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

from nnexplore.config import RunConfig

__all__ = ["RunConfig", "load_dataset", "train"]


class _Package(types.ModuleType):
    """This package, with ``train`` the function even though ``nnexplore.train`` is also a module.

    Importing the submodule makes Python bind it as the package's ``train`` attribute
    (whoever imports it first: the CLI, a job worker, a test). Eagerly importing the
    function used to overwrite that binding; loaded lazily, the property below keeps
    ``nnexplore.train`` the function, as ``from nnexplore import train`` promises, and
    its setter lets the import system's binding of the module pass without effect.
    """

    @property
    def train(self) -> Callable[..., Any]:
        from nnexplore.train import train

        return train

    @train.setter
    def train(self, value: Any) -> None:
        pass  # the submodule being bound: sys.modules["nnexplore.train"] still holds it


sys.modules[__name__].__class__ = _Package  # module __class__ assignment: Python ≥ 3.5


def __getattr__(name: str) -> Any:
    if name == "load_dataset":
        from nnexplore.data import load_dataset

        return load_dataset
    raise AttributeError(f"module 'nnexplore' has no attribute {name!r}")
