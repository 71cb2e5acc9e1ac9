"""The model-level lock that every call reading or writing a model's state
takes, in both dialects; reset in a forked child, whose copy of a lock held
by another thread of the parent would otherwise never be released."""
import os
import threading
import weakref

__all__ = ["ModelLock", "lock_of"]

_owners = weakref.WeakSet()
_creation = threading.Lock()


class ModelLock:
    """A re-entrant lock plus the thread (if any) that is running its owner's
    fit, so that the owner can refuse what a callback must not do mid-fit."""

    def __init__(self):
        self.lock = threading.RLock()
        self.fitting_thread = None

    def __enter__(self):
        self.lock.acquire()
        return self

    def __exit__(self, *exc):
        self.lock.release()

    def __reduce__(self):  # a copy (pickle, deepcopy) gets a fresh, unheld lock
        return (ModelLock, ())

    def in_own_fit(self):
        """Whether the calling thread is inside the owner's fit.

        The fit records its thread in ``fitting_thread``; a callback it runs is on
        that thread, so a True result tells the owner to refuse what must not
        happen mid-fit (another fit, changing the compiled state). Other threads
        get False and simply wait for the lock.

        Returns
        -------
        bool
            True if ``fitting_thread`` is the calling thread's ident.
        """
        return self.fitting_thread == threading.get_ident()


def lock_of(owner, attribute="_lock"):
    """The ModelLock of `owner`, created on first use.

    Creation is guarded by a module lock, so threads racing to create it get
    the same lock. The owner is remembered (weakly) so that a forked child
    replaces its locks with fresh, unheld ones.

    Parameters
    ----------
    owner : object
        A model or estimator with a ``__dict__``.
    attribute : str, optional
        The attribute of ``owner.__dict__`` the lock lives in.

    Returns
    -------
    ModelLock
        The lock, stored in ``owner.__dict__[attribute]``.
    """
    lock = owner.__dict__.get(attribute)
    if lock is None:
        with _creation:
            lock = owner.__dict__.get(attribute)
            if lock is None:
                lock = owner.__dict__[attribute] = ModelLock()
                _owners.add(owner)
    return lock


def _reset_in_child():
    global _creation
    _creation = threading.Lock()
    for owner in list(_owners):
        for key, value in list(owner.__dict__.items()):
            if isinstance(value, ModelLock):
                owner.__dict__[key] = ModelLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_in_child)
