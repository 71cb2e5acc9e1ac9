"""History: the per-epoch record that fit returns."""
from __future__ import annotations

from .callback import Callback, Logs

__all__ = ["History"]


class History(Callback):
    """Records each epoch's logs; ``fit`` adds one (last in the list) and returns it.

    Attributes
    ----------
    history : dict of str to list
        One list per logged value, e.g. ``{"accuracy": [...], "loss": [...],
        "val_accuracy": [...], "val_loss": [...]}``, keys in the order first
        logged (sorted, as the logs are), plus ``learning_rate`` when a
        callback before it adds that key.
    epoch : list of int
        The 0-based epochs recorded in the last ``fit``.
    params : dict
        ``{"verbose", "epochs", "steps"}`` of that ``fit``.

    Notes
    -----
    ``on_train_begin`` clears ``epoch`` but not ``history``, as in Keras: a
    History passed to several fits keeps appending. Each ``on_epoch_end`` sets
    ``model.history`` to this object.

    Examples
    --------
    >>> import numpy as np, fastmlp as fm
    >>> model = fm.Sequential([fm.Dense(1, input_dim=2)])
    >>> model.compile(optimizer="sgd", loss="mse")
    >>> history = model.fit(np.zeros((4, 2)), np.zeros(4), epochs=2, verbose=0)
    >>> history.epoch, list(history.history)
    ([0, 1], ['loss'])
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict = {}
        self.epoch: list = []

    def on_train_begin(self, logs: Logs = None) -> None:
        """Start a new list of epoch indices for this ``fit``.

        ``history`` is kept, so a second ``fit`` with the same History appends
        to its lists, as in Keras.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Record the epoch's index and values.

        Appends `epoch` to ``epoch`` and each logged value to its list in
        ``history``, and sets ``model.history`` to this History when there is
        a model.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based.
        logs : dict, optional
            The epoch's metric values, ``val_`` ones included.
        """
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
