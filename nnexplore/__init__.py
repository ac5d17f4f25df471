"""nnexplore: watch neural networks learn, one experiment at a time."""

from nnexplore.config import RunConfig
from nnexplore.train import train

__all__ = ["RunConfig", "load_dataset", "train"]


def __getattr__(name: str):
    # load_dataset lives in nnexplore.data, which imports pooch; load it only when asked for.
    if name == "load_dataset":
        from nnexplore.data import load_dataset

        return load_dataset
    raise AttributeError(name)
