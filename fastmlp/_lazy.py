"""Recognising lazy collections (dask arrays and dataframes) without importing
their libraries, so that predict can hand them to fastmlp.dask."""
from typing import Any

__all__ = ["is_dask_collection"]


def is_dask_collection(x: Any) -> bool:
    """Whether `x` is a dask collection, without importing dask.

    Parameters
    ----------
    x : object
        Any value.

    Returns
    -------
    bool
        True if its class comes from a ``dask`` or ``dask_expr`` package and
        it has ``__dask_graph__``.
    """
    return type(x).__module__.partition(".")[0] in ("dask", "dask_expr") and \
        hasattr(x, "__dask_graph__")
