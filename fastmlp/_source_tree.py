"""Importing fastmlp from a source checkout that was never built in place.

`python -m fastmlp.demo` run from the project root finds the sources in
./fastmlp first (the current directory leads sys.path), and they have no
compiled engine; after `pip install .` the same package, engine included, sits
further down sys.path. That installed copy is the one to run."""
import os
import sys
from importlib.machinery import EXTENSION_SUFFIXES

__all__ = ["installed_package_dir"]

def _has_engine(package_dir):
    return any(os.path.isfile(os.path.join(package_dir, "_engine" + suffix))
               for suffix in EXTENSION_SUFFIXES)


def installed_package_dir(source_package_dir):
    """The first other fastmlp on sys.path that has a compiled engine.

    Parameters
    ----------
    source_package_dir : str
        The fastmlp package directory being imported (the one without an
        engine); its parent directory is skipped on sys.path.

    Returns
    -------
    str or None
        The directory of that package, or None if there is none.
    """
    source_root = os.path.dirname(os.path.abspath(source_package_dir))
    for entry in sys.path:
        root = os.path.abspath(entry or os.curdir)
        if root == source_root:
            continue
        candidate = os.path.join(root, "fastmlp")
        if os.path.isfile(os.path.join(candidate, "__init__.py")) and _has_engine(candidate):
            return candidate
    return None
