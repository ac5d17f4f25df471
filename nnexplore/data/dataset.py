"""The one container every data source fills, and the trainer reads."""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Dataset:
    """Train and test tensors plus what the model needs to know about them.

    Features are float32 (toy problems, already standardised) or uint8 (MNIST,
    shape (N, 784), kept as bytes so one shared copy costs 55 MB rather than
    220 MB; the trainer scales each batch with ``x.float() / 255``). Labels are
    int64 class indices in ``range(num_classes)``; a regression (``num_classes`` 0:
    no classes) has float32 targets instead, one column per output, shape (N, outputs).
    Frozen because one instance is shared read-only by every session of the dashboard.
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    name: str

    @property
    def n_features(self) -> int:
        """Width of one example: the size of the network's input layer."""
        return int(self.x_train.shape[1])

    @property
    def is_regression(self) -> bool:
        """True when the targets are numbers to predict (no classes), not class indices."""
        return self.num_classes == 0

    @property
    def n_outputs(self) -> int:
        """Width of the network's output layer: one unit per class, or per target number."""
        return int(self.y_train.shape[1]) if self.is_regression else int(self.num_classes)

    @property
    def is_uint8(self) -> bool:
        """True when features are raw bytes that must be scaled by 1/255."""
        return self.x_train.dtype == torch.uint8
