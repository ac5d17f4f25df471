"""nnexplore: watch neural networks learn, one experiment at a time."""

from nnexplore.config import RunConfig

__all__ = ["RunConfig", "load_dataset", "train"]


def __getattr__(name: str):
    # train loads torch and load_dataset loads pooch: import them only when asked for,
    # so that the settings table and the CLI's --help need neither.
    if name == "train":
        from nnexplore.training import train

        return train
    if name == "load_dataset":
        from nnexplore.data import load_dataset

        return load_dataset
    raise AttributeError(name)
