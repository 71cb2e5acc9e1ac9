"""CSVLogger: one CSV row per epoch, byte for byte as Keras writes it."""
from __future__ import annotations

import collections.abc
import csv
import os
from typing import Any, Optional, Union

import numpy as np

from .._validation import check_bool, describe
from .callback import Callback, Logs

__all__ = ["CSVLogger"]


class CSVLogger(Callback):
    """Write each epoch's logs as a row of a CSV file.

    The columns are ``epoch`` (0-based) and the sorted keys of the first
    epoch's logs; when none of them starts with ``val_``, a ``val_<key>``
    column is added for every key and filled with ``NA`` (Keras does this so
    that the columns stay the same with and without validation). A key
    missing from an epoch's logs is written as ``NA``; numbers as ``str``
    gives them; sequences as ``"[a, b]"``. Rows end in CRLF (the csv module's
    excel dialect) and the file is flushed after each row and closed when
    training ends.

    Parameters
    ----------
    filename : str or os.PathLike
    separator : str, default ","
        One character.
    append : bool, default False
        Append to an existing file, writing the header only if the file is
        missing or empty; otherwise the file is overwritten.

    Raises
    ------
    TypeError, ValueError
        For arguments of the wrong kind, or a separator that is not one character.

    Examples
    --------
    >>> import fastmlp as fm
    >>> logger = fm.callbacks.CSVLogger("training.csv")
    >>> # model.fit(x, y, epochs=10, callbacks=[logger]) writes
    >>> # epoch,loss,val_loss\\r\\n0,0.69...,NA\\r\\n...
    """

    def __init__(self, filename: Union[str, os.PathLike], separator: str = ",",
                 append: bool = False) -> None:
        super().__init__()
        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"filename must be a path; got {describe(filename)}")
        if not isinstance(separator, str):
            raise TypeError(f"separator must be a one-character string; got {describe(separator)}")
        if len(separator) != 1:
            raise ValueError(f"separator must be a one-character string; got {separator!r}")
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = check_bool(append, "append")
        self.append_header = True
        self.keys: Optional[list] = None
        self.writer: Optional[csv.DictWriter] = None
        self.csv_file: Any = None

    def on_train_begin(self, logs: Logs = None) -> None:
        """Open the CSV file for this run.

        With ``append=True`` the file is opened for appending and the header is
        written only when the file is missing or empty; otherwise the file is
        truncated and gets a header. A file left open by an earlier run is
        closed first.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        if self.append:
            self.append_header = not (os.path.exists(self.filename)
                                      and os.path.getsize(self.filename) > 0)
            mode = "a"
        else:
            self.append_header = True
            mode = "w"
        self._close()
        self.csv_file = open(self.filename, mode, newline="")
        self.writer = None
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        """Write one row for the epoch and flush the file.

        The columns, fixed at the first epoch, are ``epoch`` then the sorted
        log keys; when no key starts with ``val_``, matching ``val_`` columns
        are added, as Keras does. A missing value is written as ``NA`` and an
        iterable one as a quoted list.

        Parameters
        ----------
        epoch : int
            The epoch's index, 0-based, written as is.
        logs : dict, optional
            The epoch's metric values.
        """
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if self.keys and not any(key.startswith("val_") for key in self.keys):
                self.keys += [f"val_{key}" for key in self.keys]
        if self.writer is None:
            dialect = type("Dialect", (csv.excel,), {"delimiter": self.sep})
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch"] + self.keys,
                                         dialect=dialect)
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, _cell(logs.get(key, "NA"))) for key in self.keys)
        self.writer.writerow(row)
        self.csv_file.flush()

    def on_train_end(self, logs: Logs = None) -> None:
        """Close the CSV file at the end of ``fit``.

        Parameters
        ----------
        logs : dict, optional
            Unused.
        """
        self._close()
        self.writer = None

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, collections.abc.Iterable) and not (
            isinstance(value, np.ndarray) and value.ndim == 0):
        return f'"[{", ".join(map(str, value))}]"'
    return value
