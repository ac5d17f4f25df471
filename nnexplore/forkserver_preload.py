"""Imported by the training forkserver, and only there: the training code, warmed up.

Every training process is forked from that forkserver and inherits what is
loaded here. The dashboard server imports ``nnexplore.worker`` as well (to name
the function a child runs) but never this module, so it does not pay for the
warm-up's imports.
"""

from nnexplore import worker

worker.warm_up()
